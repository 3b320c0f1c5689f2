/* lib/llm/wire_internal.h — helpers shared by the wire format files. Not
 * part of the public interface. All reentrant. */
#ifndef AIA_LLM_WIRE_INTERNAL_H
#define AIA_LLM_WIRE_INTERNAL_H

#include "lib/llm/wire.h"

/* Appends `"key":` (key must be plain ASCII) after a comma when *first is 0. */
void wire_key(aia_strbuf *sb, int *first, const char *key);
/* Appends a JSON string after checking it is UTF-8; `field` names it in the error. */
aia_status wire_string(aia_strbuf *sb, const char *s, size_t n, const char *field, aia_error *err);
/* Appends a finite double in the shortest form that reads back exactly. */
void wire_double(aia_strbuf *sb, double v);
/* Appends n bytes as a base64 (RFC 4648, padded) JSON string. */
void wire_base64(aia_strbuf *sb, const unsigned char *data, size_t n);
/* Checks the generation config's ranges (shared by both providers). */
aia_status wire_check_config(const aia_llm_generation_config *c, aia_error *err);
/* AIA_RESOURCE_EXHAUSTED when the buffer ran out of memory, else AIA_OK. */
aia_status wire_check_oom(const aia_strbuf *sb, aia_error *err);

/* Parses an upstream JSON document; AIA_INTERNAL "<what>: line L, column C: ..." on error. */
aia_status wire_parse(const char *json, size_t len, aia_arena *arena, const char *what, aia_json_value **out,
                      aia_error *err);
/* A non-negative integer member (absent → *out = 0, AIA_OK); AIA_INTERNAL naming `path` otherwise. */
aia_status wire_count(const aia_json_value *obj, const char *key, const char *path, int64_t *out,
                      aia_error *err);
/* A string member: absent or null → *out = NULL, AIA_OK; AIA_INTERNAL
 * naming `path` when it is another type. *out points into obj's arena. */
aia_status wire_opt_string(const aia_json_value *obj, const char *key, const char *path, const char **out,
                           aia_error *err);
/* Type errors in upstream documents, naming the field. */
aia_status wire_type_error(const char *path, const char *want, aia_error *err);

#endif
