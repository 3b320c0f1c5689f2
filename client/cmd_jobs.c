/* client/cmd_jobs.c — `aia jobs list|get|watch|cancel`, and the job views
 * and the watcher that `aia models train --wait` shares.
 *
 * Watching prints one line per event the moment it arrives (stdout is
 * flushed per line, so `aia jobs watch J | tee log` shows progress live).
 * Boosting rounds can come by the hundred per second, so the text view
 * throttles iteration lines (and bare progress updates): the first of each
 * trial, then at most one per half second, and the last one before any
 * other event, so that the final round is always shown. A trial's
 * hyperparameters are shown when it starts, not again when it ends. --json prints every event, unthrottled: a program
 * reading it wants them all.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cli_commands.h"
#include "client/cli_format.h"
#include "client/cli_groups.h"
#include "client/cli_output.h"
#include "client/cli_rpc.h"
#include "lib/base/timeutil.h"

#define ITERATION_INTERVAL_NS 500000000LL

static const char *job_state(int state, char *buf, size_t size)
{
    return aia_cli_enum_name(&aia__v1__job_state__descriptor, state, "JOB_STATE_", buf, size);
}

static int terminal(int state)
{
    return state == AIA__V1__JOB_STATE__JOB_STATE_SUCCEEDED || state == AIA__V1__JOB_STATE__JOB_STATE_FAILED ||
           state == AIA__V1__JOB_STATE__JOB_STATE_CANCELLED;
}

void aia_cli_view_job_summary(FILE *out, const ProtobufCMessage *m)
{
    const Aia__V1__TrainingJob *j = (const Aia__V1__TrainingJob *)m;
    char st[48];
    aia_cli_field(out, "job", "%s", j->job_id);
    aia_cli_field(out, "model", "%s@%d", j->model_id, j->model_version);
    aia_cli_field(out, "state", "%s", job_state(j->state, st, sizeof st));
    if (j->error && *j->error) aia_cli_field(out, "error", "%s", j->error);
}

static void view_hpo(FILE *out, const Aia__V1__HpoProgress *h)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_printf(&sb, "%d/%d trials done (%d pruned, %d failed), metric %s", h->trials_completed,
                      h->trials_total, h->trials_pruned, h->trials_failed, h->metric);
    if (h->trials_completed > 0) {
        aia_strbuf_printf(&sb, ", best trial %d = ", h->best_trial);
        aia_cli_format_number(&sb, h->best_value);
    }
    aia_cli_field(out, "hpo", "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
    aia_cli_field_map(out, "best params", &h->base, "best_hyperparameters");
}

static void view_job(FILE *out, const ProtobufCMessage *m)
{
    const Aia__V1__TrainingJob *j = (const Aia__V1__TrainingJob *)m;
    char buf[64];
    aia_cli_view_job_summary(out, m);
    aia_cli_field(out, "task", "%s", aia_cli_enum_name(&aia__v1__task_type__descriptor, j->task_type, "TASK_TYPE_",
                                                      buf, sizeof buf));
    if (j->algorithm && *j->algorithm) aia_cli_field(out, "algorithm", "%s", j->algorithm);
    aia_cli_field(out, "progress", "%.0f%%", j->progress * 100);
    if (j->spec && j->spec->training_data_uri && *j->spec->training_data_uri)
        aia_cli_field(out, "data", "%s (target %s)", j->spec->training_data_uri, j->spec->target_column);
    if (j->data_split)
        aia_cli_field(out, "rows", "%lld train, %lld validation, %lld test", (long long)j->data_split->train_rows,
                      (long long)j->data_split->validation_rows, (long long)j->data_split->test_rows);
    aia_cli_field_map(out, "metrics", m, "metrics");
    aia_cli_field_map(out, "validation", m, "validation_metrics");
    aia_cli_field_map(out, "params", m, "hyperparameters");
    if (j->hpo) view_hpo(out, j->hpo);
    aia_cli_field_map(out, "labels", m, "labels");
    aia_cli_field(out, "created", "%s", aia_cli_format_time(j->create_time, buf, sizeof buf));
    if (j->start_time) aia_cli_field(out, "started", "%s", aia_cli_format_time(j->start_time, buf, sizeof buf));
    if (j->end_time) aia_cli_field(out, "ended", "%s", aia_cli_format_time(j->end_time, buf, sizeof buf));
    if (j->created_by && *j->created_by) aia_cli_field(out, "created by", "%s", j->created_by);
    if (j->attempt > 1) aia_cli_field(out, "attempt", "%d", j->attempt);
}

static void view_job_list(FILE *out, const ProtobufCMessage *m)
{
    const Aia__V1__ListTrainingJobsResponse *r = (const Aia__V1__ListTrainingJobsResponse *)m;
    static const char *const headers[] = {"JOB", "MODEL", "STATE", "PROGRESS", "ALGORITHM", "CREATED", NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < r->n_jobs; i++) {
        const Aia__V1__TrainingJob *j = r->jobs[i];
        char st[48], tm[64];
        aia_cli_table_cell(t, "%s", j->job_id);
        aia_cli_table_cell(t, "%s@%d", j->model_id, j->model_version);
        aia_cli_table_cell(t, "%s", job_state(j->state, st, sizeof st));
        aia_cli_table_cell(t, "%.0f%%", j->progress * 100);
        aia_cli_table_cell(t, "%s", j->algorithm && *j->algorithm ? j->algorithm : "-");
        aia_cli_table_cell(t, "%s", aia_cli_format_time(j->create_time, tm, sizeof tm));
    }
    aia_cli_table_done(out, t, r->next_page_token);
}

/* ---- watching ---------------------------------------------------------------- */

typedef struct watcher {
    const aia_cli_args *a;
    FILE *out;
    int state;                    /* the job's last known state */
    int have_split;               /* the row counts were shown */
    int events;                   /* events seen */
    int shown_percent;            /* progress last shown, in percent */
    Aia__V1__TrainingJob *last;   /* a copy of the latest job */
    aia_strbuf pending;           /* an iteration line not shown yet */
    int pending_trial;            /* its trial; -1 before the first */
    int64_t last_iteration_ns;    /* when an iteration line was last shown */
    aia_status print_status;      /* an event that could not be printed */
    aia_error print_err;
} watcher;

static void line_start(aia_strbuf *sb, const Google__Protobuf__Timestamp *when)
{
    time_t t = when ? (time_t)when->seconds : time(NULL);
    struct tm tm;
    char hms[16];
    strftime(hms, sizeof hms, "%H:%M:%S", localtime_r(&t, &tm));
    aia_strbuf_printf(sb, "%s  ", hms);
}

static void emit(watcher *w, aia_strbuf *line)
{
    aia_strbuf_putc(line, '\n');
    fwrite(aia_strbuf_cstr(line), 1, line->len, w->out);
    fflush(w->out);
}

static void flush_pending(watcher *w)
{
    if (!w->pending.len) return;
    emit(w, &w->pending);
    aia_strbuf_reset(&w->pending);
    w->last_iteration_ns = aia_time_mono_ns();
}

/* Iterations and bare progress updates: the latest is kept and shown when
 * the interval has passed (or at once when `now`). */
static void throttled(watcher *w, const Aia__V1__TrainingJobEvent *e)
{
    int now = 0;
    aia_strbuf_reset(&w->pending);
    line_start(&w->pending, e->event_time);
    if (e->detail_case == AIA__V1__TRAINING_JOB_EVENT__DETAIL_ITERATION) {
        const Aia__V1__TrainingIteration *it = e->iteration;
        now = it->trial != w->pending_trial;
        if (it->trial > 0) aia_strbuf_printf(&w->pending, "trial %d ", it->trial);
        aia_strbuf_printf(&w->pending, "iteration %d: ", it->iteration);
        aia_cli_format_map(&w->pending, &it->base, "metrics", " ");
        w->pending_trial = it->trial;
    } else {
        int percent = (int)(e->job->progress * 100 + 0.5);
        if (percent <= w->shown_percent) return; /* nothing new to say */
        aia_strbuf_printf(&w->pending, "progress %d%%", percent);
        w->shown_percent = percent;
    }
    if (now || aia_time_mono_ns() - w->last_iteration_ns >= ITERATION_INTERVAL_NS) flush_pending(w);
}

static void describe_event(aia_strbuf *sb, const Aia__V1__TrainingJobEvent *e)
{
    char a[48], b[48];
    const Aia__V1__TrainingJob *j = e->job;
    switch (e->detail_case) {
    case AIA__V1__TRAINING_JOB_EVENT__DETAIL_STATE_CHANGE:
        aia_strbuf_printf(sb, "state %s -> %s", job_state(e->state_change->previous_state, a, sizeof a),
                          job_state(e->state_change->state, b, sizeof b));
        if (j && j->error && *j->error && terminal(e->state_change->state)) aia_strbuf_printf(sb, ": %s", j->error);
        break;
    case AIA__V1__TRAINING_JOB_EVENT__DETAIL_TRIAL: {
        const Aia__V1__HpoTrial *t = e->trial;
        aia_strbuf_printf(sb, "trial %d %s", t->number,
                          aia_cli_enum_name(&aia__v1__trial_state__descriptor, t->state, "TRIAL_STATE_", a, sizeof a));
        if (t->state == AIA__V1__TRIAL_STATE__TRIAL_STATE_COMPLETE) {
            aia_strbuf_puts(sb, ": value ");
            aia_cli_format_number(sb, t->value);
        } else if (t->state == AIA__V1__TRIAL_STATE__TRIAL_STATE_PRUNED) {
            aia_strbuf_printf(sb, " at iteration %d", t->pruned_at_iteration);
        } else if (t->error && *t->error) {
            aia_strbuf_printf(sb, ": %s", t->error);
        }
        if (t->state == AIA__V1__TRIAL_STATE__TRIAL_STATE_RUNNING && t->n_hyperparameters) {
            aia_strbuf_puts(sb, " (");
            aia_cli_format_map(sb, &t->base, "hyperparameters", " ");
            aia_strbuf_putc(sb, ')');
        }
        if (j && j->hpo && j->hpo->trials_completed > 0 && t->state != AIA__V1__TRIAL_STATE__TRIAL_STATE_RUNNING) {
            aia_strbuf_printf(sb, "; best trial %d = ", j->hpo->best_trial);
            aia_cli_format_number(sb, j->hpo->best_value);
            aia_strbuf_printf(sb, ", %d/%d done", j->hpo->trials_completed + j->hpo->trials_pruned +
                                                      j->hpo->trials_failed, j->hpo->trials_total);
        }
        break;
    }
    default: {
        char st[48];
        aia_strbuf_printf(sb, "job %s: %s@%d %s", j ? j->job_id : "?", j ? j->model_id : "?",
                          j ? j->model_version : 0, job_state(j ? (int)j->state : 0, st, sizeof st));
        if (j && j->progress > 0 && !terminal(j->state)) aia_strbuf_printf(sb, ", %.0f%% done", j->progress * 100);
        break;
    }
    }
}

/* Keeps a copy of the job: the callback's message dies when it returns. */
static void remember(watcher *w, const Aia__V1__TrainingJob *j)
{
    size_t len = protobuf_c_message_get_packed_size(&j->base);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return;
    protobuf_c_message_pack(&j->base, buf);
    Aia__V1__TrainingJob *copy = aia__v1__training_job__unpack(NULL, len, buf);
    free(buf);
    if (!copy) return;
    if (w->last) aia__v1__training_job__free_unpacked(w->last, NULL);
    w->last = copy;
}

/* The rows per split, once, as soon as a job says it has them. */
static void show_split(watcher *w, const Aia__V1__TrainingJobEvent *e)
{
    if (w->have_split || !e->job || !e->job->data_split) return;
    const Aia__V1__DataSplitSizes *d = e->job->data_split;
    aia_strbuf line = AIA_STRBUF_INIT;
    line_start(&line, e->event_time);
    aia_strbuf_printf(&line, "data: %lld train, %lld validation, %lld test rows", (long long)d->train_rows,
                      (long long)d->validation_rows, (long long)d->test_rows);
    emit(w, &line);
    aia_strbuf_free(&line);
    w->have_split = 1;
}

static void show_event(watcher *w, const Aia__V1__TrainingJobEvent *e)
{
    int progress_only = e->detail_case == AIA__V1__TRAINING_JOB_EVENT__DETAIL__NOT_SET && w->events > 1 && e->job &&
                        !terminal(e->job->state);
    if ((e->detail_case == AIA__V1__TRAINING_JOB_EVENT__DETAIL_ITERATION && e->iteration) || progress_only) {
        throttled(w, e);
        return;
    }
    flush_pending(w);
    aia_strbuf line = AIA_STRBUF_INIT;
    int snapshot = w->events == 1;
    if (!snapshot) show_split(w, e); /* it came with this event: it happened before it */
    line_start(&line, e->event_time);
    describe_event(&line, e);
    emit(w, &line);
    if (snapshot) show_split(w, e);
    if (e->job && e->job->progress * 100 > w->shown_percent) w->shown_percent = (int)(e->job->progress * 100 + 0.5);
    aia_strbuf_free(&line);
}

static int on_event(const ProtobufCMessage *msg, void *user)
{
    watcher *w = user;
    const Aia__V1__TrainingJobEvent *e = (const Aia__V1__TrainingJobEvent *)msg;
    w->events++;
    if (w->a->json) {
        aia_status st = aia_cli_write_json(w->out, msg, w->a->pretty, &w->print_err);
        if (st != AIA_OK) {
            w->print_status = st;
            return 1;
        }
    } else {
        show_event(w, e);
    }
    if (e->job) {
        w->state = e->job->state;
        remember(w, e->job);
    }
    return 0;
}

/* The end of a watch: the job's outcome decides the exit status. */
static int outcome(watcher *w, FILE *errf)
{
    const Aia__V1__TrainingJob *j = w->last;
    char st[48];
    if (!j || !terminal(j->state)) {
        aia_cli_print_status_error(errf, AIA_UNAVAILABLE, "the watch ended before the job finished");
        return AIA_CLI_EXIT_FAILED;
    }
    if (j->state != AIA__V1__JOB_STATE__JOB_STATE_SUCCEEDED) {
        fprintf(errf, "aia: job %s %s: %s\n", j->job_id, job_state(j->state, st, sizeof st),
                j->error && *j->error ? j->error : "(no reason given)");
        fflush(errf);
        return AIA_CLI_EXIT_FAILED;
    }
    if (!w->a->json) {
        fprintf(w->out, "SUCCEEDED: %s@%d (job %s)\n", j->model_id, j->model_version, j->job_id);
        aia_strbuf sb = AIA_STRBUF_INIT;
        aia_cli_format_map(&sb, &j->base, "metrics", " ");
        fprintf(w->out, "test metrics: %s\n", sb.len ? aia_strbuf_cstr(&sb) : "(none)");
        aia_strbuf_free(&sb);
        fflush(w->out);
    }
    return AIA_CLI_EXIT_OK;
}

int aia_cli_watch_job(const aia_cli_args *a, const char *job_id, FILE *out, FILE *errf)
{
    watcher w = {.a = a, .out = out, .pending = AIA_STRBUF_INIT, .pending_trial = -1};
    Aia__V1__WatchTrainingJobRequest req = AIA__V1__WATCH_TRAINING_JOB_REQUEST__INIT;
    req.job_id = (char *)job_id;
    aia_error err;
    aia_status st = aia_cli_rpc_stream(a, &aia__v1__model_service__descriptor, "WatchTrainingJob", &req.base,
                                       a->timeout_set ? a->timeout_seconds : 0, on_event, &w, &err);
    flush_pending(&w);
    int rc;
    if (w.print_status != AIA_OK) {
        aia_cli_print_status_error(errf, w.print_status, w.print_err.message);
        rc = AIA_CLI_EXIT_FAILED;
    } else if (st != AIA_OK) {
        aia_cli_print_status_error(errf, st, err.message);
        rc = AIA_CLI_EXIT_FAILED;
    } else {
        rc = outcome(&w, errf);
    }
    if (w.last) aia__v1__training_job__free_unpacked(w.last, NULL);
    aia_strbuf_free(&w.pending);
    return rc;
}

/* ---- the commands ------------------------------------------------------------ */

static int cmd_list(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__ListTrainingJobsRequest req = AIA__V1__LIST_TRAINING_JOBS_REQUEST__INIT;
    aia_error err;
    const char *token;
    if (aia_cli_page_options(&a->sub, &req.page_size, &token, &err) != 0) goto usage;
    req.page_token = (char *)(token ? token : "");
    req.model_id = (char *)aia_cli_opt_or(&a->sub, "--model", "");
    Aia__V1__JobState states[8];
    size_t pos = 0;
    for (const char *v; (v = aia_cli_opt_next(&a->sub, "--state", &pos));) {
        char **names;
        size_t n;
        if (aia_cli_split_list("--state", v, &names, &n, &err) != 0) goto usage;
        for (size_t k = 0; k < n; k++) {
            int s;
            int bad = aia_cli_parse_enum("--state", names[k], &aia__v1__job_state__descriptor, "JOB_STATE_", &s, &err);
            if (!bad && req.n_states < sizeof states / sizeof states[0]) states[req.n_states++] = s;
            if (bad) {
                aia_cli_strv_free(names);
                goto usage;
            }
        }
        aia_cli_strv_free(names);
    }
    req.states = states;
    return aia_cli_rpc_show(a, &aia__v1__model_service__descriptor, "ListTrainingJobs", &req.base, view_job_list, out,
                            errf);
usage:
    return aia_cli_usage_failed(errf, &err);
}

static int cmd_get(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__GetTrainingJobRequest req = AIA__V1__GET_TRAINING_JOB_REQUEST__INIT;
    req.job_id = (char *)a->sub.args[0];
    return aia_cli_rpc_show(a, &aia__v1__model_service__descriptor, "GetTrainingJob", &req.base, view_job, out, errf);
}

static int cmd_cancel(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__CancelTrainingJobRequest req = AIA__V1__CANCEL_TRAINING_JOB_REQUEST__INIT;
    req.job_id = (char *)a->sub.args[0];
    return aia_cli_rpc_show(a, &aia__v1__model_service__descriptor, "CancelTrainingJob", &req.base,
                            aia_cli_view_job_summary, out, errf);
}

static int cmd_watch(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    return aia_cli_watch_job(a, a->sub.args[0], out, errf);
}

static const aia_cli_option k_list_options[] = {
    {"--model", AIA_CLI_VALUE},
    {"--state", AIA_CLI_REPEAT},
    AIA_CLI_PAGE_OPTIONS,
    {NULL, 0},
};

static const aia_cli_subcommand k_commands[] = {
    {"list", "", "list training jobs, newest first",
     "options:\n"
     "  --model MODEL_ID      only the jobs of this registered model\n"
     "  --state STATE[,...]   only jobs in these states (repeatable): queued, running,\n"
     "                        succeeded, failed, cancelled\n"
     AIA_CLI_PAGE_HELP("jobs")
     "\n"
     "Prints a table: JOB, MODEL (model@version), STATE, PROGRESS, ALGORITHM,\n"
     "CREATED; with --json the ListTrainingJobsResponse.\n",
     0, 0, k_list_options, cmd_list},
    {"get", "JOB_ID", "show one training job",
     "Prints the job: model@version, state, error, task, algorithm, progress,\n"
     "data and row counts, test and validation metrics, hyperparameters, HPO\n"
     "progress, times; with --json the TrainingJob.\n",
     1, 1, aia_cli_no_options, cmd_get},
    {"watch", "JOB_ID", "follow a job's progress until it ends",
     "Streams the job's events as they happen, one line each: a snapshot first,\n"
     "then state changes, training iterations (validation metrics; shown at most\n"
     "twice a second, the last one always) and HPO trials. With --json, every\n"
     "event as one TrainingJobEvent JSON document per line.\n"
     "\n"
     "Waits without a deadline unless --timeout (or AIA_TIMEOUT) is given.\n"
     "Exits 0 when the job SUCCEEDED (printing its test metrics), 1 when it\n"
     "FAILED or was CANCELLED (\"aia: job ID FAILED: reason\" on stderr).\n",
     1, 1, aia_cli_no_options, cmd_watch},
    {"cancel", "JOB_ID", "cancel a queued or running job",
     "A running job stops within about a second; the job printed may still show\n"
     "RUNNING until it does (aia jobs get JOB_ID). Cancelling a finished job\n"
     "fails with FAILED_PRECONDITION.\n",
     1, 1, aia_cli_no_options, cmd_cancel},
};

const aia_cli_group aia_cli_jobs_group = {
    "jobs",
    "Training jobs: list, inspect, follow and cancel them.",
    k_commands,
    sizeof k_commands / sizeof k_commands[0],
};
