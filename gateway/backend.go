package main

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// backendCredentials says how the gateway authenticates aia-server and
// itself. The backend is a sidecar on loopback for now, so plaintext; TLS and
// mTLS to the backend arrive with the security issue and plug in here (a CA
// bundle, a client certificate, and the server name to verify), with flags
// added to config.settings.
func backendCredentials(config) (credentials.TransportCredentials, error) {
	return insecure.NewCredentials(), nil
}

// dialBackend opens the one gRPC channel every REST request shares. It does
// not wait for the backend: while it is down, calls fail fast with
// UNAVAILABLE (HTTP 503) and the channel keeps reconnecting, at most
// cfg.maxBackoff apart, so the gateway recovers soon after the server
// returns.
func dialBackend(cfg config, version string) (*grpc.ClientConn, error) {
	creds, err := backendCredentials(cfg)
	if err != nil {
		return nil, err
	}
	bo := backoff.DefaultConfig
	bo.BaseDelay = 100 * time.Millisecond
	bo.MaxDelay = cfg.maxBackoff
	return grpc.NewClient(cfg.backend,
		grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: bo, MinConnectTimeout: cfg.healthTimeout}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.maxMessageBytes)),
		grpc.WithUserAgent("aia-gateway/"+version),
		grpc.WithUnaryInterceptor(defaultDeadline(cfg.requestTimeout)),
	)
}

// defaultDeadline gives unary calls that carry no deadline (the REST client
// sent no Grpc-Timeout header) one of d, so a stuck backend cannot hold a
// request forever. Streams are left alone: a watch may rightly last hours.
func defaultDeadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
