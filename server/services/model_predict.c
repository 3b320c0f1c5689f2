/* server/services/model_predict.c — ModelService.Predict: rows given as
 * JSON-like Structs (feature name → value) or as a columnar batch, turned
 * into the engine's cells in model input order, predicted one row at a time
 * (aia_model_predict_row allocates nothing), answered with a label and
 * class probabilities (or a value), the version that served the row and a
 * prediction id, then counted and sampled into the prediction log.
 *
 * Value rules, for every input form: null or absent is a missing value,
 * handled as missing cells were in training. A numeric feature takes a
 * number (NaN and infinities are refused by the preprocessing with the
 * column's name); a boolean feature takes true/false or 0/1; a categorical
 * feature takes a string, or a number, which is matched as the text a CSV
 * would have held ("3", "2.5"); a category unseen in training is handled as
 * the model was fitted to (lib/ml/preprocess.h). Anything else is
 * INVALID_ARGUMENT naming the row and the feature. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "google/protobuf/struct.pb-c.h"
#include "lib/base/timeutil.h"
#include "server/services/model_internal.h"
#include "server/services/pb_time.h"

#define MAX_ROWS 100000

/* What serves the call. The response is serialised after the handler has
 * released the handle, so the strings it carries are copied into the call's
 * arena once per call (not per row). */
typedef struct predict_target {
    aia_served *h;
    const char *deployment_id; /* NULL for direct model calls; in the handle */
    const aia_model *model;
    size_t n_inputs;
    char *model_id, *deployment_copy; /* arena copies */
    char **labels;                    /* arena copies of the class labels */
} predict_target;

static aia_status check_request(const Aia__V1__PredictRequest *r, aia_error *err)
{
    int has_model = r->model_id[0] != '\0', has_endpoint = r->endpoint_id[0] != '\0';
    if (has_model == has_endpoint)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, has_model ? "model_id and endpoint_id: give one, not both"
                                                                  : "model_id or endpoint_id: one is required");
    int has_batch = r->batch != NULL && r->batch->n_columns > 0;
    if (r->n_instances > 0 && has_batch)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "instances and batch: give one, not both");
    if (r->n_instances == 0 && !has_batch)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "instances: empty; give at least one row (or a batch)");
    if (r->n_instances > MAX_ROWS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "instances: %zu rows, more than the %d a call takes",
                             r->n_instances, MAX_ROWS);
    return AIA_OK;
}

static aia_status resolve(const aia_model_engine *e, const Aia__V1__PredictRequest *r, predict_target *t,
                          aia_error *err)
{
    aia_status st = r->endpoint_id[0]
                        ? aia_serve_route(e->serve, r->endpoint_id, r->routing_key, &t->h, &t->deployment_id, err)
                        : aia_serve_acquire(e->serve, r->model_id, &t->h, err);
    if (st != AIA_OK) return st;
    t->model = aia_served_model(t->h);
    t->n_inputs = aia_preprocess_n_inputs(aia_model_preprocess(t->model));
    return AIA_OK;
}

static aia_status copy_names(aia_arena *a, predict_target *t, aia_error *err)
{
    int k = aia_model_n_outputs(t->model);
    t->model_id = aia_arena_strdup(a, aia_served_model_id(t->h));
    t->deployment_copy = aia_arena_strdup(a, t->deployment_id ? t->deployment_id : "");
    t->labels = aia_arena_calloc(a, (size_t)k, sizeof *t->labels);
    if (!t->model_id || !t->deployment_copy || !t->labels)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (int c = 0; aia_model_task(t->model) == AIA_TASK_CLASSIFICATION && c < k; c++)
        if (!(t->labels[c] = aia_arena_strdup(a, aia_model_class_label(t->model, c))))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    return AIA_OK;
}

/* ---- values to cells ---------------------------------------------------- */

static const char *number_text(aia_arena *a, double x)
{
    if (x == floor(x) && fabs(x) < 1e15) return aia_arena_printf(a, "%.0f", x);
    return aia_arena_printf(a, "%.17g", x);
}

static aia_status cell_of(aia_arena *a, aia_column_type type, const Google__Protobuf__Value *v,
                          aia_preprocess_cell *cell, aia_error *err)
{
    *cell = (aia_preprocess_cell){.text = NULL, .number = NAN};
    int kind = v ? (int)v->kind_case : GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
    if (kind == GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE || kind == GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET)
        return AIA_OK;
    if (type == AIA_COLUMN_CATEGORICAL && kind == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE) {
        cell->text = v->string_value;
        return AIA_OK;
    }
    if (type == AIA_COLUMN_CATEGORICAL && kind == GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE) {
        cell->text = number_text(a, v->number_value);
        return cell->text ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (type == AIA_COLUMN_NUMERIC && kind == GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE) {
        cell->number = v->number_value;
        return AIA_OK;
    }
    if (type == AIA_COLUMN_BOOLEAN && kind == GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE) {
        cell->number = v->bool_value ? 1 : 0;
        return AIA_OK;
    }
    if (type == AIA_COLUMN_BOOLEAN && kind == GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE &&
        (v->number_value == 0 || v->number_value == 1)) {
        cell->number = v->number_value;
        return AIA_OK;
    }
    static const char *const expected[] = {
        [AIA_COLUMN_NUMERIC] = "a number or null",
        [AIA_COLUMN_CATEGORICAL] = "a string, a number or null",
        [AIA_COLUMN_BOOLEAN] = "true, false, 0, 1 or null",
    };
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "expected %s, got %s", expected[type], aia_model_value_kind(v));
}

/* Puts "<where>: " before err's message. The place is formatted only here,
 * on failure: a 1,000-row batch of 30 features would otherwise format
 * 30,000 of them. */
static aia_status at(aia_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static aia_status at(aia_error *err, const char *fmt, ...)
{
    char where[200], inner[AIA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
    snprintf(inner, sizeof inner, "%s", err->message);
    return aia_error_set(err, err->code, "%s: %s", where, inner);
}

static void unknown_feature(const aia_served *h, const char *where, const char *name, aia_error *err)
{
    const aia_version_record *v = aia_served_record(h);
    char known[256] = "";
    size_t used = 0;
    for (size_t i = 0; v->lineage && i < v->lineage->n_features && used < sizeof known - 8; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 v->lineage->features[i]->name);
    aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: unknown feature \"%s\"; %s@%d takes: %s", where, name,
                  aia_served_model_id(h), aia_served_version(h), known);
}

static aia_status row_cells(aia_arena *a, const predict_target *t, const Google__Protobuf__Struct *row, size_t i,
                            aia_preprocess_cell *cells, aia_error *err)
{
    const aia_preprocess *p = aia_model_preprocess(t->model);
    for (size_t j = 0; j < t->n_inputs; j++) cells[j] = (aia_preprocess_cell){.text = NULL, .number = NAN};
    for (size_t f = 0; row && f < row->n_fields; f++) {
        const char *name = row->fields[f]->key;
        long j = aia_served_feature_index(t->h, name);
        if (j < 0) {
            char where[200];
            snprintf(where, sizeof where, "instances[%zu].%s", i, name);
            unknown_feature(t->h, where, name, err);
            return err->code;
        }
        if (cell_of(a, aia_preprocess_input_type(p, (size_t)j), row->fields[f]->value, &cells[j], err) != AIA_OK)
            return at(err, "instances[%zu].%s", i, name);
    }
    return AIA_OK;
}

static aia_status instance_cells(aia_arena *a, const predict_target *t, const Aia__V1__PredictRequest *r,
                                 aia_preprocess_cell *cells, aia_error *err)
{
    for (size_t i = 0; i < r->n_instances; i++)
        if (row_cells(a, t, r->instances[i], i, cells + i * t->n_inputs, err) != AIA_OK) return err->code;
    return AIA_OK;
}

/* ---- columnar batches ----------------------------------------------------- */

static size_t column_rows(const Aia__V1__FeatureColumn *c)
{
    return c->n_numbers ? c->n_numbers : c->n_strings;
}

static aia_status check_column(const Aia__V1__FeatureColumn *c, size_t k, size_t rows, aia_error *err)
{
    if (c->n_numbers && c->n_strings)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "batch.columns[%zu] (%s): give numbers or strings, not both",
                             k, c->name);
    if (column_rows(c) != rows)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "batch.columns[%zu] (%s): %zu rows, but columns[0] has %zu",
                             k, c->name, column_rows(c), rows);
    if (c->n_missing && c->n_missing != rows)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "batch.columns[%zu] (%s): the missing mask has %zu entries for %zu rows", k, c->name,
                             c->n_missing, rows);
    return AIA_OK;
}

static aia_status batch_column(aia_arena *a, const predict_target *t, const Aia__V1__FeatureColumn *c, size_t k,
                               size_t rows, aia_preprocess_cell *cells, aia_error *err)
{
    char where[160];
    snprintf(where, sizeof where, "batch.columns[%zu]", k);
    long j = aia_served_feature_index(t->h, c->name);
    if (j < 0) {
        unknown_feature(t->h, where, c->name, err);
        return err->code;
    }
    aia_column_type type = aia_preprocess_input_type(aia_model_preprocess(t->model), (size_t)j);
    for (size_t i = 0; i < rows; i++) {
        if (c->n_missing && c->missing[i]) continue;
        Google__Protobuf__Value v = GOOGLE__PROTOBUF__VALUE__INIT;
        if (c->n_numbers) {
            v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
            v.number_value = c->numbers[i];
            if (isnan(c->numbers[i])) continue; /* NaN marks a missing number */
        } else {
            v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
            v.string_value = c->strings[i];
        }
        if (cell_of(a, type, &v, &cells[i * t->n_inputs + (size_t)j], err) != AIA_OK)
            return at(err, "batch.columns[%zu] (%s) row %zu", k, c->name, i);
    }
    return AIA_OK;
}

static aia_status batch_cells(aia_arena *a, const predict_target *t, const Aia__V1__ColumnarBatch *b, size_t rows,
                              aia_preprocess_cell *cells, aia_error *err)
{
    for (size_t i = 0; i < rows * t->n_inputs; i++) cells[i] = (aia_preprocess_cell){.text = NULL, .number = NAN};
    for (size_t k = 0; k < b->n_columns; k++) {
        if (check_column(b->columns[k], k, rows, err) != AIA_OK ||
            batch_column(a, t, b->columns[k], k, rows, cells, err) != AIA_OK)
            return err->code;
    }
    return AIA_OK;
}

/* ---- predictions out ------------------------------------------------------ */

static Aia__V1__Prediction *prediction_of(aia_arena *a, const predict_target *t, const double *out, const char *id)
{
    Aia__V1__Prediction *p = aia_arena_alloc(a, sizeof *p);
    if (!p) return NULL;
    aia__v1__prediction__init(p);
    p->model_id = t->model_id;
    p->model_version = aia_served_version(t->h);
    p->deployment_id = t->deployment_copy;
    p->prediction_id = (char *)id;
    if (aia_model_task(t->model) == AIA_TASK_REGRESSION) {
        p->value = out[0];
        return p;
    }
    int k = aia_model_n_outputs(t->model), best = 0;
    p->probabilities = aia_arena_calloc(a, (size_t)k, sizeof *p->probabilities);
    if (!p->probabilities) return NULL;
    for (int c = 0; c < k; c++) {
        Aia__V1__Prediction__ProbabilitiesEntry *e = aia_arena_alloc(a, sizeof *e);
        if (!e) return NULL;
        aia__v1__prediction__probabilities_entry__init(e);
        e->key = t->labels[c];
        e->value = out[c];
        p->probabilities[c] = e;
        if (out[c] > out[best]) best = c;
    }
    p->n_probabilities = (size_t)k;
    p->label = t->labels[best];
    p->value = out[best]; /* the contract: the probability of `label` */
    return p;
}

/* Predicts every row; fills the response and the log rows. */
static aia_status run_rows(aia_arena *a, const aia_model_engine *e, const predict_target *t,
                           const aia_preprocess_cell *cells, size_t rows, Aia__V1__PredictResponse *out,
                           aia_error *err)
{
    size_t k = (size_t)aia_model_n_outputs(t->model);
    size_t scratch_n = aia_preprocess_n_outputs(aia_model_preprocess(t->model));
    double *scratch = aia_arena_alloc(a, (scratch_n + 1) * sizeof *scratch);
    double *values = aia_arena_alloc(a, rows * k * sizeof *values);
    char(*ids)[AIA_PREDICTION_ID_LEN + 1] = aia_arena_alloc(a, rows * sizeof *ids);
    aia_served_row *log_rows = aia_arena_alloc(a, rows * sizeof *log_rows);
    out->predictions = aia_arena_alloc(a, rows * sizeof *out->predictions);
    if (!scratch || !values || !ids || !log_rows || !out->predictions)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu rows", rows);
    aia_serve_prediction_ids(e->serve, rows, ids);
    for (size_t i = 0; i < rows; i++) {
        const aia_preprocess_cell *row = cells + i * t->n_inputs;
        if (aia_model_predict_row(t->model, row, scratch, values + i * k, err) != AIA_OK)
        {
            aia_error_prefix(err, "row %zu", i);
            return err->code;
        }
        out->predictions[i] = prediction_of(a, t, values + i * k, ids[i]);
        if (!out->predictions[i]) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        log_rows[i] = (aia_served_row){.prediction_id = ids[i], .cells = row, .outputs = values + i * k};
    }
    out->n_predictions = rows;
    aia_serve_log(e->serve, t->h, t->deployment_id, log_rows, rows);
    return AIA_OK;
}

static aia_status predict_resolved(aia_arena *a, const aia_model_engine *e, predict_target *t,
                                   const Aia__V1__PredictRequest *r, Aia__V1__PredictResponse *out, aia_error *err)
{
    size_t rows = r->n_instances ? r->n_instances : column_rows(r->batch->columns[0]);
    if (rows == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "batch: no rows");
    if (rows > MAX_ROWS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "batch: %zu rows, more than the %d a call takes", rows,
                             MAX_ROWS);
    if (copy_names(a, t, err) != AIA_OK) return err->code;
    aia_preprocess_cell *cells = aia_arena_alloc(a, rows * (t->n_inputs ? t->n_inputs : 1) * sizeof *cells);
    if (!cells) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu rows", rows);
    aia_status st = r->n_instances ? instance_cells(a, t, r, cells, err) : batch_cells(a, t, r->batch, rows, cells, err);
    if (st != AIA_OK) return st;
    int64_t t0 = aia_time_mono_ns();
    if (run_rows(a, e, t, cells, rows, out, err) != AIA_OK) return err->code;
    out->inference_duration = aia_pb_duration(a, aia_time_mono_ns() - t0);
    return AIA_OK;
}

aia_status aia_model_rpc_predict(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    int64_t start = aia_time_mono_ns();
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__PredictRequest *r = (const Aia__V1__PredictRequest *)req;
    Aia__V1__PredictResponse *out = (Aia__V1__PredictResponse *)resp;
    predict_target t = {0};
    if (!e || check_request(r, err) != AIA_OK || resolve(e, r, &t, err) != AIA_OK) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    aia_status st = predict_resolved(a, e, &t, r, out, err);
    out->endpoint_id = (char *)r->endpoint_id; /* the request lives as long as the call */
    int64_t total = aia_time_mono_ns() - start;
    out->total_duration = aia_pb_duration(a, total);
    aia_serve_record_at(e->serve, t.h, r->endpoint_id[0] ? r->endpoint_id : NULL, t.deployment_id,
                        st == AIA_OK ? out->n_predictions : 0, total, st == AIA_OK);
    aia_served_release(t.h);
    return st;
}
