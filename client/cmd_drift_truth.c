/* client/cmd_drift_truth.c — `aia drift truth`: true outcomes of earlier
 * predictions, from --id with --label/--value or from a CSV with the
 * columns prediction_id and label (classification) or value (regression).
 *
 * The CSV goes through the engine's reader (lib/data/csv.h) twice: once to
 * learn which columns it has, then with prediction_id and label forced to
 * text (a label "1" must stay "1", not become a number or a boolean) and
 * value forced to a number. Every row is checked before anything is sent,
 * so a bad file exits 2 naming the row. Rows go in requests of CHUNK rows,
 * well below gRPC's message size limit, and the answers are summed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli_commands.h"
#include "client/cli_output.h"
#include "client/cli_rpc.h"
#include "client/cmd_drift.h"
#include "lib/data/csv.h"

#define CHUNK 10000
#define MAX_UNMATCHED_IDS 100

/* Reads `path` with `schema`. */
static int read_frame(const char *path, const aia_csv_schema_entry *schema, size_t n_schema, aia_frame **out,
                      aia_error *err)
{
    aia_csv_options o;
    aia_csv_options_init(&o);
    o.schema = schema;
    o.schema_len = n_schema;
    if (aia_csv_read_file(path, &o, out, err) != AIA_OK) return aia_error_prefix(err, "--file"), -1;
    return 0;
}

static int has_column(const aia_frame *f, const char *name)
{
    for (size_t c = 0; c < aia_frame_n_cols(f); c++)
        if (strcmp(aia_frame_column(f, c)->name, name) == 0) return 1;
    return 0;
}

/* Which outcome column the file has: "label" or "value". */
static int outcome_column(const aia_frame *f, const char *path, const char **name, aia_error *err)
{
    int label = has_column(f, "label"), value = has_column(f, "value");
    if (!has_column(f, "prediction_id"))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "--file %s: no prediction_id column", path), -1;
    if (label == value)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             label ? "--file %s: has both a label and a value column; keep one"
                                   : "--file %s: needs a label column (classification) or a value column "
                                     "(regression)",
                             path),
               -1;
    *name = label ? "label" : "value";
    return 0;
}

/* The ground truth of row `r`; -1 (err set) when a cell is missing. */
static int truth_of_row(const aia_frame *f, size_t id_col, size_t out_col, size_t r, const char *path,
                        Aia__V1__GroundTruth *g, aia_error *err)
{
    const aia_column *id = aia_frame_column(f, id_col), *oc = aia_frame_column(f, out_col);
    if (aia_frame_is_missing(f, id_col, r) || aia_frame_is_missing(f, out_col, r))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "--file %s: data row %zu has no %s", path, r + 1,
                             aia_frame_is_missing(f, id_col, r) ? "prediction_id" : oc->name),
               -1;
    aia__v1__ground_truth__init(g);
    g->prediction_id = id->dictionary[id->codes[r]];
    if (oc->type == AIA_COLUMN_CATEGORICAL) {
        g->actual_case = AIA__V1__GROUND_TRUTH__ACTUAL_LABEL;
        g->label = oc->dictionary[oc->codes[r]];
    } else {
        g->actual_case = AIA__V1__GROUND_TRUTH__ACTUAL_VALUE;
        g->value = oc->numeric[r];
    }
    return 0;
}

/* Reads the whole file into `*out` (n rows), borrowing strings from *frame. */
static int read_truth_file(aia_arena *ar, const char *path, aia_frame **frame, Aia__V1__GroundTruth **out,
                           size_t *n, aia_error *err)
{
    aia_frame *probe;
    const char *outcome;
    if (strcmp(path, "-") == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "--file -: stdin is not supported (the file is read twice); give a path"),
               -1;
    if (read_frame(path, NULL, 0, &probe, err) != 0) return -1;
    int rc = outcome_column(probe, path, &outcome, err);
    aia_frame_free(probe);
    if (rc != 0) return -1;
    aia_column_type t = strcmp(outcome, "label") == 0 ? AIA_COLUMN_CATEGORICAL : AIA_COLUMN_NUMERIC;
    aia_csv_schema_entry schema[] = {{"prediction_id", AIA_COLUMN_CATEGORICAL}, {outcome, t}};
    if (read_frame(path, schema, 2, frame, err) != 0) return -1;
    size_t id_col = 0, out_col = 0, rows = aia_frame_n_rows(*frame);
    aia_frame_find(*frame, "prediction_id", &id_col, err);
    aia_frame_find(*frame, outcome, &out_col, err);
    Aia__V1__GroundTruth *g = aia_arena_calloc(ar, rows, sizeof *g);
    if (!g) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
    for (size_t r = 0; r < rows; r++)
        if (truth_of_row(*frame, id_col, out_col, r, path, &g[r], err) != 0) return -1;
    *out = g;
    *n = rows;
    return 0;
}

/* --id with --label or --value. */
static int one_truth(const aia_cli_sub *s, Aia__V1__GroundTruth *g, aia_error *err)
{
    const char *id = aia_cli_opt(s, "--id"), *label = aia_cli_opt(s, "--label"), *value = aia_cli_opt(s, "--value");
    if (!*id) return aia_error_set(err, AIA_INVALID_ARGUMENT, "--id is empty: give a prediction_id"), -1;
    if (!label == !value)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             label ? "--id takes --label or --value, not both"
                                   : "--id needs --label L (classification) or --value X (regression)"),
               -1;
    aia__v1__ground_truth__init(g);
    g->prediction_id = (char *)id;
    if (label) {
        g->actual_case = AIA__V1__GROUND_TRUTH__ACTUAL_LABEL;
        g->label = (char *)label;
        return 0;
    }
    g->actual_case = AIA__V1__GROUND_TRUTH__ACTUAL_VALUE;
    return aia_cli_drift_parse_double("--value", value, -INFINITY, INFINITY, 0, &g->value, err);
}

static int check_options(const aia_cli_sub *s, aia_error *err)
{
    int file = aia_cli_opt(s, "--file") != NULL, id = aia_cli_opt(s, "--id") != NULL;
    if (file == id)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             file ? "drift truth takes --file or --id, not both"
                                  : "drift truth needs --file CSV or --id PREDICTION_ID with --label or --value"),
               -1;
    if (file && (aia_cli_opt(s, "--label") || aia_cli_opt(s, "--value")))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s applies to --id only (the file has its own column)",
                             aia_cli_opt(s, "--label") ? "--label" : "--value"),
               -1;
    return 0;
}

/* Sends rows [0, n) in chunks, summing the answers into *sum. */
static int send_all(const aia_cli_args *a, aia_arena *ar, Aia__V1__GroundTruth *g, size_t n,
                    Aia__V1__ReportGroundTruthResponse *sum, FILE *errf)
{
    aia_client *c;
    if (aia_cli_rpc_open(a, &c, errf) != 0) return AIA_CLI_EXIT_FAILED;
    Aia__V1__GroundTruth **ptrs = aia_arena_calloc(ar, n < CHUNK ? n : CHUNK, sizeof *ptrs);
    sum->unmatched_prediction_ids = aia_arena_calloc(ar, MAX_UNMATCHED_IDS, sizeof(char *));
    int rc = ptrs && sum->unmatched_prediction_ids ? AIA_CLI_EXIT_OK : AIA_CLI_EXIT_FAILED;
    for (size_t at = 0; rc == AIA_CLI_EXIT_OK && at < n; at += CHUNK) {
        Aia__V1__ReportGroundTruthRequest req = AIA__V1__REPORT_GROUND_TRUTH_REQUEST__INIT;
        req.model_id = (char *)a->sub.args[0];
        req.n_ground_truth = n - at < CHUNK ? n - at : CHUNK;
        for (size_t i = 0; i < req.n_ground_truth; i++) ptrs[i] = &g[at + i];
        req.ground_truth = ptrs;
        ProtobufCMessage *resp;
        rc = aia_cli_rpc_unary_on(a, c, AIA_CLI_DRIFT_SERVICE, "ReportGroundTruth", &req.base, &resp, errf);
        if (rc != AIA_CLI_EXIT_OK) break;
        const Aia__V1__ReportGroundTruthResponse *r = (const Aia__V1__ReportGroundTruthResponse *)resp;
        sum->accepted += r->accepted;
        sum->unmatched += r->unmatched;
        for (size_t i = 0; i < r->n_unmatched_prediction_ids && sum->n_unmatched_prediction_ids < MAX_UNMATCHED_IDS;
             i++)
            sum->unmatched_prediction_ids[sum->n_unmatched_prediction_ids++] =
                aia_arena_strdup(ar, r->unmatched_prediction_ids[i]);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    if (!ptrs || !sum->unmatched_prediction_ids)
        aia_cli_print_status_error(errf, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_client_close(c);
    return rc;
}

static int show(const aia_cli_args *a, const Aia__V1__ReportGroundTruthResponse *r, FILE *out, FILE *errf)
{
    if (a->json) return aia_cli_rpc_write_json(a, out, errf, &r->base);
    fprintf(out, "accepted %d, unmatched %d\n", r->accepted, r->unmatched);
    if (r->n_unmatched_prediction_ids) {
        fputs("unmatched prediction ids:", out);
        for (size_t i = 0; i < r->n_unmatched_prediction_ids; i++)
            fprintf(out, " %s", r->unmatched_prediction_ids[i] ? r->unmatched_prediction_ids[i] : "?");
        fputs(r->unmatched > (int32_t)r->n_unmatched_prediction_ids ? " ...\n" : "\n", out);
    }
    fflush(out);
    return AIA_CLI_EXIT_OK;
}

int aia_cli_drift_truth(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    aia_frame *frame = NULL;
    Aia__V1__GroundTruth one, *rows = &one;
    size_t n = 1;
    int bad = check_options(&a->sub, &err) != 0;
    if (!bad && aia_cli_opt(&a->sub, "--file"))
        bad = read_truth_file(&ar, aia_cli_opt(&a->sub, "--file"), &frame, &rows, &n, &err) != 0;
    else if (!bad)
        bad = one_truth(&a->sub, &one, &err) != 0;
    int rc;
    if (bad) {
        rc = aia_cli_usage_failed(errf, &err);
    } else {
        Aia__V1__ReportGroundTruthResponse sum = AIA__V1__REPORT_GROUND_TRUTH_RESPONSE__INIT;
        rc = send_all(a, &ar, rows, n, &sum, errf);
        if (rc == AIA_CLI_EXIT_OK) rc = show(a, &sum, out, errf);
    }
    aia_frame_free(frame);
    aia_arena_destroy(&ar);
    return rc;
}
