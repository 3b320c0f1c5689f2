package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// healthReport is the body of /health and /healthz.
type healthReport struct {
	Status    string  `json:"status"`            // SERVING, NOT_SERVING, SERVICE_UNKNOWN, UNREACHABLE, ...
	Service   string  `json:"service,omitempty"` // the grpc.health.v1 service checked; "" is the whole server
	Backend   string  `json:"backend"`
	Error     string  `json:"error,omitempty"` // why the backend could not be asked
	LatencyMS float64 `json:"latency_ms"`
}

// healthHandler answers /health and /healthz from the backend's
// grpc.health.v1 Check, so a load balancer or the seed's deployment check
// that curls the gateway learns whether AIA can serve, not only whether the
// sidecar runs: 200 when SERVING, 503 when NOT_SERVING or when the backend
// cannot be reached (within --health-timeout), 404 for an unknown
// ?service=. The gateway's own liveness is implied by any answer at all.
func healthHandler(client healthpb.HealthClient, cfg config) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		service := r.URL.Query().Get("service")
		ctx, cancel := context.WithTimeout(r.Context(), cfg.healthTimeout)
		defer cancel()
		// The check is a call like any other: the server logs it under the
		// same request id as the gateway.
		ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", requestIDFrom(r.Context()))
		start := time.Now()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		rep := healthReport{Service: service, Backend: cfg.backend,
			LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
		code := http.StatusOK
		switch st := status.Convert(err); {
		case err == nil:
			rep.Status = resp.GetStatus().String()
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				code = http.StatusServiceUnavailable
			}
		case st.Code() == codes.NotFound:
			rep.Status, rep.Error, code = "SERVICE_UNKNOWN", st.Message(), http.StatusNotFound
		default:
			rep.Status, rep.Error, code = "UNREACHABLE", st.Code().String()+": "+st.Message(), http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(rep)
	}
}
