/* lib/monitor/monitor_internal.h — what the monitor files share. */
#ifndef AIA_MONITOR_INTERNAL_H
#define AIA_MONITOR_INTERNAL_H

#include <pthread.h>

#include "lib/base/arena.h"
#include "lib/drift/report.h"
#include "lib/monitor/monitor.h"
#include "lib/monitor/predlog.h"
#include "lib/monitor/webhook.h"

#define MON_ID_MAX 64

/* A monitored version's reference, loaded once and then read-only (shared
 * by concurrent checks of the same monitor through the monitor's lock). */
typedef struct mon_ref {
    int version;
    aia_task task;
    char **features;          /* monitored features, monitor order */
    aia_column_type *types;
    size_t n_features;
    aia_drift_reference *data; /* the features */
    aia_drift_reference *outputs; /* one column "prediction"; NULL if the reference could not be predicted */
    char *positive_label;     /* binary classification: class_labels[1]; else NULL */
    double reference_positive_rate; /* share of reference rows predicted positive (p >= 0.5) */
    size_t rows;
    char sha256[65];
} mon_ref;

/* Runtime state of one monitor. `mu` serialises its checks. */
typedef struct mon_state {
    char monitor_id[MON_ID_MAX + 1];
    char model_id[AIA_STORE_ID_MAX + 1];
    pthread_mutex_t mu;
    mon_ref *ref;               /* NULL until the first check needs it */
    aia_predlog_pos log_pos;    /* after the rows of the last log check */
    int log_known;              /* log_pos and truth_seen were initialised */
    int64_t last_check_ns;      /* 0 = never (this process) */
    int64_t last_action_ns;     /* last retraining submitted (cooldown) */
    int64_t truth_seen;         /* the model's ground-truth count at the last check */
    struct mon_state *next;
} mon_state;

struct aia_monitors_sub {
    aia_monitors_alert_fn fn;
    void *arg;
    struct aia_monitors_sub *next;
};

struct aia_monitors {
    aia_monitors_options opt;
    char *data_dir;
    pthread_mutex_t mu;      /* states, subs, stopping, wake */
    pthread_cond_t cv;
    mon_state *states;
    aia_monitors_sub *subs;
    int stopping;
    int wake;                /* ground truth arrived: poll now */
    pthread_t poller;
    int poller_started;
    aia_webhook *webhooks;
};

/* ---- monitor.c ---- */
/* The state of a stored monitor, created on first use. NULL only when out
 * of memory. */
mon_state *mon_state_get(aia_monitors *m, const char *monitor_id, const char *model_id);
/* A copy of a record through its wire form (caller frees with
 * aia_store_record_free); NULL when out of memory. */
void *mon_record_dup(const ProtobufCMessage *msg);
void mon_time_set(AiaStore__V1__Time *t, int64_t ns);
int64_t mon_time_ns(const AiaStore__V1__Time *t);
/* A fresh id: prefix + 16 random hex digits. */
void mon_new_id(const char *prefix, char *out, size_t size);
/* Calls every subscriber with the alert (under the monitors' lock). */
void mon_deliver(aia_monitors *m, const aia_drift_alert_record *alert);

/* ---- monitor_reference.c ---- */
/* The version a monitor checks now: its fixed version, else the model's
 * default (production alias, else latest). */
aia_status mon_resolve_version(aia_monitors *m, const aia_drift_monitor_record *rec, int *version, aia_error *err);
/* Loads (or keeps, when already loaded for that version) st->ref. */
aia_status mon_ref_ensure(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec, int version,
                          aia_error *err);
void mon_ref_free(mon_ref *r);
/* A model's outputs over `f` as a one-column frame "prediction": the
 * predicted class (classification) or the value (regression); for a
 * binary classifier also each row's probability of class 1 (*p_pos,
 * malloc'd; NULL otherwise). lenient: a frame the model cannot predict
 * (e.g. lacking an input) gives *out NULL and AIA_OK instead of the error. */
aia_status mon_predict_outputs(const aia_model *model, const aia_frame *f, const char *source, int lenient,
                               aia_frame **out, double **p_pos, aia_error *err);
/* The monitored features (copies, monitor order) with the types the
 * version's lineage gives them; FAILED_PRECONDITION names a feature the
 * version lacks. On error the caller frees what was filled (n of names). */
aia_status mon_feature_schema(const aia_drift_monitor_record *rec, const aia_version_record *v, char ***names,
                              aia_column_type **types, size_t *n, aia_error *err);
/* The type a version's lineage gives a feature, 0 when not one of its features. */
aia_column_type mon_feature_type(const aia_version_record *v, const char *name);
/* Reads a CSV data URI with the version's feature types (and, for a
 * classifier, its target read as text) forced on the columns the file has;
 * every `required` column must be there (see aia_train_load_csv). */
aia_status mon_load_csv(aia_monitors *m, const aia_version_record *v, const char *field, const char *uri,
                        const char *const *required, size_t n_required, aia_frame **out, char sha256[65],
                        aia_error *err);

/* ---- monitor_check.c ---- */
/* The drift options of a monitor's overrides (strings borrowed from rec;
 * features array malloc'd into *opt, freed by mon_options_free). */
aia_status mon_options(const aia_drift_monitor_record *rec, int threads, aia_drift_options *opt, aia_error *err);
void mon_options_free(aia_drift_options *opt);

/* One check of a monitor (see aia_monitors_check); serialised on st->mu.
 * `live`: started by the poller; a live log window with fewer than
 * window_size rows (a check woken by ground truth) then reports concept
 * drift only: no features, no data or prediction verdict. */
aia_status mon_check(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec, const char *uri,
                     const aia_frame *rows, int live, int skip_actions, aia_drift_report_record **out,
                     aia_error *err);

/* ---- monitor_concept.c ---- */
/* Concept drift over the model's latest window_size outcomes (ground
 * truth) and the logged predictions of the monitored version they judge:
 * *out NULL (no error) while fewer than min_labelled_rows match. *w (caller
 * frees with aia_predlog_window_free) holds those predictions; rows
 * labelled_rows[0..n_labelled) of it have an outcome, labelled_truth[i] as
 * text (for retraining). Allocated in `a` but *w. */
aia_status mon_concept(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_version_record *v,
                       const mon_ref *r, aia_arena *a, AiaStore__V1__ConceptDrift **out, aia_predlog_window **w,
                       size_t **labelled_rows, char ***labelled_truth, size_t *n_labelled, aia_error *err);
/* Whether a concept metric name is known for the task; its default. */
int mon_concept_metric_known(const char *name, aia_task task);
const char *mon_concept_metric_default(aia_task task);

/* ---- monitor_actions.c ---- */
/* Raises the report's alerts (stored, to subscribers, to webhooks) and
 * takes its actions, filling report->retraining_job_id and
 * refit_model_version. `current` is the checked window (refits fit on it);
 * `w` and the labelled rows are mon_concept's (may be NULL / 0), for
 * retraining. */
void mon_act(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec, const aia_version_record *v,
             AiaStore__V1__DriftReport *report, const aia_frame *current, const aia_predlog_window *w,
             const size_t *labelled_rows, char *const *labelled_truth, size_t n_labelled, aia_arena *a);

/* ---- monitor_refit.c ---- */
/* Refits v's preprocessing on `current` and publishes it as a new version
 * (*new_version) of the same trained model. */
aia_status mon_refit(aia_monitors *m, const aia_version_record *v, const aia_frame *current, const char *report_id,
                     int *new_version, aia_error *err);

/* ---- monitor_retrain.c ---- */
aia_status mon_retrain(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_version_record *v,
                       const char *report_id, const aia_predlog_window *w, const size_t *labelled_rows,
                       char *const *labelled_truth, size_t n_labelled, char **job_id, aia_error *err);

/* ---- monitor_poll.c ---- */
void *mon_poll_main(void *arg);
/* Records the model's log end and ground-truth count as already seen, so
 * only what comes later makes a live check due. Caller holds st->mu. */
void mon_mark_seen(aia_monitors *m, mon_state *st);

#endif
