/* lib/train/header.c — a CSV file's column names without reading its data,
 * for aia_train_check(): the first record, split as lib/data/csv.h does
 * (a leading BOM skipped, the delimiter the most frequent of ',', '\t',
 * ';' outside quotes, ties to the earlier, quoted names unquoted).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/train/train_internal.h"

#define HEADER_MAX (1 << 20)

/* The first record's bytes (up to its line end outside quotes). */
static aia_status read_record(const char *path, aia_arena *arena, char **out, size_t *len, aia_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return aia_error_set(err, errno == ENOENT ? AIA_NOT_FOUND : AIA_PERMISSION_DENIED, "%s: %s", path,
                             strerror(errno));
    char *buf = aia_arena_alloc(arena, HEADER_MAX + 1);
    if (!buf) {
        fclose(f);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    size_t n = 0;
    int quoted = 0, c;
    while (n < HEADER_MAX && (c = fgetc(f)) != EOF) {
        if (c == '"') quoted = !quoted;
        if (!quoted && c == '\n') break;
        buf[n++] = (char)c;
    }
    fclose(f);
    if (n > 0 && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        memmove(buf, buf + 3, n - 2);
        n -= 3;
    }
    if (n == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: empty file (no header)", path);
    *out = buf;
    *len = n;
    return AIA_OK;
}

static char detect_delimiter(const char *s, size_t n)
{
    static const char cand[] = {',', '\t', ';'};
    size_t count[3] = {0, 0, 0};
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') quoted = !quoted;
        for (int k = 0; k < 3 && !quoted; k++)
            if (s[i] == cand[k]) count[k]++;
    }
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (count[k] > count[best]) best = k;
    return cand[best];
}

aia_status train_csv_header(const char *path, aia_arena *arena, char ***names, size_t *n_names, aia_error *err)
{
    char *rec = NULL;
    size_t len = 0;
    if (read_record(path, arena, &rec, &len, err) != AIA_OK) return err->code;
    char delim = detect_delimiter(rec, len);
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += rec[i] == delim;
    char **out = aia_arena_calloc(arena, cap, sizeof *out);
    char *field = aia_arena_alloc(arena, len + 1);
    if (!out || !field) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    size_t n = 0, f = 0;
    int quoted = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? rec[i] : delim;
        if (c == '"') {
            if (quoted && i + 1 < len && rec[i + 1] == '"') {
                field[f++] = '"';
                i++;
            } else {
                quoted = !quoted;
            }
        } else if (c == delim && !quoted) {
            if (n < cap) out[n++] = aia_arena_strndup(arena, field, f);
            f = 0;
        } else {
            field[f++] = c;
        }
    }
    *names = out;
    *n_names = n;
    return AIA_OK;
}
