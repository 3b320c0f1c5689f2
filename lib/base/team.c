/* lib/base/team.c — see team.h. Each job has a generation number; workers
 * sleep until the generation moves, run their part, and the last one to
 * finish wakes the caller. */
#include "lib/base/team.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct aia_team {
    int size;
    pthread_t *workers; /* size - 1 */
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    unsigned long generation;
    int pending; /* parts of the current job still running on workers */
    int stopping;
    aia_team_fn fn;
    void *arg;
};

typedef struct worker_arg {
    aia_team *team;
    int part;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg wa = *(worker_arg *)p;
    free(p);
    aia_team *t = wa.team;
    unsigned long seen = 0;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (t->generation == seen && !t->stopping) pthread_cond_wait(&t->start, &t->mu);
        if (t->stopping) break;
        seen = t->generation;
        aia_team_fn fn = t->fn;
        void *arg = t->arg;
        pthread_mutex_unlock(&t->mu);
        fn(arg, wa.part, t->size);
        pthread_mutex_lock(&t->mu);
        if (--t->pending == 0) pthread_cond_signal(&t->done);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

aia_status aia_team_create(int threads, aia_team **out, aia_error *err)
{
    *out = NULL;
    if (threads < 1) return aia_error_set(err, AIA_INVALID_ARGUMENT, "threads: must be at least 1, got %d", threads);
    aia_team *t = calloc(1, sizeof *t);
    if (!t) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a thread team");
    t->size = threads;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->start, NULL);
    pthread_cond_init(&t->done, NULL);
    t->workers = calloc((size_t)threads, sizeof *t->workers);
    for (int i = 1; t->workers && i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) *wa = (worker_arg){t, i};
        if (!wa || pthread_create(&t->workers[i - 1], NULL, worker_main, wa) != 0) {
            free(wa);
            t->size = i; /* destroy joins the ones that started */
            aia_team_destroy(t);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "cannot start thread %d of a team of %d", i, threads);
        }
    }
    if (!t->workers) {
        aia_team_destroy(t);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a thread team");
    }
    *out = t;
    return AIA_OK;
}

int aia_team_size(const aia_team *t)
{
    return t->size;
}

void aia_team_run(aia_team *t, aia_team_fn fn, void *arg)
{
    if (t->size > 1) {
        pthread_mutex_lock(&t->mu);
        t->fn = fn;
        t->arg = arg;
        t->pending = t->size - 1;
        t->generation++;
        pthread_cond_broadcast(&t->start);
        pthread_mutex_unlock(&t->mu);
    }
    fn(arg, 0, t->size);
    if (t->size > 1) {
        pthread_mutex_lock(&t->mu);
        while (t->pending > 0) pthread_cond_wait(&t->done, &t->mu);
        pthread_mutex_unlock(&t->mu);
    }
}

void aia_team_destroy(aia_team *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->mu);
    t->stopping = 1;
    pthread_cond_broadcast(&t->start);
    pthread_mutex_unlock(&t->mu);
    for (int i = 1; t->workers && i < t->size; i++) pthread_join(t->workers[i - 1], NULL);
    free(t->workers);
    pthread_cond_destroy(&t->start);
    pthread_cond_destroy(&t->done);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

int aia_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}
