package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// Errors leave the gateway as google.rpc.Status JSON — {"code", "message",
// "details"} — with the HTTP status grpc-gateway maps from the gRPC code
// (INVALID_ARGUMENT 400, NOT_FOUND 404, UNIMPLEMENTED 501, UNAVAILABLE 503,
// ...). The gateway's own errors (routing, body size) use the same shape.

type bodyLimitKey struct{}

// bodyLimit records that a request body went past --max-body-bytes, so the
// error handler can answer 413 instead of the 400 grpc-gateway would make of
// the failed read.
type bodyLimit struct {
	max      int64
	exceeded atomic.Bool
}

// countingBody marks lim exceeded when the wrapped MaxBytesReader refuses
// to read further.
type countingBody struct {
	io.ReadCloser
	lim *bodyLimit
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		b.lim.exceeded.Store(true)
	}
	return n, err
}

// withBodyLimit refuses bodies over max bytes with 413: at once when
// Content-Length says so, else when the (chunked) body crosses the limit.
func withBodyLimit(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeStatus(w, http.StatusRequestEntityTooLarge, tooLarge(r.ContentLength, max))
			return
		}
		lim := &bodyLimit{max: max}
		r.Body = &countingBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), lim: lim}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, lim)))
	})
}

func tooLarge(size, max int64) *status.Status {
	what := "the request body"
	if size > 0 {
		what = fmt.Sprintf("the request body (%d bytes)", size)
	}
	return status.Newf(codes.ResourceExhausted,
		"%s is larger than the gateway's limit of %d bytes (--max-body-bytes)", what, max)
}

// errorHandler is grpc-gateway's default, but for bodies over the limit
// (413) and for messages that are not valid UTF-8: a decode error may quote
// the offending bytes, and the default handler would then fail to marshal
// the Status and answer 500.
func errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if lim, ok := r.Context().Value(bodyLimitKey{}).(*bodyLimit); ok && lim.exceeded.Load() {
		err = &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge, Err: tooLarge(0, lim.max).Err()}
	} else if st, ok := status.FromError(err); ok && !utf8.ValidString(st.Message()) {
		err = status.Error(st.Code(), strings.ToValidUTF8(st.Message(), "\uFFFD"))
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// routingErrorHandler says what was wrong with the URL, rather than the bare
// "Not Found" of the default.
func routingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var st *status.Status
	switch httpStatus {
	case http.StatusNotFound:
		st = status.Newf(codes.NotFound, "no REST route for %s %s; /openapi.json lists the routes", r.Method, r.URL.Path)
	case http.StatusMethodNotAllowed:
		st = status.Newf(codes.Unimplemented, "%s is not allowed on %s; /openapi.json lists the methods of each path", r.Method, r.URL.Path)
	case http.StatusBadRequest:
		st = status.Newf(codes.InvalidArgument, "malformed path %q", r.URL.Path)
	default:
		st = status.Newf(codes.Internal, "routing error %d for %s %s", httpStatus, r.Method, r.URL.Path)
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: st.Err()})
}

// writeStatus writes st as the JSON error body, for errors raised before a
// request reaches grpc-gateway.
func writeStatus(w http.ResponseWriter, httpStatus int, st *status.Status) {
	body, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(st.Proto())
	if err != nil { // a Status with a string and an int cannot fail to marshal
		body = []byte(`{"code":13,"message":"failed to marshal an error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}
