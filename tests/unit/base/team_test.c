/* Unit tests for lib/base/team: every part runs exactly once per job, on
 * distinct threads, and teams of one need no worker. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/base/team.h"

typedef struct job {
    int runs[8];
    pthread_t thread[8];
    int n_parts_seen;
} job;

static void record(void *arg, int part, int n_parts)
{
    job *j = arg;
    j->runs[part]++; /* each part writes only its own slot */
    j->thread[part] = pthread_self();
    if (part == 0) j->n_parts_seen = n_parts;
}

static void every_part_runs_once_per_job(void **state)
{
    (void)state;
    aia_team *t;
    aia_error err;
    assert_int_equal(aia_team_create(4, &t, &err), AIA_OK);
    assert_int_equal(aia_team_size(t), 4);
    for (int round = 0; round < 200; round++) { /* many short jobs: no lost wake-up */
        job j = {0};
        aia_team_run(t, record, &j);
        assert_int_equal(j.n_parts_seen, 4);
        for (int p = 0; p < 4; p++) assert_int_equal(j.runs[p], 1);
        assert_true(pthread_equal(j.thread[0], pthread_self()));
        for (int p = 1; p < 4; p++) assert_false(pthread_equal(j.thread[p], pthread_self()));
    }
    aia_team_destroy(t);
}

static void a_team_of_one_runs_on_the_caller(void **state)
{
    (void)state;
    aia_team *t;
    aia_error err;
    assert_int_equal(aia_team_create(1, &t, &err), AIA_OK);
    job j = {0};
    aia_team_run(t, record, &j);
    assert_int_equal(j.runs[0], 1);
    assert_int_equal(j.n_parts_seen, 1);
    aia_team_destroy(t);
    aia_team_destroy(NULL);
    assert_int_equal(aia_team_create(0, &t, &err), AIA_INVALID_ARGUMENT);
    assert_null(t);
    assert_true(aia_cpu_count() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_part_runs_once_per_job),
        cmocka_unit_test(a_team_of_one_runs_on_the_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
