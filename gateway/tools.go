//go:build tools

// Package tools pins the protoc plugins that generate gen/ (see generate.sh):
// go.mod records their versions, so `go install` of these paths from this
// module always builds the same generators, and the generated files do not
// change from one machine to the next.
package tools

import (
	_ "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway"
	_ "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2"
	_ "google.golang.org/grpc/cmd/protoc-gen-go-grpc"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
)
