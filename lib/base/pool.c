/* lib/base/pool.c — see pool.h. A mutex-protected FIFO of heap nodes; the
 * pool serves coarse jobs (milliseconds and up), so a lock per job is
 * noise next to the job itself. */
#include "lib/base/pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
    struct job *next;
    aia_pool_fn fn;
    void *arg;
} job;

struct aia_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    size_t pending;
    int stopping;
    size_t n_threads;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    aia_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping) pthread_cond_wait(&p->cv, &p->mu);
        job *j = p->head;
        if (!j) break; /* stopping and drained */
        p->head = j->next;
        if (!p->head) p->tail = NULL;
        p->pending--;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

aia_status aia_pool_create(size_t threads, aia_pool **out, aia_error *err)
{
    if (threads == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "pool: threads must be >= 1");
    aia_pool *p = calloc(1, sizeof *p);
    if (p) p->threads = calloc(threads, sizeof *p->threads);
    if (!p || !p->threads) {
        free(p);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "pool: out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (size_t i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            aia_pool_destroy(p);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "pool: cannot start worker thread %zu", i);
        }
        p->n_threads++;
    }
    *out = p;
    return AIA_OK;
}

aia_status aia_pool_submit(aia_pool *p, aia_pool_fn fn, void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j) return AIA_RESOURCE_EXHAUSTED;
    *j = (job){NULL, fn, arg};
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        free(j);
        return AIA_UNAVAILABLE;
    }
    if (p->tail) p->tail->next = j;
    else p->head = j;
    p->tail = j;
    p->pending++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return AIA_OK;
}

size_t aia_pool_pending(aia_pool *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->pending;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void aia_pool_destroy(aia_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
