package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
)

const mimeEventStream = "text/event-stream"

// sseMarshaler answers requests that send "Accept: text/event-stream" with
// Server-Sent Events, which browsers read incrementally (EventSource, or
// fetch for the POST of /mlops/llm/stream). Each stream message becomes
//
//	data: {...message JSON...}
//
// and a gRPC error, before or during the stream, becomes
//
//	event: error
//	data: {"code":..., "message":..., "details":[...]}
//
// each followed by a blank line (the Delimiter). A unary answer is a single
// data event. Decoding request bodies is JSON's: grpc-gateway picks the
// inbound marshaler by Content-Type, and a body is never an event stream.
type sseMarshaler struct {
	runtime.Marshaler // the JSON marshaler used inside each event
}

func (m *sseMarshaler) ContentType(any) string { return mimeEventStream }

// StreamContentType is what grpc-gateway sets on a streaming response.
func (m *sseMarshaler) StreamContentType(any) string { return mimeEventStream }

func (m *sseMarshaler) Delimiter() []byte { return []byte("\n\n") }

// Marshal recognises grpc-gateway's stream envelopes, {"result": msg} for a
// message and {"error": status} for a failure; ForwardResponseStream writes
// the Delimiter after each. Anything else is a whole answer written once (a
// unary response, or a google.rpc.Status from the error handler), so it
// carries its own terminating blank line.
func (m *sseMarshaler) Marshal(v any) ([]byte, error) {
	event, payload, whole := "", v, true
	switch chunk := v.(type) {
	case map[string]any: // ForwardResponseStream's message envelope
		if r, ok := chunk["result"]; ok && len(chunk) == 1 {
			payload, whole = r, false
		}
	case map[string]proto.Message: // errorChunk
		if e, ok := chunk["error"]; ok && len(chunk) == 1 {
			event, payload, whole = "error", e, false
		}
	case *spb.Status:
		event = "error"
	}
	data, err := m.Marshaler.Marshal(payload)
	if err != nil {
		return nil, err
	}
	out := sseEvent(event, data)
	if whole {
		out = append(out, m.Delimiter()...)
	}
	return out, nil
}

// sseEvent frames data as one event. JSON from protojson is a single line,
// but a "data:" field must not contain a newline, so any line break starts a
// new data line, which the client joins back with "\n".
func sseEvent(event string, data []byte) []byte {
	var b bytes.Buffer
	if event != "" {
		fmt.Fprintf(&b, "event: %s\n", event)
	}
	for i, line := range bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n")) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("data: ")
		b.Write(line)
	}
	return b.Bytes()
}

// acceptKey carries the request's Accept header in its context, for
// openStreamEarly (grpc-gateway's response options see no request).
type acceptKey struct{}

func withAcceptInContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), acceptKey{}, r.Header.Get("Accept"))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// openStreamEarly answers a server stream with HTTP 200 as soon as
// aia-server says it is open (response header aia-stream-open, sent by
// streams that wait for events: drift alerts may be hours apart), instead
// of with its first message as grpc-gateway does. Any other stream keeps
// grpc-gateway's behaviour, so one that fails before its first message
// still gets its HTTP error status. grpc-gateway calls stream options once
// with a nil message before the first one; unary answers never come here
// with nil.
func openStreamEarly(ctx context.Context, w http.ResponseWriter, resp proto.Message) error {
	if resp != nil {
		return nil
	}
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if !ok || len(md.HeaderMD.Get("aia-stream-open")) == 0 {
		return nil
	}
	contentType := "application/json"
	if accept, _ := ctx.Value(acceptKey{}).(string); strings.Contains(accept, mimeEventStream) {
		contentType = mimeEventStream
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	return http.NewResponseController(w).Flush()
}
