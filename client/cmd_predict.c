/* client/cmd_predict.c — `aia models predict`: rows from the command line,
 * a JSON Lines file or a CSV file, sent to a model or an endpoint, printed
 * as a table or as one PredictResponse.
 *
 * Rows typed as JSON (--instance, --instances-file) go as Predict's
 * `instances`, one google.protobuf.Struct each, exactly as written. A CSV
 * goes through the engine's own reader (lib/data/csv.h), so its cells are
 * typed the way training typed them, and is sent as a columnar `batch`
 * (numbers for numeric columns, strings for categorical ones, 0/1 for
 * boolean ones, a missing mask where cells are empty): the compact form
 * for many rows. Large inputs go in requests of --batch-size rows on one
 * connection; the answers are merged into one response (predictions in
 * input order, durations summed), so the output does not depend on the
 * batch size.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli_commands.h"
#include "client/cli_format.h"
#include "client/cli_groups.h"
#include "client/cli_output.h"
#include "client/cli_rpc.h"
#include "google/protobuf/struct.pb-c.h"
#include "lib/base/arena.h"
#include "lib/data/csv.h"
#include "lib/pbjson/pbjson.h"

#define DEFAULT_BATCH_ROWS 1000
#define TOP_PROBABILITIES 3

/* The rows to send: JSON instances, or a CSV frame. */
typedef struct rows {
    Google__Protobuf__Struct **instances;
    size_t n_instances;
    aia_frame *frame;
    int *send_column; /* per frame column: 0 when --drop names it */
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n_instances; i++) protobuf_c_message_free_unpacked(&r->instances[i]->base, NULL);
    free(r->instances);
    aia_frame_free(r->frame);
    free(r->send_column);
}

/* One JSON object into a Struct; `where` prefixes the error. */
static int add_instance(rows *r, const char *json, size_t len, const char *where, aia_error *err)
{
    Google__Protobuf__Struct **grown = realloc(r->instances, (r->n_instances + 1) * sizeof *grown);
    if (!grown) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
    r->instances = grown;
    ProtobufCMessage *m;
    if (aia_pbjson_decode(&google__protobuf__struct__descriptor, json, len, NULL, NULL, &m, err) != AIA_OK) {
        aia_error_prefix(err, "%s: not a JSON object of feature values", where);
        return -1;
    }
    r->instances[r->n_instances++] = (Google__Protobuf__Struct *)m;
    return 0;
}

/* Reads `path` ("-" = stdin) whole, up to AIA_CLI_MAX_STDIN bytes. */
static int read_input(const char *what, const char *path, FILE *in, aia_strbuf *sb, aia_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? in : fopen(path, "rb");
    if (!f) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s %s: cannot open: %s", what, path, strerror(errno)), -1;
    int rc = aia_cli_read_all(f, sb);
    if (f != in) fclose(f);
    if (rc != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s %s: read error, or larger than %u MiB", what, path,
                             AIA_CLI_MAX_STDIN >> 20),
               -1;
    return 0;
}

/* JSON Lines: one object per line, blank lines skipped. */
static int read_jsonl(rows *r, const char *path, FILE *in, aia_error *err)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    if (read_input("--instances-file", path, in, &sb, err) != 0) {
        aia_strbuf_free(&sb);
        return -1;
    }
    const char *p = aia_strbuf_cstr(&sb), *end = p + sb.len;
    int rc = 0;
    for (size_t line = 1; p < end && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t k = 0;
        while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) k++;
        if (k < len) {
            char where[600];
            snprintf(where, sizeof where, "%s:%zu", path, line);
            rc = add_instance(r, p, len, where, err);
        }
        p += len + 1;
    }
    aia_strbuf_free(&sb);
    if (rc == 0 && r->n_instances == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "--instances-file %s: no rows (one JSON object per line)", path),
               -1;
    return rc;
}

static int read_csv(rows *r, const aia_cli_sub *s, FILE *in, aia_error *err)
{
    const char *path = aia_cli_opt(s, "--csv");
    aia_status st;
    if (strcmp(path, "-") == 0) {
        aia_strbuf sb = AIA_STRBUF_INIT;
        if (read_input("--csv", path, in, &sb, err) != 0) {
            aia_strbuf_free(&sb);
            return -1;
        }
        aia_csv_options o;
        aia_csv_options_init(&o);
        o.name = "<stdin>";
        st = aia_csv_read_buffer(aia_strbuf_cstr(&sb), sb.len, &o, &r->frame, err);
        aia_strbuf_free(&sb);
    } else {
        st = aia_csv_read_file(path, NULL, &r->frame, err);
    }
    if (st != AIA_OK) return aia_error_prefix(err, "--csv"), -1;
    size_t ncols = aia_frame_n_cols(r->frame);
    if (!(r->send_column = malloc(ncols * sizeof *r->send_column)))
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
    for (size_t c = 0; c < ncols; c++) r->send_column[c] = 1;
    const char *drop = aia_cli_opt(s, "--drop");
    if (!drop) return 0;
    char **names;
    size_t n;
    if (aia_cli_split_list("--drop", drop, &names, &n, err) != 0) return -1;
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        size_t col;
        if (aia_frame_find(r->frame, names[k], &col, err) != AIA_OK) rc = (aia_error_prefix(err, "--drop"), -1);
        else r->send_column[col] = 0;
    }
    aia_cli_strv_free(names);
    return rc;
}

/* Exactly one source of rows. */
static int read_rows(rows *r, const aia_cli_sub *s, FILE *in, aia_error *err)
{
    int kinds = (aia_cli_opt(s, "--instance") != NULL) + (aia_cli_opt(s, "--instances-file") != NULL) +
                (aia_cli_opt(s, "--csv") != NULL);
    if (kinds != 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "models predict needs exactly one of --instance JSON (repeatable), --instances-file "
                             "FILE.jsonl or --csv FILE.csv"),
               -1;
    if (aia_cli_opt(s, "--drop") && !aia_cli_opt(s, "--csv"))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "--drop applies to --csv only"), -1;
    if (aia_cli_opt(s, "--csv")) return read_csv(r, s, in, err);
    if (aia_cli_opt(s, "--instances-file")) return read_jsonl(r, aia_cli_opt(s, "--instances-file"), in, err);
    size_t pos = 0, k = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--instance", &pos));) {
        char where[64];
        snprintf(where, sizeof where, "--instance #%zu", ++k);
        if (add_instance(r, v, strlen(v), where, err) != 0) return -1;
    }
    return 0;
}

static size_t rows_count(const rows *r)
{
    return r->frame ? aia_frame_n_rows(r->frame) : r->n_instances;
}

/* One column of rows [r0, r1) of the frame, allocated from `ar`. */
static Aia__V1__FeatureColumn *batch_column(aia_arena *ar, const aia_column *col, size_t r0, size_t r1)
{
    size_t n = r1 - r0;
    Aia__V1__FeatureColumn *fc = aia_arena_alloc(ar, sizeof *fc);
    if (!fc) return NULL;
    aia__v1__feature_column__init(fc);
    fc->name = col->name;
    if (col->type == AIA_COLUMN_NUMERIC) {
        fc->numbers = col->numeric + r0; /* NaN marks the missing cells */
        fc->n_numbers = n;
        return fc;
    }
    if (col->type == AIA_COLUMN_BOOLEAN) {
        if (!(fc->numbers = aia_arena_alloc(ar, n * sizeof *fc->numbers))) return NULL;
        for (size_t i = 0; i < n; i++)
            fc->numbers[i] = (col->missing[(r0 + i) / 64] >> ((r0 + i) % 64)) & 1 ? NAN : col->boolean[r0 + i];
        fc->n_numbers = n;
        return fc;
    }
    if (!(fc->strings = aia_arena_alloc(ar, n * sizeof *fc->strings))) return NULL;
    fc->n_strings = n;
    if (col->n_missing && !(fc->missing = aia_arena_alloc(ar, n * sizeof *fc->missing))) return NULL;
    if (fc->missing) fc->n_missing = n;
    for (size_t i = 0; i < n; i++) {
        int32_t code = col->codes[r0 + i];
        fc->strings[i] = code >= 0 ? col->dictionary[code] : "";
        if (fc->missing) fc->missing[i] = code < 0;
    }
    return fc;
}

/* Rows [r0, r1) into req, allocated from `ar`; -1 when out of memory. */
static int fill_rows(aia_arena *ar, const rows *r, size_t r0, size_t r1, Aia__V1__PredictRequest *req,
                     Aia__V1__ColumnarBatch *batch)
{
    if (!r->frame) {
        req->instances = r->instances + r0;
        req->n_instances = r1 - r0;
        return 0;
    }
    size_t ncols = aia_frame_n_cols(r->frame);
    if (!(batch->columns = aia_arena_alloc(ar, ncols * sizeof *batch->columns))) return -1;
    batch->n_columns = 0;
    for (size_t c = 0; c < ncols; c++) {
        if (!r->send_column[c]) continue;
        Aia__V1__FeatureColumn *fc = batch_column(ar, aia_frame_column(r->frame, c), r0, r1);
        if (!fc) return -1;
        batch->columns[batch->n_columns++] = fc;
    }
    req->batch = batch;
    return 0;
}

/* ---- output ---------------------------------------------------------------- */

typedef struct merged {
    Aia__V1__PredictResponse resp; /* borrows predictions from `parts` */
    Google__Protobuf__Duration inference, total;
    Aia__V1__PredictResponse **parts;
    size_t n_parts;
} merged;

static void add_duration(Google__Protobuf__Duration *sum, const Google__Protobuf__Duration *d)
{
    if (!d) return;
    int64_t nanos = (int64_t)sum->nanos + d->nanos;
    sum->seconds += d->seconds + nanos / 1000000000;
    sum->nanos = (int32_t)(nanos % 1000000000);
}

static int merge(merged *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_parts; i++) n += m->parts[i]->n_predictions;
    aia__v1__predict_response__init(&m->resp);
    google__protobuf__duration__init(&m->inference);
    google__protobuf__duration__init(&m->total);
    if (n && !(m->resp.predictions = malloc(n * sizeof *m->resp.predictions))) return -1;
    for (size_t i = 0; i < m->n_parts; i++) {
        const Aia__V1__PredictResponse *p = m->parts[i];
        memcpy(m->resp.predictions + m->resp.n_predictions, p->predictions, p->n_predictions * sizeof *p->predictions);
        m->resp.n_predictions += p->n_predictions;
        add_duration(&m->inference, p->inference_duration);
        add_duration(&m->total, p->total_duration);
    }
    m->resp.endpoint_id = m->n_parts ? m->parts[0]->endpoint_id : "";
    m->resp.inference_duration = &m->inference;
    m->resp.total_duration = &m->total;
    return 0;
}

typedef struct prob {
    const char *label;
    double p;
} prob;

static int by_probability(const void *a, const void *b)
{
    const prob *x = a, *y = b;
    return x->p < y->p ? 1 : x->p > y->p ? -1 : strcmp(x->label, y->label);
}

/* The largest class probabilities, "malignant=0.98 benign=0.02". */
static void top_probabilities(aia_strbuf *sb, const Aia__V1__Prediction *p)
{
    prob *v = malloc((p->n_probabilities ? p->n_probabilities : 1) * sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < p->n_probabilities; i++) v[i] = (prob){p->probabilities[i]->key, p->probabilities[i]->value};
    qsort(v, p->n_probabilities, sizeof *v, by_probability);
    for (size_t i = 0; i < p->n_probabilities && i < TOP_PROBABILITIES; i++) {
        aia_strbuf_printf(sb, "%s%s=", i ? " " : "", v[i].label);
        aia_cli_format_number(sb, v[i].p);
    }
    if (p->n_probabilities > TOP_PROBABILITIES) aia_strbuf_puts(sb, " ...");
    free(v);
}

/* The probability of the predicted label: from the class probabilities,
 * which always carry it, else `value`. */
static double label_probability(const Aia__V1__Prediction *p)
{
    double v = p->value;
    for (size_t i = 0; i < p->n_probabilities; i++)
        if (strcmp(p->probabilities[i]->key, p->label) == 0) v = p->probabilities[i]->value;
    return v;
}

static void view_predictions(FILE *out, const Aia__V1__PredictResponse *r)
{
    int classification = 0;
    for (size_t i = 0; i < r->n_predictions; i++) classification |= r->predictions[i]->label[0] != '\0';
    static const char *const cls[] = {"ROW", "LABEL", "PROBABILITY", "PROBABILITIES", "MODEL", "PREDICTION ID", NULL};
    static const char *const reg[] = {"ROW", "VALUE", "MODEL", "PREDICTION ID", NULL};
    aia_cli_table *t = aia_cli_table_new(classification ? cls : reg);
    for (size_t i = 0; i < r->n_predictions; i++) {
        const Aia__V1__Prediction *p = r->predictions[i];
        aia_strbuf value = AIA_STRBUF_INIT, probs = AIA_STRBUF_INIT;
        aia_cli_format_number(&value, classification ? label_probability(p) : p->value);
        aia_cli_table_cell(t, "%zu", i + 1);
        if (classification) {
            top_probabilities(&probs, p);
            aia_cli_table_cell(t, "%s", p->label);
            aia_cli_table_cell(t, "%s", aia_strbuf_cstr(&value));
            aia_cli_table_cell(t, "%s", aia_strbuf_cstr(&probs));
        } else {
            aia_cli_table_cell(t, "%s", aia_strbuf_cstr(&value));
        }
        aia_cli_table_cell(t, "%s@%d", p->model_id, p->model_version);
        aia_cli_table_cell(t, "%s", p->prediction_id);
        aia_strbuf_free(&value);
        aia_strbuf_free(&probs);
    }
    aia_cli_table_done(out, t, NULL);
    fflush(out);
}

/* ---- the command ------------------------------------------------------------- */

static int check_target(const aia_cli_sub *s, size_t *batch_rows, aia_error *err)
{
    int has_model = s->n_args == 1, has_endpoint = aia_cli_opt(s, "--endpoint") != NULL;
    if (has_model == has_endpoint)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             has_model ? "models predict: give MODEL_REF or --endpoint ID, not both"
                                       : "models predict needs MODEL_REF (model, model@version or model@alias) or "
                                         "--endpoint ID"),
               -1;
    long long n = DEFAULT_BATCH_ROWS;
    if (aia_cli_opt_int(s, "--batch-size", 1, 1000000, &n, err) != 0) return -1;
    *batch_rows = (size_t)n;
    return 0;
}

/* Sends every row, batch by batch, on one connection; keeps the answers. */
static int send_rows(const aia_cli_args *a, const rows *r, size_t batch_rows, merged *m, FILE *errf)
{
    size_t total = rows_count(r), nparts = (total + batch_rows - 1) / batch_rows;
    if (!(m->parts = calloc(nparts ? nparts : 1, sizeof *m->parts))) return AIA_CLI_EXIT_FAILED;
    aia_client *c;
    if (aia_cli_rpc_open(a, &c, errf) != 0) return AIA_CLI_EXIT_FAILED;
    int rc = AIA_CLI_EXIT_OK;
    for (size_t r0 = 0; r0 < total && rc == 0; r0 += batch_rows) {
        size_t r1 = r0 + batch_rows < total ? r0 + batch_rows : total;
        Aia__V1__PredictRequest req = AIA__V1__PREDICT_REQUEST__INIT;
        Aia__V1__ColumnarBatch batch = AIA__V1__COLUMNAR_BATCH__INIT;
        aia_arena ar;
        aia_arena_init(&ar, 0);
        req.model_id = (char *)(a->sub.n_args ? a->sub.args[0] : "");
        req.endpoint_id = (char *)aia_cli_opt_or(&a->sub, "--endpoint", "");
        req.routing_key =
            (char *)aia_cli_opt_or(&a->sub, "--routing-key", "");
        ProtobufCMessage *resp = NULL;
        if (fill_rows(&ar, r, r0, r1, &req, &batch) != 0) {
            aia_cli_print_status_error(errf, AIA_RESOURCE_EXHAUSTED, "out of memory building the request");
            rc = AIA_CLI_EXIT_FAILED;
        } else {
            rc = aia_cli_rpc_unary_on(a, c, &aia__v1__model_service__descriptor, "Predict", &req.base, &resp, errf);
        }
        if (resp) m->parts[m->n_parts++] = (Aia__V1__PredictResponse *)resp;
        aia_arena_destroy(&ar);
    }
    aia_client_close(c);
    return rc;
}

int aia_cli_cmd_predict(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    rows r = {0};
    size_t batch_rows;
    aia_error err;
    if (check_target(&a->sub, &batch_rows, &err) != 0 || read_rows(&r, &a->sub, in, &err) != 0) {
        rows_free(&r);
        return aia_cli_usage_failed(errf, &err);
    }
    merged m = {0};
    int rc = send_rows(a, &r, batch_rows, &m, errf);
    if (rc == 0 && merge(&m) != 0) {
        aia_cli_print_status_error(errf, AIA_RESOURCE_EXHAUSTED, "out of memory merging the answers");
        rc = AIA_CLI_EXIT_FAILED;
    }
    if (rc == 0) {
        if (a->json) rc = aia_cli_rpc_write_json(a, out, errf, &m.resp.base);
        else view_predictions(out, &m.resp);
    }
    free(m.resp.predictions);
    for (size_t i = 0; i < m.n_parts; i++) protobuf_c_message_free_unpacked(&m.parts[i]->base, NULL);
    free(m.parts);
    rows_free(&r);
    return rc;
}

const aia_cli_option aia_cli_predict_options[] = {
    {"--endpoint", AIA_CLI_VALUE}, {"--routing-key", AIA_CLI_VALUE}, {"--instance", AIA_CLI_REPEAT},
    {"--instances-file", AIA_CLI_VALUE}, {"--csv", AIA_CLI_VALUE}, {"--drop", AIA_CLI_VALUE},
    {"--batch-size", AIA_CLI_VALUE}, {NULL, 0},
};

const char aia_cli_predict_help[] =
    "MODEL_REF is MODEL_ID (its production alias if set, else the latest version),\n"
    "MODEL_ID@VERSION or MODEL_ID@ALIAS. Or send to an endpoint instead, whose\n"
    "traffic split picks the version for each request.\n"
    "\n"
    "rows (exactly one kind):\n"
    "  --instance JSON          one row as a JSON object of feature values, e.g.\n"
    "                           '{\"age\": 41, \"plan\": \"pro\"}' (repeatable); null or\n"
    "                           absent features are missing values\n"
    "  --instances-file FILE    JSON Lines: one such object per line (- = stdin)\n"
    "  --csv FILE               a CSV with a header row (- = stdin), typed as training\n"
    "                           types it; every column is sent as a feature\n"
    "options:\n"
    "  --drop COL,...           CSV columns not to send, e.g. the target column\n"
    "  --endpoint ID            predict with endpoint ID instead of MODEL_REF\n"
    "  --routing-key K          with --endpoint: the same key always gets the same\n"
    "                           deployment while the split is unchanged\n"
    "  --batch-size N           rows per request (default 1000); the answers are\n"
    "                           merged, so the output is the same for any N\n"
    "\n"
    "Prints a table, one line per row in input order. Classification: ROW, LABEL,\n"
    "PROBABILITY (of the label), PROBABILITIES (the three largest), MODEL\n"
    "(model@version that served the row), PREDICTION ID (which ground truth\n"
    "reported later refers to). Regression: ROW, VALUE, MODEL, PREDICTION ID.\n"
    "With --json: one PredictResponse holding every row.\n";
