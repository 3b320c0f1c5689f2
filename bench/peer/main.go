// Command peer is the reference server for bench/: a stock grpc-go server
// with the standard health service (grpc.health.v1.Health) and server
// reflection, nothing else. bench/run.sh measures it with the same ghz
// settings as aia-server, so that BENCHMARKS.md compares like for like.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:50052", "address to listen on (port 0 picks a free port)")
	flag.Parse()

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("peer: listen %s: %v", *listen, err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer() // "" (the whole server) is SERVING
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		hs.Shutdown()
		srv.GracefulStop()
	}()

	fmt.Fprintf(os.Stderr, "peer: listening on %s\n", lis.Addr())
	if err := srv.Serve(lis); err != nil {
		log.Fatalf("peer: serve: %v", err)
	}
}
