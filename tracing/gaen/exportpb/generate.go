// Package exportpb holds the protocol buffer messages of the GAEN key export
// file (export.bin and export.sig), generated from export.proto.
//
// Regenerate with protoc and protoc-gen-go v1.36.12 (the version of
// google.golang.org/protobuf in go.mod) on PATH:
//
//	go generate ./tracing/gaen/exportpb
package exportpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative export.proto
