// Command aia-gateway is AIA's REST surface: a grpc-gateway v2 reverse proxy
// that turns the google.api.http annotations of the aia.v1 contract into
// JSON-over-HTTP routes in front of aia-server, and adds what REST callers
// and browsers need: /health and /healthz from the backend's health,
// /openapi.json, Server-Sent Events for streams, request ids and a body
// limit. It holds no state; run it beside aia-server (scripts/run does).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

// version follows aia-server's (server/build_info.h).
const version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}

// run is main with its inputs passed in; ready, when not nil, receives the
// bound address once the gateway accepts connections (tests use it).
// Exit codes: 0 after a clean shutdown, 1 when it cannot start or serve, 2
// for a configuration error.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) int {
	cfg, err := parseConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "aia-gateway: %v\n", err)
		return 2
	}
	if cfg.showVersion {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	log := newLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err := serve(cfg, log, ready); err != nil {
		log.Error("fatal", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// serve runs the gateway until SIGTERM or SIGINT, then drains: new
// connections are refused, requests in flight get --shutdown-timeout to
// finish, and streams still open after that are cut (their backend calls
// are cancelled with them).
func serve(cfg config, log *slog.Logger, ready chan<- string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	conn, err := dialBackend(cfg, version)
	if err != nil {
		return fmt.Errorf("backend %s: %w", cfg.backend, err)
	}
	defer conn.Close()
	handler, err := newHandler(ctx, cfg, conn, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.readHeaderTimeout,
		IdleTimeout:       cfg.idleTimeout,
		// No write timeout: streams legitimately last as long as the caller reads.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// HTTP/1.1, and HTTP/2 over cleartext for clients that speak it with
		// prior knowledge (h2load, gRPC-era proxies).
		Protocols: httpProtocols(),
	}
	log.Info("listening", slog.String("address", ln.Addr().String()), slog.String("backend", cfg.backend),
		slog.String("version", version), slog.Int64("max_body_bytes", cfg.maxBodyBytes))
	if ready != nil {
		ready <- ln.Addr().String()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("signal", slog.String("message", "shutting down"))
	drain, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(drain); err != nil {
		log.Warn("shutdown", slog.String("message", "requests still open after "+cfg.shutdownTimeout.String()+" were cut"))
		_ = srv.Close()
	}
	return nil
}

// versionLine is "aia-gateway 0.1.0 (grpc-gateway v2.33.0, grpc-go v1.85.0, go1.26.8)".
func versionLine() string {
	deps := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			switch d.Path {
			case "github.com/grpc-ecosystem/grpc-gateway/v2":
				deps += "grpc-gateway " + d.Version + ", "
			case "google.golang.org/grpc":
				deps += "grpc-go " + d.Version + ", "
			}
		}
	}
	return fmt.Sprintf("aia-gateway %s (%s%s)", version, deps, runtime.Version())
}

func httpProtocols() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return &p
}
