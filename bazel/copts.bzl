"""Compiler options for AIA's own C code (not for generated code)."""

AIA_COPTS = [
    "-std=c11",
    "-D_GNU_SOURCE",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
    "-Wno-unused-parameter",
]

# protoc-c output: C11, warnings on but not fatal-worthy style ones.
GENERATED_COPTS = [
    "-std=c11",
    "-w",
]
