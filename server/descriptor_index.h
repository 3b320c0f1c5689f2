/* server/descriptor_index.h — the build's FileDescriptorSet, indexed.
 *
 * The Bazel build compiles every served .proto (with imports and comments)
 * into one FileDescriptorSet that is embedded in aia-server. This index
 * finds files by name and by the symbols they declare (messages, enums,
 * services, methods, nested types), gives each file's serialized bytes
 * without copying (they point into the embedded blob) and its transitive
 * dependencies, and tells a method's streaming shape. Reflection and the
 * method table use it. Built once at start-up; read-only and thread-safe
 * afterwards.
 */
#ifndef AIA_SERVER_DESCRIPTOR_INDEX_H
#define AIA_SERVER_DESCRIPTOR_INDEX_H

#include <stddef.h>

#include "lib/base/status.h"
#include "server/method.h"

typedef struct aia_descriptor_index aia_descriptor_index;

/* Parses `blob` (a serialized FileDescriptorSet that must outlive the
 * index). Fails with AIA_DATA_LOSS naming the problem on malformed input. */
aia_status aia_descriptor_index_create(const unsigned char *blob, size_t len, aia_descriptor_index **out,
                                       aia_error *err);
void aia_descriptor_index_destroy(aia_descriptor_index *idx);

/* Index of the file named `name` ("aia/v1/system.proto"), or -1. */
int aia_descriptor_index_find_file(const aia_descriptor_index *idx, const char *name);
/* Index of the file declaring the fully qualified `symbol`, or -1. A
 * leading '.' is ignored. */
int aia_descriptor_index_find_symbol(const aia_descriptor_index *idx, const char *symbol);

/* File `i`'s serialized FileDescriptorProto. */
void aia_descriptor_index_file_bytes(const aia_descriptor_index *idx, int i, const unsigned char **bytes,
                                     size_t *len);
/* Writes file `i` first, then its transitive dependencies breadth-first,
 * each once, into out[0..*n) (out has room for every file: use
 * aia_descriptor_index_file_count()). Reflection clients resolve imports by
 * name, so no other order is promised. */
void aia_descriptor_index_closure(const aia_descriptor_index *idx, int i, int *out, size_t *n);
size_t aia_descriptor_index_file_count(const aia_descriptor_index *idx);

/* Index of the file declaring extension `number` of message `type`
 * ("google.protobuf.MethodOptions"), or -1. */
int aia_descriptor_index_find_extension(const aia_descriptor_index *idx, const char *type, int number);
/* Writes up to `max` extension numbers of `type` into out; returns how many
 * exist. */
size_t aia_descriptor_index_extension_numbers(const aia_descriptor_index *idx, const char *type, int *out,
                                              size_t max);

/* The streaming shape of `service`.`method`; returns -1 when unknown. */
int aia_descriptor_index_method_kind(const aia_descriptor_index *idx, const char *service, const char *method);

#endif
