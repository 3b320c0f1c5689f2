/* lib/train/load.c — a data URI read into a typed frame, for callers
 * outside a training job (drift monitors read reference and current
 * batches the same way training reads its data). */
#include <string.h>
#include <unistd.h>

#include "lib/data/csv.h"
#include "lib/train/train.h"
#include "lib/train/train_internal.h"

aia_status aia_train_load_csv(const char *field, const char *uri, const aia_train_options *opt,
                              const aia_csv_schema_entry *schema, size_t n_schema, aia_frame **out,
                              char sha256[65], aia_error *err)
{
    *out = NULL;
    if (!uri || !*uri) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: empty URI", field);
    train_local_file f;
    if (train_fetch(field, uri, opt, "load", NULL, NULL, &f, err) != AIA_OK) return err->code;
    aia_csv_options o;
    aia_csv_options_init(&o);
    o.schema = schema;
    o.schema_len = n_schema;
    o.name = uri;
    aia_status st = aia_csv_read_file(f.path, &o, out, err);
    if (f.downloaded) unlink(f.path);
    if (st != AIA_OK) {
        aia_error_prefix(err, "%s", field);
        return st;
    }
    if (sha256) memcpy(sha256, f.sha256, 65);
    return AIA_OK;
}
