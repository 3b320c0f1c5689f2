/* client/cmd_models.c — `aia models train|list|get|status|alias|delete`
 * (predict lives in cmd_predict.c). Each command checks its values, builds
 * the request, and prints the answer through a view or as JSON; `train
 * --wait` hands over to the job watcher of cmd_jobs.c.
 */
#include <stdlib.h>
#include <string.h>

#include "client/cli_commands.h"
#include "client/cli_format.h"
#include "client/cli_groups.h"
#include "client/cli_output.h"
#include "client/cli_request.h"
#include "client/cli_rpc.h"

#define MODEL_SERVICE (&aia__v1__model_service__descriptor)

static const char *const k_algorithms[] = {"gbdt", "random_forest", "logistic_regression", "linear_regression",
                                           "auto", NULL};

static const char *task_name(int task, char *buf, size_t size)
{
    return aia_cli_enum_name(&aia__v1__task_type__descriptor, task, "TASK_TYPE_", buf, size);
}

/* ---- views ----------------------------------------------------------------- */

static void view_model_header(FILE *out, const Aia__V1__RegisteredModel *m)
{
    char buf[64];
    aia_cli_field(out, "model", "%s", m->model_id);
    aia_cli_field(out, "task", "%s", task_name(m->task_type, buf, sizeof buf));
    if (m->description && *m->description) aia_cli_field(out, "description", "%s", m->description);
    aia_cli_field(out, "versions", "%d ready, latest %d", m->version_count, m->latest_version);
    aia_cli_field_map(out, "aliases", &m->base, "aliases");
    aia_cli_field_map(out, "tags", &m->base, "tags");
}

static void view_versions(FILE *out, const Aia__V1__RegisteredModel *m)
{
    static const char *const headers[] = {"VERSION", "STATE", "ALGORITHM", "ALIASES", "CREATED", "TEST METRICS",
                                          NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < m->n_versions; i++) {
        const Aia__V1__ModelVersion *v = m->versions[i];
        char st[48], tm[64];
        aia_strbuf aliases = AIA_STRBUF_INIT, metrics = AIA_STRBUF_INIT;
        for (size_t k = 0; k < v->n_aliases; k++) aia_strbuf_printf(&aliases, "%s%s", k ? "," : "", v->aliases[k]);
        if (v->lineage) aia_cli_format_map(&metrics, &v->lineage->base, "test_metrics", " ");
        aia_cli_table_cell(t, "%d", v->version);
        aia_cli_table_cell(t, "%s", aia_cli_enum_name(&aia__v1__model_version_state__descriptor, v->state,
                                                      "MODEL_VERSION_STATE_", st, sizeof st));
        aia_cli_table_cell(t, "%s", v->algorithm);
        aia_cli_table_cell(t, "%s", aliases.len ? aia_strbuf_cstr(&aliases) : "-");
        aia_cli_table_cell(t, "%s", aia_cli_format_time(v->create_time, tm, sizeof tm));
        aia_cli_table_cell(t, "%s", metrics.len ? aia_strbuf_cstr(&metrics) : "-");
        aia_strbuf_free(&aliases);
        aia_strbuf_free(&metrics);
    }
    aia_cli_table_done(out, t, NULL);
}

static void view_model(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__RegisteredModel *m = (const Aia__V1__RegisteredModel *)msg;
    char buf[64];
    view_model_header(out, m);
    aia_cli_field(out, "created", "%s", aia_cli_format_time(m->create_time, buf, sizeof buf));
    aia_cli_field(out, "updated", "%s", aia_cli_format_time(m->update_time, buf, sizeof buf));
    if (m->n_versions) {
        fputc('\n', out);
        view_versions(out, m);
    }
}

static void view_model_aliases(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__RegisteredModel *m = (const Aia__V1__RegisteredModel *)msg;
    aia_cli_field(out, "model", "%s", m->model_id);
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_cli_format_map(&sb, msg, "aliases", " ");
    aia_cli_field(out, "aliases", "%s", sb.len ? aia_strbuf_cstr(&sb) : "(none)");
    aia_strbuf_free(&sb);
}

static void view_model_list(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__ListModelsResponse *r = (const Aia__V1__ListModelsResponse *)msg;
    static const char *const headers[] = {"MODEL", "TASK", "LATEST", "VERSIONS", "ALIASES", "UPDATED", NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < r->n_models; i++) {
        const Aia__V1__RegisteredModel *m = r->models[i];
        char task[48], tm[64];
        aia_strbuf aliases = AIA_STRBUF_INIT;
        aia_cli_format_map(&aliases, &m->base, "aliases", ",");
        aia_cli_table_cell(t, "%s", m->model_id);
        aia_cli_table_cell(t, "%s", task_name(m->task_type, task, sizeof task));
        aia_cli_table_cell(t, "%d", m->latest_version);
        aia_cli_table_cell(t, "%d", m->version_count);
        aia_cli_table_cell(t, "%s", aliases.len ? aia_strbuf_cstr(&aliases) : "-");
        aia_cli_table_cell(t, "%s", aia_cli_format_time(m->update_time, tm, sizeof tm));
        aia_strbuf_free(&aliases);
    }
    aia_cli_table_done(out, t, r->next_page_token);
}

static void view_status(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__ModelStatus *s = (const Aia__V1__ModelStatus *)msg;
    char buf[64];
    aia_cli_field(out, "model", "%s", s->model_id);
    aia_cli_field(out, "state", "%s",
                  aia_cli_enum_name(&aia__v1__model_state__descriptor, s->state, "MODEL_STATE_", buf, sizeof buf));
    aia_cli_field(out, "serving", "%d (latest %d)", s->serving_version, s->latest_version);
    aia_cli_field_map(out, "aliases", msg, "aliases");
    aia_cli_field_map(out, "metrics", msg, "metrics");
    for (size_t i = 0; i < s->n_active_jobs; i++)
        aia_cli_field(out, "active job", "%s (%s)", s->active_jobs[i]->job_id,
                      aia_cli_enum_name(&aia__v1__job_state__descriptor, s->active_jobs[i]->state, "JOB_STATE_", buf,
                                        sizeof buf));
    if (s->last_job)
        aia_cli_field(out, "last job", "%s (%s)", s->last_job->job_id,
                      aia_cli_enum_name(&aia__v1__job_state__descriptor, s->last_job->state, "JOB_STATE_", buf,
                                        sizeof buf));
    for (size_t i = 0; i < s->n_deployments; i++)
        aia_cli_field(out, "deployed", "%s on %s (%d%%)", s->deployments[i]->deployment_id,
                      s->deployments[i]->endpoint_id, s->deployments[i]->traffic_percent);
    if (s->prediction_stats)
        aia_cli_field(out, "predictions", "%lld (%lld in the last hour, %lld errors)",
                      (long long)s->prediction_stats->predictions_total,
                      (long long)s->prediction_stats->predictions_last_hour,
                      (long long)s->prediction_stats->errors_total);
    aia_cli_field(out, "drift", "%s", s->drift_detected ? "detected" : "none detected");
}

static void view_deleted(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__ModelVersion *v = (const Aia__V1__ModelVersion *)msg;
    fprintf(out, "deleted %s@%d\n", v->model_id, v->version);
}

/* ---- train ------------------------------------------------------------------- */

static int check_algorithm(const char *s, aia_error *err)
{
    for (const char *const *p = k_algorithms; *p; p++)
        if (strcmp(s, *p) == 0) return 0;
    aia_error_set(err, AIA_INVALID_ARGUMENT,
                  "invalid --algorithm \"%s\": expected one of gbdt, random_forest, logistic_regression, "
                  "linear_regression, auto",
                  s);
    return -1;
}

static int build_hpo(const aia_cli_sub *s, Aia__V1__HpoSpec *h, aia_error *err)
{
    long long trials = 0, timeout = 0, folds = 0, parallel = 0;
    int direction = 0, sampler = 0, pruner = 0;
    if (aia_cli_opt_int(s, "--hpo-trials", 1, 100000, &trials, err) || aia_cli_opt_int(s, "--hpo-timeout", 1, 86400 * 30, &timeout, err) ||
        aia_cli_opt_int(s, "--hpo-cv-folds", 2, 100, &folds, err) || aia_cli_opt_int(s, "--hpo-parallel", 1, 1024, &parallel, err) ||
        aia_cli_opt_enum(s, "--hpo-direction", &aia__v1__metric_direction__descriptor, "METRIC_DIRECTION_", &direction, err) ||
        aia_cli_opt_enum(s, "--hpo-sampler", &aia__v1__hpo_sampler__descriptor, "HPO_SAMPLER_", &sampler, err) ||
        aia_cli_opt_enum(s, "--hpo-pruner", &aia__v1__hpo_pruner__descriptor, "HPO_PRUNER_", &pruner, err))
        return -1;
    static const char *const needs_trials[] = {"--hpo-metric", "--hpo-timeout", "--hpo-direction", "--hpo-sampler",
                                               "--hpo-pruner", "--hpo-cv-folds", "--hpo-parallel", NULL};
    for (const char *const *p = needs_trials; !trials && *p; p++)
        if (aia_cli_opt(s, *p)) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "%s needs --hpo-trials N (the search's number of trials)", *p);
            return -1;
        }
    h->trials = (int32_t)trials;
    h->timeout_seconds = (int32_t)timeout;
    h->cv_folds = (int32_t)folds;
    h->parallel_trials = (int32_t)parallel;
    h->direction = direction;
    h->sampler = sampler;
    h->pruner = pruner;
    h->metric = (char *)aia_cli_opt_or(s, "--hpo-metric", "");
    return 0;
}

static int build_feature_types(aia_arena *ar, const aia_cli_sub *s, Aia__V1__TrainModelRequest *req, aia_error *err)
{
    size_t pos = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--feature-type", &pos));) {
        size_t klen;
        const char *type;
        int t;
        if (aia_cli_parse_kv("--feature-type", v, &klen, &type, err) != 0 ||
            aia_cli_parse_enum("--feature-type", type, &aia__v1__feature_type__descriptor, "FEATURE_TYPE_", &t,
                               err) != 0)
            return -1;
        Aia__V1__TrainModelRequest__FeatureTypesEntry *e =
            (Aia__V1__TrainModelRequest__FeatureTypesEntry *)aia_cli_map_append(ar, &req->base, "feature_types", v,
                                                                                klen, err);
        if (!e) return -1;
        e->value = t;
    }
    return 0;
}

static int build_train(aia_arena *ar, const aia_cli_sub *s, Aia__V1__TrainModelRequest *req, Aia__V1__HpoSpec *hpo,
                       aia_error *err)
{
    const char *data = aia_cli_opt(s, "--data"), *target = aia_cli_opt(s, "--target");
    if (!data || !*data)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "models train needs --data PATH_OR_URI (the training CSV)"),
               -1;
    if (!target || !*target)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "models train needs --target COLUMN (the column to predict)"),
               -1;
    req->model_id = (char *)s->args[0];
    req->training_data_uri = (char *)aia_cli_data_uri(ar, data);
    req->target_column = (char *)target;
    int task = AIA__V1__TASK_TYPE__TASK_TYPE_CLASSIFICATION;
    long long seed = 0;
    if (aia_cli_opt_enum(s, "--task", &aia__v1__task_type__descriptor, "TASK_TYPE_", &task, err) ||
        aia_cli_opt_int(s, "--seed", 0, UINT32_MAX, &seed, err))
        return -1;
    req->task_type = task;
    req->seed = (uint32_t)seed;
    const char *algorithm = aia_cli_opt(s, "--algorithm");
    if (algorithm && check_algorithm(algorithm, err) != 0) return -1;
    if (algorithm) req->algorithm = (char *)algorithm;
    if (aia_cli_opt(s, "--validation-data"))
        req->validation_data_uri = (char *)aia_cli_data_uri(ar, aia_cli_opt(s, "--validation-data"));
    req->description = (char *)aia_cli_opt_or(s, "--description", "");
    req->idempotency_key = (char *)aia_cli_opt_or(s, "--idempotency-key", "");
    if (aia_cli_opt(s, "--features")) {
        char **names;
        if (aia_cli_split_list("--features", aia_cli_opt(s, "--features"), &names, &req->n_feature_columns, err))
            return -1;
        req->feature_columns = aia_arena_calloc(ar, req->n_feature_columns, sizeof(char *));
        for (size_t i = 0; req->feature_columns && i < req->n_feature_columns; i++)
            req->feature_columns[i] = aia_arena_strdup(ar, names[i]);
        aia_cli_strv_free(names);
    }
    if (aia_cli_map_from_options(ar, &req->base, "hyperparameters", s, "--param", err) ||
        aia_cli_map_from_options(ar, &req->base, "labels", s, "--label", err) || build_feature_types(ar, s, req, err) ||
        build_hpo(s, hpo, err))
        return -1;
    if (hpo->trials) req->hpo = hpo;
    return 0;
}

static int cmd_train(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__TrainModelRequest req = AIA__V1__TRAIN_MODEL_REQUEST__INIT;
    Aia__V1__HpoSpec hpo = AIA__V1__HPO_SPEC__INIT;
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    if (build_train(&ar, &a->sub, &req, &hpo, &err) != 0) {
        aia_arena_destroy(&ar);
        return aia_cli_usage_failed(errf, &err);
    }
    ProtobufCMessage *resp;
    int rc = aia_cli_rpc_unary(a, MODEL_SERVICE, "TrainModel", &req.base, &resp, errf);
    aia_arena_destroy(&ar);
    if (rc != 0) return rc;
    const Aia__V1__TrainingJob *job = (const Aia__V1__TrainingJob *)resp;
    int wait = aia_cli_flag(&a->sub, "--wait");
    if (a->json) {
        rc = aia_cli_rpc_write_json(a, out, errf, resp);
    } else {
        aia_cli_view_job_summary(out, resp);
        if (!wait) fprintf(out, "follow it with: aia jobs watch %s\n", job->job_id);
        fflush(out);
    }
    if (rc == 0 && wait) rc = aia_cli_watch_job(a, job->job_id, out, errf);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- the other commands ---------------------------------------------------- */

static int cmd_list(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__ListModelsRequest req = AIA__V1__LIST_MODELS_REQUEST__INIT;
    aia_error err;
    const char *token;
    int task = 0;
    if (aia_cli_page_options(&a->sub, &req.page_size, &token, &err) != 0 ||
        aia_cli_opt_enum(&a->sub, "--task", &aia__v1__task_type__descriptor, "TASK_TYPE_", &task, &err) != 0)
        return aia_cli_usage_failed(errf, &err);
    if (token) req.page_token = (char *)token;
    req.model_id_prefix = (char *)aia_cli_opt_or(&a->sub, "--prefix", "");
    req.task_type = task;
    return aia_cli_rpc_show(a, MODEL_SERVICE, "ListModels", &req.base, view_model_list, out, errf);
}

static int cmd_get(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__GetModelRequest req = AIA__V1__GET_MODEL_REQUEST__INIT;
    req.model_id = (char *)a->sub.args[0];
    req.include_deleted = aia_cli_flag(&a->sub, "--deleted");
    return aia_cli_rpc_show(a, MODEL_SERVICE, "GetModel", &req.base, view_model, out, errf);
}

static int cmd_status(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__GetModelStatusRequest req = AIA__V1__GET_MODEL_STATUS_REQUEST__INIT;
    req.model_id = (char *)a->sub.args[0];
    return aia_cli_rpc_show(a, MODEL_SERVICE, "GetModelStatus", &req.base, view_status, out, errf);
}

static int cmd_alias(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__SetModelAliasRequest req = AIA__V1__SET_MODEL_ALIAS_REQUEST__INIT;
    aia_error err;
    int del = aia_cli_flag(&a->sub, "--delete");
    req.model_id = (char *)a->sub.args[0];
    req.alias = (char *)a->sub.args[1];
    if (del == (a->sub.n_args == 3)) {
        aia_error_set(&err, AIA_INVALID_ARGUMENT,
                      del ? "models alias: give VERSION or --delete, not both"
                          : "models alias needs VERSION (or --delete to remove the alias)");
        return aia_cli_usage_failed(errf, &err);
    }
    long long version = 0;
    if (!del && aia_cli_parse_int("VERSION", a->sub.args[2], 0, INT32_MAX, &version, &err) != 0)
        return aia_cli_usage_failed(errf, &err);
    req.version = (int32_t)version;
    return aia_cli_rpc_show(a, MODEL_SERVICE, "SetModelAlias", &req.base, view_model_aliases, out, errf);
}

/* "MODEL_ID@VERSION" or "MODEL_ID VERSION". */
static int cmd_delete(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__DeleteModelVersionRequest req = AIA__V1__DELETE_MODEL_VERSION_REQUEST__INIT;
    aia_error err;
    const char *ref = a->sub.args[0], *at = strchr(ref, '@');
    const char *version_text = a->sub.n_args == 2 ? a->sub.args[1] : at ? at + 1 : NULL;
    if (!version_text || (at && a->sub.n_args == 2)) {
        aia_error_set(&err, AIA_INVALID_ARGUMENT,
                      "models delete needs MODEL_ID@VERSION or MODEL_ID VERSION (a version number, not an alias)");
        return aia_cli_usage_failed(errf, &err);
    }
    long long version;
    if (aia_cli_parse_int("VERSION", version_text, 1, INT32_MAX, &version, &err) != 0) return aia_cli_usage_failed(errf, &err);
    char *model = strndup(ref, at ? (size_t)(at - ref) : strlen(ref));
    if (!model) return AIA_CLI_EXIT_FAILED;
    req.model_id = model;
    req.version = (int32_t)version;
    int rc = aia_cli_rpc_show(a, MODEL_SERVICE, "DeleteModelVersion", &req.base, view_deleted, out, errf);
    free(model);
    return rc;
}

/* ---- the table ------------------------------------------------------------- */

static const aia_cli_option k_train_options[] = {
    {"--data", AIA_CLI_VALUE},          {"--target", AIA_CLI_VALUE},       {"--task", AIA_CLI_VALUE},
    {"--algorithm", AIA_CLI_VALUE},     {"--validation-data", AIA_CLI_VALUE}, {"--features", AIA_CLI_VALUE},
    {"--feature-type", AIA_CLI_REPEAT}, {"--param", AIA_CLI_REPEAT},       {"--hpo-trials", AIA_CLI_VALUE},
    {"--hpo-metric", AIA_CLI_VALUE},    {"--hpo-direction", AIA_CLI_VALUE}, {"--hpo-timeout", AIA_CLI_VALUE},
    {"--hpo-sampler", AIA_CLI_VALUE},   {"--hpo-pruner", AIA_CLI_VALUE},   {"--hpo-cv-folds", AIA_CLI_VALUE},
    {"--hpo-parallel", AIA_CLI_VALUE},  {"--label", AIA_CLI_REPEAT},       {"--description", AIA_CLI_VALUE},
    {"--seed", AIA_CLI_VALUE},          {"--idempotency-key", AIA_CLI_VALUE}, {"--wait", AIA_CLI_FLAG},
    {NULL, 0},
};

static const aia_cli_option k_list_options[] = {
    {"--prefix", AIA_CLI_VALUE},
    {"--task", AIA_CLI_VALUE},
    AIA_CLI_PAGE_OPTIONS,
    {NULL, 0},
};

static const aia_cli_option k_get_options[] = {{"--deleted", AIA_CLI_FLAG}, {NULL, 0}};
static const aia_cli_option k_alias_options[] = {{"--delete", AIA_CLI_FLAG}, {NULL, 0}};

static const aia_cli_subcommand k_commands[] = {
    {"train", "MODEL_ID", "train a new version of a model (a training job)",
     "Submits a training job that adds the next version to MODEL_ID (created on\n"
     "its first job) and prints the job: id, model@version, state.\n"
     "\n"
     "required:\n"
     "  --data PATH_OR_URI       training CSV with a header row: a local path, file://,\n"
     "                           http:// or https://. The server reads it; a relative\n"
     "                           path that exists here is sent as an absolute path\n"
     "  --target COLUMN          the column to predict\n"
     "options:\n"
     "  --task TASK              classification (default) or regression\n"
     "  --algorithm NAME         gbdt, random_forest, logistic_regression,\n"
     "                           linear_regression or auto (default: auto, the best\n"
     "                           on the validation split)\n"
     "  --validation-data URI    validation CSV; default: split the data 80/10/10\n"
     "                           into train, validation and test (stratified, seeded)\n"
     "  --features A,B,C         feature columns in model input order; default: every\n"
     "                           column but the target\n"
     "  --feature-type COL=TYPE  force a column's type: numeric, categorical, binary\n"
     "                           (repeatable)\n"
     "  --param NAME=VALUE       a fixed hyperparameter, e.g. --param n_rounds=300\n"
     "                           (repeatable; unknown names are refused by the server)\n"
     "  --hpo-trials N           hyperparameter search with N trials (trial 0 uses the\n"
     "                           defaults); the published version is the best trial's\n"
     "  --hpo-metric M           validation metric to optimise (default: accuracy for\n"
     "                           classification, rmse for regression)\n"
     "  --hpo-direction D        maximize or minimize (default: the metric's own)\n"
     "  --hpo-timeout SECONDS    time budget of the whole search\n"
     "  --hpo-sampler S          tpe (default) or random\n"
     "  --hpo-pruner P           median (default) or none\n"
     "  --hpo-cv-folds K         k-fold cross-validation of each trial\n"
     "  --hpo-parallel N         trials run at once (default: the server's)\n"
     "  --label KEY=VALUE        a label of the job and tag of the version (repeatable)\n"
     "  --description TEXT       description of the version\n"
     "  --seed N                 seed of the split, training and search (default: the\n"
     "                           server's fixed seed: runs are reproducible anyway)\n"
     "  --idempotency-key K      a retried submission with the same key returns the\n"
     "                           first job instead of starting another\n"
     "  --wait                   follow the job until it ends (as aia jobs watch):\n"
     "                           progress lines as they happen, then the test metrics;\n"
     "                           exit 0 when it SUCCEEDED, 1 when it FAILED or was\n"
     "                           CANCELLED. With --json: the job, then one JSON event\n"
     "                           per line\n",
     1, 1, k_train_options, cmd_train},
    {"list", "", "list registered models",
     "options:\n"
     "  --prefix P            only models whose id starts with P\n"
     "  --task TASK           only classification or regression models\n"
     AIA_CLI_PAGE_HELP("models")
     "\n"
     "Prints a table: MODEL, TASK, LATEST (version), VERSIONS (ready), ALIASES,\n"
     "UPDATED; with --json the ListModelsResponse.\n",
     0, 0, k_list_options, cmd_list},
    {"get", "MODEL_ID", "show a model and its versions",
     "options:\n"
     "  --deleted             also list deleted versions\n"
     "\n"
     "Prints the model (task, aliases, tags) and a table of its versions, newest\n"
     "first: VERSION, STATE, ALGORITHM, ALIASES, CREATED, TEST METRICS; with --json\n"
     "the RegisteredModel, lineage included.\n",
     1, 1, k_get_options, cmd_get},
    {"status", "MODEL_ID", "show a model's serving status",
     "Prints the state (TRAINING, READY, FAILED), the version a bare MODEL_ID\n"
     "serves, aliases, test metrics, active and last jobs, deployments,\n"
     "prediction counters and the drift verdict; with --json the ModelStatus.\n",
     1, 1, aia_cli_no_options, cmd_status},
    {"alias", "MODEL_ID ALIAS [VERSION]", "point an alias at a version, or remove it",
     "Points ALIAS (e.g. production, staging) at VERSION, atomically moving it\n"
     "if it pointed elsewhere. A bare MODEL_ID serves its production alias when\n"
     "set, else the latest version.\n"
     "\n"
     "options:\n"
     "  --delete              remove ALIAS (as does VERSION 0)\n"
     "\n"
     "Prints the model's aliases afterwards; with --json the RegisteredModel.\n",
     2, 3, k_alias_options, cmd_alias},
    {"delete", "MODEL_ID@VERSION", "delete a model version",
     "Also accepts MODEL_ID VERSION. The server refuses (FAILED_PRECONDITION, exit\n"
     "1) while the version is deployed on an endpoint or an alias points to it;\n"
     "the message names them. Deleted versions stay listed by get --deleted.\n",
     1, 2, aia_cli_no_options, cmd_delete},
    {"predict", "[MODEL_REF]", "predict rows with a model or an endpoint", aia_cli_predict_help, 0, 1,
     aia_cli_predict_options, aia_cli_cmd_predict},
};

const aia_cli_group aia_cli_models_group = {
    "models",
    "The model registry: train versions, inspect them, alias, delete, predict.",
    k_commands,
    sizeof k_commands / sizeof k_commands[0],
};
