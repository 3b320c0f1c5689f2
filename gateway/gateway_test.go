package main

// Unit tests of the gateway's own behaviour, against an in-process gRPC
// backend written here (the gateway forwards to any aia.v1 server; the
// end-to-end tests in tests/e2e use the real aia-server).

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	aiav1 "github.com/aia-mlops/aia/gateway/gen/aia/v1"
)

// backend is a SystemService that records what reached it.
type backend struct {
	aiav1.UnimplementedSystemServiceServer
	lastRequestID atomic.Value // string
	watchEnded    chan error   // the context error of each finished watch
}

func (b *backend) GetHealth(ctx context.Context, _ *aiav1.GetHealthRequest) (*aiav1.GetHealthResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if ids := md.Get("x-request-id"); len(ids) > 0 {
		b.lastRequestID.Store(ids[0])
	}
	return &aiav1.GetHealthResponse{Status: aiav1.ServingStatus_SERVING_STATUS_SERVING}, nil
}

func (b *backend) GetMetrics(context.Context, *aiav1.GetMetricsRequest) (*httpbody.HttpBody, error) {
	return &httpbody.HttpBody{ContentType: "text/plain; version=0.0.4", Data: []byte("up 1\n")}, nil
}

// WatchSystemPerformance sends max_samples samples 50 ms apart (forever
// when 0), then fails with the error code in the first sample's threads
// field when max_samples is 1 — enough to test streaming and stream errors.
func (b *backend) WatchSystemPerformance(req *aiav1.WatchSystemPerformanceRequest, s grpc.ServerStreamingServer[aiav1.GetSystemPerformanceResponse]) error {
	defer func() { b.watchEnded <- s.Context().Err() }()
	for i := int32(0); req.MaxSamples == 0 || i < req.MaxSamples; i++ {
		if err := s.Send(&aiav1.GetSystemPerformanceResponse{Threads: i + 1}); err != nil {
			return err
		}
		select {
		case <-s.Context().Done():
			return s.Context().Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if req.MaxSamples == 1 {
		return status.Error(codes.FailedPrecondition, "watch failed on purpose")
	}
	return nil
}

type fixture struct {
	url     string
	backend *backend
	health  *health.Server
}

func newFixture(t *testing.T, mutate func(*config)) *fixture {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	be := &backend{watchEnded: make(chan error, 16)}
	hs := health.NewServer()
	srv := grpc.NewServer()
	aiav1.RegisterSystemServiceServer(srv, be)
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	cfg := defaultConfig()
	cfg.backend = lis.Addr().String()
	cfg.maxBackoff = 200 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	conn, err := dialBackend(cfg, version)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h, err := newHandler(context.Background(), cfg, conn, newLogger(io.Discard, "text", "error"))
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(h)
	t.Cleanup(web.Close)
	return &fixture{url: web.URL, backend: be, health: hs}
}

// status is google.rpc.Status as the gateway writes it.
type statusBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details"`
}

func do(t *testing.T, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func decodeStatus(t *testing.T, body string) statusBody {
	t.Helper()
	var st statusBody
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, body)
	}
	if st.Details == nil {
		t.Fatalf("error body has no details array: %q", body)
	}
	return st
}

func TestUnaryRouteUsesProtoFieldNamesAndEmitsDefaults(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := do(t, "GET", f.url+"/mlops/health", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /mlops/health: %d %s", resp.StatusCode, body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got["status"] != "SERVING_STATUS_SERVING" {
		t.Errorf("status = %v", got["status"])
	}
	for _, field := range []string{"services", "start_time", "server_time"} { // snake_case, present though empty
		if _, ok := got[field]; !ok {
			t.Errorf("field %q missing from %s", field, body)
		}
	}
}

func TestRequestIDIsForwardedOrGenerated(t *testing.T) {
	f := newFixture(t, nil)
	resp, _ := do(t, "GET", f.url+"/mlops/health", "", map[string]string{"X-Request-Id": "trace-42"})
	if got := resp.Header.Get("X-Request-Id"); got != "trace-42" {
		t.Errorf("response x-request-id = %q, want the caller's", got)
	}
	if got, _ := f.backend.lastRequestID.Load().(string); got != "trace-42" {
		t.Errorf("backend saw x-request-id %q", got)
	}
	for _, bad := range []string{"", strings.Repeat("x", 65), "has space"} {
		resp, _ = do(t, "GET", f.url+"/mlops/health", "", map[string]string{"X-Request-Id": bad})
		id := resp.Header.Get("X-Request-Id")
		if !validRequestID(id) || id == bad {
			t.Errorf("for x-request-id %q the gateway used %q", bad, id)
		}
		if got, _ := f.backend.lastRequestID.Load().(string); got != id {
			t.Errorf("backend saw %q, response says %q", got, id)
		}
	}
	if resp.Header.Get("Grpc-Metadata-Content-Type") != "" {
		t.Errorf("HTTP/2 plumbing leaked into the response headers: %v", resp.Header)
	}
}

func TestErrorMapping(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		method, path, body string
		http, code         int
		want               string
	}{
		{"GET", "/mlops/dashboard", "", 501, 12, "not implemented"},
		{"GET", "/no/such/path", "", 404, 5, "no REST route for GET /no/such/path"},
		{"DELETE", "/mlops/health", "", 405, 12, "DELETE is not allowed on /mlops/health"},
		{"POST", "/mlops/models/train", `{"model_id": `, 400, 3, "request body: "},
		{"POST", "/mlops/models/train", `{"nosuch": 1}`, 400, 3, `unknown field "nosuch"`},
		{"POST", "/mlops/models/train", `{"model_id": 7}`, 400, 3, "(line 1:14)"},
	}
	for _, c := range cases {
		resp, body := do(t, c.method, f.url+c.path, c.body, nil)
		st := decodeStatus(t, body)
		if resp.StatusCode != c.http || st.Code != c.code || !strings.Contains(st.Message, c.want) {
			t.Errorf("%s %s %q: got %d %+v, want %d code %d containing %q",
				c.method, c.path, c.body, resp.StatusCode, st, c.http, c.code, c.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, func(c *config) { c.maxBodyBytes = 64 })
	big := `{"model_id": "` + strings.Repeat("m", 100) + `"}`
	resp, body := do(t, "POST", f.url+"/mlops/models/train", big, nil)
	if st := decodeStatus(t, body); resp.StatusCode != 413 || !strings.Contains(st.Message, "64 bytes") {
		t.Errorf("with Content-Length: %d %s", resp.StatusCode, body)
	}
	// Chunked: no Content-Length, so the limit trips while reading.
	req, _ := http.NewRequest("POST", f.url+"/mlops/models/train", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if st := decodeStatus(t, string(b2)); r2.StatusCode != 413 || st.Code != int(codes.ResourceExhausted) {
		t.Errorf("chunked: %d %s", r2.StatusCode, b2)
	}
	// A body under the limit goes through (to UNIMPLEMENTED here).
	resp, body = do(t, "POST", f.url+"/mlops/models/train", `{"model_id":"m"}`, nil)
	if resp.StatusCode != 501 {
		t.Errorf("small body: %d %s", resp.StatusCode, body)
	}
}

func TestHealthFollowsBackend(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/health", "/healthz"} {
		resp, body := do(t, "GET", f.url+path, "", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `"status":"SERVING"`) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	f.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if resp, body := do(t, "GET", f.url+"/health", "", nil); resp.StatusCode != 503 || !strings.Contains(body, "NOT_SERVING") {
		t.Errorf("NOT_SERVING backend: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", f.url+"/health?service=no.such.Service", "", nil); resp.StatusCode != 404 {
		t.Errorf("unknown service: %d %s", resp.StatusCode, body)
	}
}

func TestHealthWhenBackendIsDown(t *testing.T) {
	f := newFixture(t, func(c *config) { c.backend = closedPort(t) })
	resp, body := do(t, "GET", f.url+"/health", "", nil)
	if resp.StatusCode != 503 || !strings.Contains(body, "UNREACHABLE") {
		t.Errorf("/health: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", f.url+"/mlops/health", "", nil)
	if st := decodeStatus(t, body); resp.StatusCode != 503 || st.Code != int(codes.Unavailable) {
		t.Errorf("/mlops/health: %d %s", resp.StatusCode, body)
	}
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func TestMetricsPassThrough(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := do(t, "GET", f.url+"/metrics", "", nil)
	if resp.StatusCode != 200 || body != "up 1\n" || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4" {
		t.Errorf("/metrics: %d %q %v", resp.StatusCode, body, resp.Header)
	}
}

func TestStreamIsNewlineDelimitedJSON(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := do(t, "GET", f.url+"/mlops/system-performance:watch?max_samples=3", "", nil)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if resp.StatusCode != 200 || len(lines) != 3 {
		t.Fatalf("%d, %d lines: %q", resp.StatusCode, len(lines), body)
	}
	for i, line := range lines {
		var chunk struct {
			Result struct {
				Threads int `json:"threads"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &chunk); err != nil || chunk.Result.Threads != i+1 {
			t.Errorf("line %d = %q (%v)", i, line, err)
		}
	}
	_, body = do(t, "GET", f.url+"/mlops/system-performance:watch?max_samples=1", "", nil)
	if !strings.Contains(body, `"error":`) || !strings.Contains(body, "watch failed on purpose") {
		t.Errorf("stream error not reported in-band: %q", body)
	}
}

func TestStreamAsServerSentEvents(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := do(t, "GET", f.url+"/mlops/system-performance:watch?max_samples=1", "",
		map[string]string{"Accept": "text/event-stream"})
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	if len(events) != 2 || !strings.HasPrefix(events[0], `data: {"`) ||
		!strings.HasPrefix(events[1], "event: error\ndata: {") || !strings.Contains(events[1], "on purpose") {
		t.Errorf("events: %q", events)
	}
	// An error before any message still gets its HTTP status, as an event.
	resp, body = do(t, "GET", f.url+"/mlops/dashboard", "", map[string]string{"Accept": "text/event-stream"})
	if resp.StatusCode != 501 || !strings.HasPrefix(body, "event: error\ndata: {") || !strings.HasSuffix(body, "}\n\n") {
		t.Errorf("unary error as SSE: %d %q", resp.StatusCode, body)
	}
}

func TestSSEEventFraming(t *testing.T) {
	got := string(sseEvent("error", []byte("{\"a\":1}\n{\"b\":2}\n")))
	if want := "event: error\ndata: {\"a\":1}\ndata: {\"b\":2}"; got != want {
		t.Errorf("sseEvent = %q, want %q", got, want)
	}
}

func TestClientDisconnectCancelsBackendStream(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.url+"/mlops/system-performance:watch", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, `"result"`) {
		t.Fatalf("first line %q: %v", line, err)
	}
	cancel()
	resp.Body.Close()
	select {
	case err := <-f.backend.watchEnded:
		if status.Code(err) != codes.Canceled && err != context.Canceled {
			t.Errorf("backend stream ended with %v, want cancelled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the backend stream was still running 5 s after the client went away")
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := do(t, "GET", f.url+"/openapi.json", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/openapi.json: %d", resp.StatusCode)
	}
	var doc struct {
		Swagger string                               `json:"swagger"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Swagger != "2.0" {
		t.Fatalf("not an OpenAPI v2 document: %v", err)
	}
	for _, p := range []string{"/health", "/healthz", "/openapi.json", "/mlops/health", "/mlops/models/train",
		"/mlops/models/{model_id}/predict", "/mlops/system-performance:watch", "/metrics"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("path %s is not documented", p)
		}
	}
	// Proto comments become descriptions.
	if s, _ := doc.Paths["/mlops/health"]["get"]["summary"].(string); !strings.Contains(s, "serving status") {
		t.Errorf("GET /mlops/health summary = %q", s)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	env := map[string]string{"AIA_GATEWAY_REQUEST_TIMEOUT": "soon"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		args []string
		env  func(string) string
		want string
	}{
		{[]string{"--listen", "8080"}, nil, "listen"},
		{[]string{"--backend", "h:99999"}, nil, "65535"},
		{[]string{"--max-body-bytes", "-1"}, nil, "max-body-bytes"},
		{[]string{"--log-format", "xml"}, nil, "text, json"},
		{[]string{"stray"}, nil, `unexpected argument "stray"`},
		{nil, getenv, "AIA_GATEWAY_REQUEST_TIMEOUT"},
	}
	for _, c := range cases {
		g := c.env
		if g == nil {
			g = func(string) string { return "" }
		}
		_, err := parseConfig(c.args, g, io.Discard)
		if _, ok := err.(*usageError); !ok || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want a usage error mentioning %q", c.args, err, c.want)
		}
	}
	// A flag wins over its variable.
	env = map[string]string{"AIA_GATEWAY_LISTEN": "127.0.0.1:9000"}
	cfg, err := parseConfig([]string{"--listen", "127.0.0.1:9001"}, getenv, io.Discard)
	if err != nil || cfg.listen != "127.0.0.1:9001" {
		t.Errorf("flag over env: %v %q", err, cfg.listen)
	}
	if cfg, _ = parseConfig(nil, getenv, io.Discard); cfg.listen != "127.0.0.1:9000" {
		t.Errorf("env: %q", cfg.listen)
	}
	if cfg, err = parseConfig([]string{"--version"}, getenv, io.Discard); err != nil || !cfg.showVersion {
		t.Errorf("--version: %v", err)
	}
	if v := versionLine(); !strings.HasPrefix(v, "aia-gateway "+version+" (") {
		t.Errorf("versionLine() = %q", v)
	}
	if size, err := parseSize("4MiB"); err != nil || size != 4<<20 {
		t.Errorf("parseSize(4MiB) = %d, %v", size, err)
	}
}
