/* Two threads asking and telling one study at once: every trial number is
 * handed out exactly once, none is lost, and each trial keeps its own
 * parameters and value. Behavioural, not timed: the threads start together
 * at a barrier and run until the study's trial budget says stop, however
 * the scheduler interleaves them. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

#define THREADS 2
#define TRIALS 300

typedef struct worker {
    aia_hpo_study *study;
    pthread_barrier_t *start;
    size_t got[TRIALS + 1];
    size_t n_got;
    aia_status last; /* why the loop ended */
    int bad_calls;   /* any tell/report/prune that failed */
} worker;

static double objective(const aia_hpo_value *v)
{
    return (v[0].f - 0.3) * (v[0].f - 0.3) + (double)v[1].i / 100.0 + (double)v[2].choice;
}

static void *work(void *arg)
{
    worker *w = arg;
    aia_error err;
    pthread_barrier_wait(w->start);
    aia_hpo_value v[3];
    size_t t;
    while ((w->last = aia_hpo_study_ask(w->study, &t, v, &err)) == AIA_OK) {
        if (w->n_got <= TRIALS) w->got[w->n_got++] = t;
        bool prune = false;
        w->bad_calls += aia_hpo_study_report(w->study, t, 0, objective(v), &err) != AIA_OK;
        w->bad_calls += aia_hpo_study_should_prune(w->study, t, &prune, &err) != AIA_OK;
        /* Every 7th trial fails, so all three endings race with each other. */
        if (t % 7 == 3) w->bad_calls += aia_hpo_study_tell_failed(w->study, t, &err) != AIA_OK;
        else if (prune) w->bad_calls += aia_hpo_study_tell_pruned(w->study, t, &err) != AIA_OK;
        else w->bad_calls += aia_hpo_study_tell(w->study, t, objective(v), &err) != AIA_OK;
    }
    return NULL;
}

static void run(aia_hpo_sampler sampler, bool constant_liar)
{
    aia_error err;
    aia_hpo_space *space = NULL;
    const char *kinds[] = {"a", "b"};
    assert_int_equal(aia_hpo_space_new(&space, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(space, "x", 0, 1, false, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_int(space, "n", 1, 64, 1, true, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_categorical(space, "kind", kinds, 2, &err), AIA_OK);
    aia_hpo_value defaults[3] = {{.f = 0.5}, {.i = 8}, {.choice = 0}};
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.sampler = sampler;
    cfg.tpe.constant_liar = constant_liar;
    cfg.max_trials = TRIALS;
    cfg.seed = 77;
    aia_hpo_study *study = NULL;
    assert_int_equal(aia_hpo_study_new(space, defaults, &cfg, &study, &err), AIA_OK);

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    static worker w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].study = study;
        w[i].start = &start;
        assert_int_equal(pthread_create(&tid[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&start);

    int seen[TRIALS] = {0};
    size_t total = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].last, AIA_OUT_OF_RANGE);
        assert_int_equal(w[i].bad_calls, 0);
        for (size_t k = 0; k < w[i].n_got; k++) {
            assert_true(w[i].got[k] < TRIALS);
            seen[w[i].got[k]]++;
        }
        total += w[i].n_got;
    }
    assert_int_equal(total, TRIALS);
    for (size_t t = 0; t < TRIALS; t++) {
        if (seen[t] != 1) fail_msg("trial %zu was handed out %d times", t, seen[t]);
        aia_hpo_trial_state st;
        double value;
        aia_hpo_value v[3];
        assert_int_equal(aia_hpo_study_get_trial(study, t, &st, &value, v, &err), AIA_OK);
        assert_int_equal(aia_hpo_space_check(space, v, &err), AIA_OK);
        if (t % 7 == 3) assert_int_equal(st, AIA_HPO_TRIAL_FAILED);
        else if (st == AIA_HPO_TRIAL_COMPLETE) assert_true(value == objective(v));
        else assert_int_equal(st, AIA_HPO_TRIAL_PRUNED);
    }
    assert_int_equal(aia_hpo_study_trial_count(study), TRIALS);
    aia_hpo_study_free(study);
    aia_hpo_space_free(space);
}

static void two_threads_random(void **state)
{
    (void)state;
    run(AIA_HPO_SAMPLER_RANDOM, false);
}

static void two_threads_tpe(void **state)
{
    (void)state;
    run(AIA_HPO_SAMPLER_TPE, false);
}

static void two_threads_tpe_constant_liar(void **state)
{
    (void)state;
    run(AIA_HPO_SAMPLER_TPE, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_threads_random),
        cmocka_unit_test(two_threads_tpe),
        cmocka_unit_test(two_threads_tpe_constant_liar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
