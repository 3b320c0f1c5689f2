/* lib/serve/serve_load.c — turning a registry version into a loaded model:
 * the version record, the artifact (its SHA-256 verified by
 * aia_artifact_get), the model file, and a check that the model's inputs
 * are the features the registry recorded, in the same order, since
 * requests are mapped to inputs through the record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/model_file.h"
#include "lib/serve/serve_internal.h"
#include "lib/store/artifacts.h"

static int by_name_cmp(const void *a, const void *b)
{
    return strcmp(((const serve_input_ref *)a)->name, ((const serve_input_ref *)b)->name);
}

void serve_served_free(aia_served *h)
{
    if (!h) return;
    aia_model_free(h->model);
    aia_store_record_free(h->record);
    free(h->key);
    free(h->model_id);
    free(h->input_names);
    free(h->by_name);
    free(h->input_kind);
    free(h);
}

/* The model's inputs against the record's features: same names, same
 * order. A record without features (written before lineage existed) is
 * taken as the model says. */
static aia_status check_inputs(const aia_served *h, aia_error *err)
{
    const AiaStore__V1__Lineage *lin = h->record->lineage;
    if (!lin || lin->n_features == 0) return AIA_OK;
    if (lin->n_features != h->n_inputs)
        return aia_error_set(err, AIA_DATA_LOSS, "model %s: the model file has %zu inputs but the registry records %zu features",
                             h->key, h->n_inputs, lin->n_features);
    for (size_t i = 0; i < h->n_inputs; i++) {
        if (strcmp(lin->features[i]->name, h->input_names[i]) != 0)
            return aia_error_set(err, AIA_DATA_LOSS,
                                 "model %s: the model file's input %zu is '%s' but the registry records feature '%s'",
                                 h->key, i, h->input_names[i], lin->features[i]->name);
    }
    return AIA_OK;
}

static aia_status index_inputs(aia_served *h, aia_error *err)
{
    const aia_preprocess *p = aia_model_preprocess(h->model);
    h->n_inputs = aia_preprocess_n_inputs(p);
    size_t n = h->n_inputs ? h->n_inputs : 1;
    h->input_names = calloc(n, sizeof *h->input_names);
    h->by_name = calloc(n, sizeof *h->by_name);
    h->input_kind = calloc(n, 1);
    if (!h->input_names || !h->by_name || !h->input_kind)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "model %s: out of memory indexing its inputs", h->key);
    for (size_t i = 0; i < h->n_inputs; i++) {
        aia_preprocess_column c;
        aia_preprocess_describe_input(p, i, &c);
        h->input_names[i] = c.name;
        h->input_kind[i] = (uint8_t)c.kind;
        h->by_name[i].name = c.name;
        h->by_name[i].index = i;
    }
    qsort(h->by_name, h->n_inputs, sizeof *h->by_name, by_name_cmp);
    return check_inputs(h, err);
}

static aia_status read_model(aia_serve *s, aia_served *h, aia_error *err)
{
    void *bytes = NULL;
    size_t len = 0;
    aia_status st = aia_artifact_get(s->data_dir, h->record->artifact_sha256, &bytes, &len, err);
    if (st != AIA_OK) {
        aia_error_prefix(err, "model %s", h->key);
        return st;
    }
    st = aia_model_from_bytes(bytes, len, &h->model, err);
    free(bytes);
    if (st != AIA_OK) aia_error_prefix(err, "model %s: artifact %s", h->key, h->record->artifact_sha256);
    return st;
}

static aia_status make_handle(const char *model_id, int version, aia_served **out, aia_error *err)
{
    aia_served *h = calloc(1, sizeof *h);
    size_t idlen = strlen(model_id);
    if (h) h->key = malloc(idlen + 16);
    if (h) h->model_id = serve_strdup(model_id);
    if (!h || !h->key || !h->model_id) {
        serve_served_free(h);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "model %s@%d: out of memory", model_id, version);
    }
    memcpy(h->key, model_id, idlen);
    h->key[idlen] = '@';
    snprintf(h->key + idlen + 1, 15, "%d", version);
    h->version = version;
    atomic_init(&h->refs, 1);
    *out = h;
    return AIA_OK;
}

aia_status serve_load(aia_serve *s, const char *model_id, int version, aia_served **out, aia_error *err)
{
    *out = NULL;
    aia_served *h = NULL;
    aia_status st = make_handle(model_id, version, &h, err);
    if (st != AIA_OK) return st;
    st = aia_store_version_get(s->store, model_id, version, &h->record, err);
    if (st == AIA_OK && h->record->state == AIA_STORE__V1__VERSION_STATE__VERSION_DELETED)
        st = aia_error_set(err, AIA_FAILED_PRECONDITION, "model %s version %d is deleted", model_id, version);
    if (st == AIA_OK) st = read_model(s, h, err);
    if (st == AIA_OK) st = index_inputs(h, err);
    if (st == AIA_OK) {
        char key[SERVE_REF_MAX + 8];
        snprintf(key, sizeof key, "v:%s", h->key);
        h->version_stats = serve_stats_cell_get(&s->stats, key, 1);
        snprintf(key, sizeof key, "m:%s", model_id);
        h->model_stats = serve_stats_cell_get(&s->stats, key, 1);
    }
    if (st != AIA_OK) {
        serve_served_free(h);
        return st;
    }
    *out = h;
    return AIA_OK;
}

/* ---- accessors ------------------------------------------------------------------- */

void aia_served_release(aia_served *h)
{
    if (h && atomic_fetch_sub(&h->refs, 1) == 1) serve_served_free(h);
}

const aia_model *aia_served_model(const aia_served *h) { return h->model; }
const char *aia_served_model_id(const aia_served *h) { return h->model_id; }
int aia_served_version(const aia_served *h) { return h->version; }
const aia_version_record *aia_served_record(const aia_served *h) { return h->record; }
const char *aia_served_deployment_id(const aia_served *h) { return h->key; }

long aia_served_feature_index(const aia_served *h, const char *name)
{
    size_t lo = 0, hi = h->n_inputs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->by_name[mid].name, name);
        if (c == 0) return (long)h->by_name[mid].index;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}
