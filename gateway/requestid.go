package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

const requestIDHeader = "X-Request-Id"

// maxRequestIDLen matches aia-server (AIA_REQUEST_ID_MAX), which would
// otherwise truncate a longer id and break the correlation of log lines.
const maxRequestIDLen = 64

type requestIDKey struct{}

// requestIDFrom returns the request's id, set by withRequestID.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID accepts what aia-server keeps verbatim: 1 to 64 printable
// ASCII characters without spaces, safe to log unquoted.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= 0x20 || id[i] >= 0x7f {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go ≥ 1.24 panics instead)
	return hex.EncodeToString(b[:])
}

// withRequestID makes sure every request has an x-request-id: the caller's
// when it is valid, else a new one (an invalid one is replaced, not
// rejected: tracing must never cost a caller its request, and the response
// header tells it which id was used). The id goes to the backend as gRPC
// metadata (incomingHeaderMatcher forwards the header), back to the caller
// in the response, and into the access log.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
			r.Header.Set(requestIDHeader, id)
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}
