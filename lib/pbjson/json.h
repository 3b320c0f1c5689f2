/* lib/pbjson/json.h — a strict RFC 8259 JSON parser producing a tree.
 *
 * AIA has no JSON library in C, so this is its one parser; lib/pbjson maps
 * the tree onto protobuf-c messages, and other modules may use it for plain
 * JSON. The parser is strict, because its input comes from the network:
 *
 *   - exactly one JSON value, surrounded by optional whitespace; anything
 *     after it is an error ("trailing characters");
 *   - strings must be valid UTF-8 (no overlong forms, no surrogates, nothing
 *     above U+10FFFF), control characters must be escaped, \u escapes must
 *     pair their UTF-16 surrogates; escapes are decoded into UTF-8;
 *   - numbers follow the JSON grammar exactly (no leading zeros, no "+",
 *     no NaN/Infinity literals); their text is kept, not converted, so that
 *     64-bit integers lose no precision;
 *   - an object may not repeat a key ("duplicate key");
 *   - arrays and objects may nest at most `max_depth` levels.
 *
 * Every error message starts with "line L, column C: " (both 1-based,
 * columns count bytes) and, when the error is inside an object or array,
 * names the JSON path of the offending value: `field "instances[2].age": `.
 *
 * Memory: the tree lives in the arena passed in (strings and numbers are
 * copied there, NUL-terminated) and dies with it; the input buffer can be
 * freed as soon as aia_json_parse returns. The parser keeps no global state,
 * so concurrent calls on different arenas are safe. Recursion is bounded
 * by max_depth.
 */
#ifndef AIA_PBJSON_JSON_H
#define AIA_PBJSON_JSON_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/base/strbuf.h"

typedef enum aia_json_type {
    AIA_JSON_NULL,
    AIA_JSON_FALSE,
    AIA_JSON_TRUE,
    AIA_JSON_NUMBER,
    AIA_JSON_STRING,
    AIA_JSON_ARRAY,
    AIA_JSON_OBJECT,
} aia_json_type;

typedef struct aia_json_value aia_json_value;
typedef struct aia_json_member aia_json_member;

struct aia_json_value {
    aia_json_type type;
    size_t offset; /* byte offset of the value's first character in the input */
    /* STRING: decoded length in bytes (the text may hold U+0000);
     * NUMBER: length of the number's text; ARRAY/OBJECT: element count. */
    size_t len;
    union {
        const char *str;           /* STRING (UTF-8) or NUMBER (JSON text), NUL-terminated */
        aia_json_value *items;     /* ARRAY */
        aia_json_member *members;  /* OBJECT, in input order, keys unique */
    } u;
};

struct aia_json_member {
    const char *key; /* decoded UTF-8, NUL-terminated */
    size_t key_len;
    size_t key_offset; /* byte offset of the key's opening quote */
    aia_json_value value;
};

/* Default and ceiling for max_depth. */
#define AIA_JSON_DEFAULT_MAX_DEPTH 64
#define AIA_JSON_MAX_DEPTH_LIMIT 1000

/* Parses `len` bytes of `text` (which need not be NUL-terminated and may
 * contain NULs, which are errors outside strings). max_depth <= 0 means
 * AIA_JSON_DEFAULT_MAX_DEPTH; larger than AIA_JSON_MAX_DEPTH_LIMIT is
 * clamped. On success *out points into the arena. Errors:
 * AIA_INVALID_ARGUMENT for bad JSON, AIA_RESOURCE_EXHAUSTED when the arena
 * runs out of memory. */
aia_status aia_json_parse(const char *text, size_t len, int max_depth, aia_arena *arena,
                          aia_json_value **out, aia_error *err);

/* 1-based line and column (in bytes) of byte `offset` in `text`. */
void aia_json_line_col(const char *text, size_t len, size_t offset, size_t *line, size_t *col);

/* The member of an object with this key, or NULL. Linear. */
const aia_json_value *aia_json_object_get(const aia_json_value *obj, const char *key);

/* A JSON path under construction, for error messages: a stack of object
 * keys and array indices, rendered as `a.b[2]["odd key"]`. Used by the
 * parser and by lib/pbjson; `segs` is caller-provided storage. */
typedef struct aia_json_path_seg {
    const char *key; /* NULL for an array index */
    size_t key_len;
    size_t index;
} aia_json_path_seg;

typedef struct aia_json_path {
    aia_json_path_seg *segs;
    size_t n, cap; /* pushes beyond cap are counted but not stored */
} aia_json_path;

void aia_json_path_push_key(aia_json_path *p, const char *key, size_t key_len);
void aia_json_path_push_index(aia_json_path *p, size_t index);
void aia_json_path_pop(aia_json_path *p);
/* Appends the rendered path (nothing for the empty path). Long paths are
 * shortened in the middle with "...". */
void aia_json_path_render(const aia_json_path *p, aia_strbuf *sb);

/* Fills err with code and "line L, column C: field \"PATH\": <fmt...>" —
 * the position part only when `text` is non-NULL, the field part only for a
 * non-empty path — and returns code. The one error format of the parser,
 * the decoder and the encoder. `err` may be NULL. */
aia_status aia_json_errorv(aia_error *err, aia_status code, const char *text, size_t len, size_t offset,
                           const aia_json_path *path, const char *fmt, va_list ap);

/* Validates UTF-8 (as the parser does); returns the offset of the first bad
 * byte, or `len` when the whole buffer is valid. */
size_t aia_json_utf8_check(const char *s, size_t len);

#endif
