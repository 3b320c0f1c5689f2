"""Proto code generation with protoc + protoc-c, offline.

c_proto_library(name, protos, deps) runs protoc's C plugin (protoc-c) on
`protos`, a list of import paths (e.g. "aia/v1/system.proto"), and wraps the
generated .pb-c.c/.pb-c.h files in a cc_library whose include root is the
generation directory, so code includes "aia/v1/system.pb-c.h" exactly as the
generated files include each other.

proto_descriptor_set(name, protos, out) writes a FileDescriptorSet with
--include_imports and source info (comments), which aia-server serves over
reflection.

Import paths are resolved against these roots, in this order (a proto
outside them, such as a test's, is named by its workspace path and passed in
`extra_srcs`):
  proto/                           AIA's own contract
  proto/third_party/               small wire-compatible protos Debian lacks
  /usr/include                     libprotobuf-dev well-known types
  /usr/share/grpc-proto            grpc health and reflection
  grpc-gateway's googleapis copy   google/api annotations and http
  the workspace root               test protos, e.g. "tests/unit/x.proto"
"""

load("//bazel:copts.bzl", "GENERATED_COPTS")

_PROTO_INPUTS = [
    "//proto:all_protos",
    "@system_protobuf_protos//:protos",
    "@system_grpc_protos//:protos",
    "@system_googleapis_protos//:protos",
]

_INCLUDE_FLAGS = " ".join([
    "-I$$(dirname $(location //proto:root_marker))",
    "-I$$(dirname $(location //proto:root_marker))/third_party",
    "-Iexternal/system_protobuf_protos",
    "-Iexternal/system_grpc_protos",
    "-Iexternal/system_googleapis_protos",
    "-I.",
])

def _stem(path):
    if not path.endswith(".proto"):
        fail("not a .proto import path: " + path)
    return path[:-len(".proto")]

def c_proto_library(name, protos, deps = [], extra_srcs = [], visibility = None):
    srcs = ["gen/" + _stem(p) + ".pb-c.c" for p in protos]
    hdrs = ["gen/" + _stem(p) + ".pb-c.h" for p in protos]
    native.genrule(
        name = name + "_codegen",
        srcs = _PROTO_INPUTS + extra_srcs + ["//proto:root_marker"],
        outs = srcs + hdrs,
        cmd = "protoc %s --c_out=$(RULEDIR)/gen %s" % (_INCLUDE_FLAGS, " ".join(protos)),
        message = "protoc-c " + name,
    )
    native.cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        includes = ["gen"],
        copts = GENERATED_COPTS,
        deps = deps + ["//bazel:protobuf_c"],
        visibility = visibility,
    )

def proto_descriptor_set(name, protos, out, visibility = None):
    native.genrule(
        name = name,
        srcs = _PROTO_INPUTS + ["//proto:root_marker"],
        outs = [out],
        cmd = "protoc %s --include_imports --include_source_info --descriptor_set_out=$@ %s" % (_INCLUDE_FLAGS, " ".join(protos)),
        message = "protoc descriptor set " + name,
        visibility = visibility,
    )

def embedded_file(name, src, symbol, visibility = None):
    """A cc_library exposing `src`'s bytes as `symbol` and `symbol`_len."""
    native.genrule(
        name = name + "_embed",
        srcs = [src],
        outs = [name + ".c"],
        tools = ["//bazel:embed_file.sh"],
        cmd = "$(location //bazel:embed_file.sh) $(location %s) $@ %s" % (src, symbol),
    )
    native.cc_library(
        name = name,
        srcs = [name + ".c"],
        copts = GENERATED_COPTS,
        visibility = visibility,
    )
