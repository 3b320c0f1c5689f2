/* lib/train/load.c — a data URI read into a typed frame, for callers
 * outside a training job (drift monitors read reference and current
 * batches the same way training reads its data). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/strbuf.h"
#include "lib/data/csv.h"
#include "lib/train/train.h"
#include "lib/train/train_internal.h"

static int in_header(char *const *names, size_t n, const char *column)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], column) == 0) return 1;
    return 0;
}

/* Checks the required columns against the file's header and keeps the
 * schema entries of the columns it has (into `kept`). */
static aia_status match_header(const char *field, const char *uri, const char *path, const aia_csv_schema_entry *schema,
                               size_t n_schema, const char *const *required, size_t n_required,
                               aia_csv_schema_entry *kept, size_t *n_kept, aia_error *err)
{
    aia_arena a;
    aia_arena_init(&a, 4096);
    char **names = NULL;
    size_t n = 0;
    aia_status st = train_csv_header(path, &a, &names, &n, err);
    for (size_t i = 0; st == AIA_OK && i < n_required; i++)
        if (!in_header(names, n, required[i])) {
            aia_strbuf sb;
            aia_strbuf_init(&sb);
            for (size_t j = 0; j < n; j++) aia_strbuf_printf(&sb, "%s%s", j ? ", " : "", names[j]);
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: %s has no column \"%s\" (its columns: %s)", field, uri,
                               required[i], sb.oom ? "?" : sb.data);
            aia_strbuf_free(&sb);
        }
    *n_kept = 0;
    for (size_t i = 0; st == AIA_OK && i < n_schema; i++)
        if (in_header(names, n, schema[i].column)) kept[(*n_kept)++] = schema[i];
    if (st != AIA_OK && err->code != AIA_INVALID_ARGUMENT) aia_error_prefix(err, "%s", field);
    aia_arena_destroy(&a);
    return st;
}

aia_status aia_train_load_csv(const char *field, const char *uri, const aia_train_options *opt,
                              const aia_csv_schema_entry *schema, size_t n_schema, const char *const *required,
                              size_t n_required, aia_frame **out, char sha256[65], aia_error *err)
{
    *out = NULL;
    if (!uri || !*uri) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: empty URI", field);
    train_local_file f;
    if (train_fetch(field, uri, opt, "load", NULL, NULL, &f, err) != AIA_OK) return err->code;
    aia_csv_schema_entry *kept = calloc(n_schema + 1, sizeof *kept);
    size_t n_kept = 0;
    aia_status st = kept ? match_header(field, uri, f.path, schema, n_schema, required, n_required, kept, &n_kept, err)
                         : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    if (st == AIA_OK) {
        aia_csv_options o;
        aia_csv_options_init(&o);
        o.schema = kept;
        o.schema_len = n_kept;
        o.name = uri;
        st = aia_csv_read_file(f.path, &o, out, err);
        if (st != AIA_OK) aia_error_prefix(err, "%s", field);
    }
    free(kept);
    if (f.downloaded) unlink(f.path);
    if (st == AIA_OK && sha256) memcpy(sha256, f.sha256, 65);
    return st;
}
