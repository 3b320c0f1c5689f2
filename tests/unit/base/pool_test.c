/* tests/unit/base/pool_test.c — lib/base/pool: every job runs, FIFO order
 * with one worker, destroy runs what is queued, and a submit after destroy
 * has begun is refused with AIA_UNAVAILABLE. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/base/pool.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_create_rejects_zero_threads(void **state)
{
    (void)state;
    aia_pool *p = NULL;
    aia_error err;
    assert_int_equal(aia_pool_create(0, &p, &err), AIA_INVALID_ARGUMENT);
    assert_null(p);
    assert_non_null(strstr(err.message, "threads"));
    aia_pool_destroy(NULL); /* harmless */
}

static void count_job(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static void test_all_jobs_run(void **state)
{
    (void)state;
    aia_pool *p = NULL;
    aia_error err;
    assert_int_equal(aia_pool_create(4, &p, &err), AIA_OK);
    assert_int_equal(aia_pool_pending(p), 0);
    _Atomic int n = 0;
    for (int i = 0; i < 5000; i++) assert_int_equal(aia_pool_submit(p, count_job, &n), AIA_OK);
    aia_pool_destroy(p);
    assert_int_equal(atomic_load(&n), 5000);
}

typedef struct order_log {
    int seen[200];
    int n;
} order_log;

typedef struct order_job {
    order_log *log;
    int id;
} order_job;

static void record_order(void *arg)
{
    order_job *j = arg;
    j->log->seen[j->log->n++] = j->id; /* one worker: no race */
}

static void test_fifo_with_one_thread(void **state)
{
    (void)state;
    aia_pool *p = NULL;
    aia_error err;
    assert_int_equal(aia_pool_create(1, &p, &err), AIA_OK);
    order_log log = {.n = 0};
    order_job jobs[200];
    for (int i = 0; i < 200; i++) {
        jobs[i] = (order_job){&log, i};
        assert_int_equal(aia_pool_submit(p, record_order, &jobs[i]), AIA_OK);
    }
    aia_pool_destroy(p); /* joins: happens-before the reads below */
    assert_int_equal(log.n, 200);
    for (int i = 0; i < 200; i++) assert_int_equal(log.seen[i], i);
}

/* A job that holds the only worker until destroy has begun, which it
 * detects by its own submits being refused. */
typedef struct gate_job {
    aia_pool *pool;
    _Atomic int started;
    _Atomic int accepted;    /* its submits that were queued */
    _Atomic int refused;     /* 1 once a submit returned AIA_UNAVAILABLE */
    _Atomic int ran;         /* jobs run by the pool, its own and the test's */
    int64_t waited_ms;
} gate_job;

static void gated_count(void *arg)
{
    gate_job *g = arg;
    atomic_fetch_add(&g->ran, 1);
}

static void gate(void *arg)
{
    gate_job *g = arg;
    atomic_store(&g->started, 1);
    int64_t t0 = mono_ms();
    while (mono_ms() - t0 < 5000) {
        aia_status st = aia_pool_submit(g->pool, gated_count, g);
        if (st == AIA_UNAVAILABLE) {
            atomic_store(&g->refused, 1);
            break;
        }
        if (st == AIA_OK) atomic_fetch_add(&g->accepted, 1);
        sleep_ms(2);
    }
    g->waited_ms = mono_ms() - t0;
}

static void test_destroy_runs_queued_and_refuses_new(void **state)
{
    (void)state;
    aia_pool *p = NULL;
    aia_error err;
    assert_int_equal(aia_pool_create(1, &p, &err), AIA_OK);
    gate_job g;
    memset(&g, 0, sizeof g);
    g.pool = p;
    assert_int_equal(aia_pool_submit(p, gate, &g), AIA_OK);
    int64_t t0 = mono_ms();
    while (!atomic_load(&g.started) && mono_ms() - t0 < 5000) sleep_ms(1);
    assert_true(atomic_load(&g.started));
    /* Queued behind the gate: not started yet. */
    for (int i = 0; i < 20; i++) assert_int_equal(aia_pool_submit(p, gated_count, &g), AIA_OK);
    assert_true(aia_pool_pending(p) >= 20);
    sleep_ms(10);
    aia_pool_destroy(p); /* the gate sees its submits refused, returns, queue drains */
    assert_int_equal(atomic_load(&g.refused), 1);
    assert_true(g.waited_ms < 5000);
    assert_int_equal(atomic_load(&g.ran), 20 + atomic_load(&g.accepted));
}

static void test_pending_counts_queued_jobs(void **state)
{
    (void)state;
    aia_pool *p = NULL;
    aia_error err;
    assert_int_equal(aia_pool_create(1, &p, &err), AIA_OK);
    gate_job g;
    memset(&g, 0, sizeof g);
    g.pool = p;
    /* Reuse the gate: pending reflects jobs behind it. */
    assert_int_equal(aia_pool_submit(p, gate, &g), AIA_OK);
    int64_t t0 = mono_ms();
    while (!atomic_load(&g.started) && mono_ms() - t0 < 5000) sleep_ms(1);
    size_t before = aia_pool_pending(p);
    for (int i = 0; i < 7; i++) assert_int_equal(aia_pool_submit(p, gated_count, &g), AIA_OK);
    assert_true(aia_pool_pending(p) >= before + 7);
    aia_pool_destroy(p);
    assert_int_equal(atomic_load(&g.ran), 7 + atomic_load(&g.accepted));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_zero_threads),
        cmocka_unit_test(test_all_jobs_run),
        cmocka_unit_test(test_fifo_with_one_thread),
        cmocka_unit_test(test_destroy_runs_queued_and_refuses_new),
        cmocka_unit_test(test_pending_counts_queued_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
