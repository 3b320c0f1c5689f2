/* lib/monitor/monitor_poll.c — the background thread that watches live
 * traffic: a monitor is checked when window_size new rows were logged
 * since its last check, when its check_interval passed with new rows, or
 * when new ground truth for its model arrived. Checks run one after the
 * other on this thread; RunDriftCheck calls run on their callers'. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/monitor/monitor_internal.h"

/* First sight of a monitor in this process: what is logged already is
 * history, not a window to check. */
void mon_mark_seen(aia_monitors *m, mon_state *st)
{
    if (st->log_known) return;
    size_t rows = 0;
    aia_error err;
    if (aia_predlog_count_after(m->data_dir, st->model_id, (aia_predlog_pos){0, 0}, &rows, &st->log_pos, &err) ==
        AIA_OK)
        st->log_known = 1;
    int64_t truth = 0;
    if (aia_store_ground_truth_count(m->opt.store, st->model_id, &truth, &err) == AIA_OK) st->truth_seen = truth;
    st->last_check_ns = aia_time_now_ns();
}

static int64_t interval_ns(const aia_drift_monitor_record *rec)
{
    return rec->check_interval ? mon_time_ns(rec->check_interval) : 0;
}

/* Whether the monitor is due, and the log position / truth count that
 * made it so (recorded even when the check fails, so a failing check is
 * not retried on every poll). */
static int due(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec)
{
    size_t rows = 0;
    aia_predlog_pos end;
    aia_error err;
    if (aia_predlog_count_after(m->data_dir, rec->model_id, st->log_pos, &rows, &end, &err) != AIA_OK) return 0;
    int64_t truth = st->truth_seen;
    aia_store_ground_truth_count(m->opt.store, rec->model_id, &truth, &err);
    int64_t every = interval_ns(rec);
    int go = rows >= (size_t)rec->window_size || truth != st->truth_seen ||
             (every > 0 && rows > 0 && aia_time_now_ns() - st->last_check_ns >= every);
    if (go) {
        st->truth_seen = truth;
        st->log_pos = end;
    }
    return go;
}

static void poll_once(aia_monitors *m)
{
    aia_drift_monitor_record **recs = NULL;
    size_t n = 0;
    aia_error err;
    if (aia_store_drift_monitor_list(m->opt.store, NULL, &recs, &n, &err) != AIA_OK) {
        aia_logf(AIA_LOG_ERROR, "drift_poll", "cannot list monitors: %s", err.message);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const aia_drift_monitor_record *rec = recs[i];
        mon_state *st = mon_state_get(m, rec->monitor_id, rec->model_id);
        if (!st || rec->state != AIA_STORE__V1__DRIFT_MONITOR_STATE__DRIFT_MONITOR_STATE_ACTIVE) continue;
        pthread_mutex_lock(&st->mu);
        int seen = st->log_known, go = seen && due(m, st, rec);
        if (!seen) mon_mark_seen(m, st);
        pthread_mutex_unlock(&st->mu);
        if (!go) continue;
        if (mon_check(m, st, rec, NULL, NULL, 1, 0, NULL, &err) != AIA_OK)
            aia_logf(AIA_LOG_WARN, "drift_check", "monitor %s: live check failed: %s", rec->monitor_id, err.message);
    }
    aia_store_records_free((void **)recs, n);
}

void *mon_poll_main(void *arg)
{
    aia_monitors *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        if (!m->wake) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t ns = until.tv_nsec + (m->opt.poll_ms % 1000) * 1000000;
            until.tv_sec += (time_t)(m->opt.poll_ms / 1000 + ns / 1000000000);
            until.tv_nsec = (long)(ns % 1000000000);
            pthread_cond_timedwait(&m->cv, &m->mu, &until);
        }
        if (m->stopping) break;
        m->wake = 0;
        pthread_mutex_unlock(&m->mu);
        poll_once(m);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}
