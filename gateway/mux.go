package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	aiav1 "github.com/aia-mlops/aia/gateway/gen/aia/v1"
)

// jsonMarshaler is the proto3 JSON mapping with the .proto field names
// (snake_case, as the seed report's REST examples use) and every field
// present, so REST callers need not know proto3's default values. Unknown
// fields in a request body are an error (400), not silently dropped.
func jsonMarshaler() runtime.Marshaler {
	return &jsonPb{runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// forwardedHeaders are the HTTP headers that reach aia-server as gRPC
// metadata under their own (lower-case) names, besides grpc-gateway's
// defaults (Grpc-Metadata-* prefix, Authorization, ...).
var forwardedHeaders = map[string]bool{
	"x-request-id": true, // correlates the gateway's and the server's log lines
	"x-aia-caller": true, // who is calling, logged by the server
}

func incomingHeaderMatcher(key string) (string, bool) {
	if k := strings.ToLower(key); forwardedHeaders[k] {
		return k, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// outgoingHeaderMatcher passes the server's response metadata on as
// Grpc-Metadata-* headers, except what is HTTP/2 plumbing (content-type,
// grpc-accept-encoding) or already a header of its own (x-request-id).
func outgoingHeaderMatcher(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "content-type", "grpc-accept-encoding", "grpc-encoding", "x-request-id":
		return "", false
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// registrations are the generated grpc-gateway handlers, one per service.
var registrations = []struct {
	service  string
	register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}{
	{"aia.v1.SystemService", aiav1.RegisterSystemServiceHandler},
	{"aia.v1.ModelService", aiav1.RegisterModelServiceHandler},
	{"aia.v1.DriftService", aiav1.RegisterDriftServiceHandler},
	{"aia.v1.CoordinatorService", aiav1.RegisterCoordinatorServiceHandler},
	{"aia.v1.LLMService", aiav1.RegisterLLMServiceHandler},
}

// newAPIMux routes every google.api.http annotation of aia.v1 to the backend.
func newAPIMux(ctx context.Context, conn *grpc.ClientConn) (*runtime.ServeMux, error) {
	json := jsonMarshaler()
	mux := runtime.NewServeMux(
		// HTTPBodyMarshaler passes google.api.HttpBody through untouched:
		// GET /metrics is the server's Prometheus text, byte for byte.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: json}),
		runtime.WithMarshalerOption(mimeEventStream, &sseMarshaler{Marshaler: json}),
		runtime.WithIncomingHeaderMatcher(incomingHeaderMatcher),
		runtime.WithOutgoingHeaderMatcher(outgoingHeaderMatcher),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithForwardResponseOption(openStreamEarly),
	)
	for _, r := range registrations {
		if err := r.register(ctx, mux, conn); err != nil {
			return nil, fmt.Errorf("registering %s: %w", r.service, err)
		}
	}
	return mux, nil
}

// newHandler is the whole HTTP surface: the gateway's own routes, then
// every REST route of the contract, behind request ids, the access log and
// the body limit.
func newHandler(ctx context.Context, cfg config, conn *grpc.ClientConn, log *slog.Logger) (http.Handler, error) {
	api, err := newAPIMux(ctx, conn)
	if err != nil {
		return nil, err
	}
	doc, err := openAPIDocument()
	if err != nil {
		return nil, err
	}
	health := healthHandler(healthpb.NewHealthClient(conn), cfg)
	root := http.NewServeMux()
	root.Handle("GET /health", health)
	root.Handle("GET /healthz", health)
	root.Handle("GET /openapi.json", openAPIHandler(doc))
	root.Handle("/", withAcceptInContext(api))
	return withRequestID(withAccessLog(log, withBodyLimit(cfg.maxBodyBytes, root))), nil
}
