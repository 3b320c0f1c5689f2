/* Unit tests for lib/hpo/optimize: the threaded ask/evaluate/tell loop, how
 * an objective's outcome becomes a trial state, the deterministic rounds,
 * and the refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hpo/optimize.h"
#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

#define MAX_TRIALS 64

typedef struct ctx {
    atomic_int calls;
    atomic_llong clock_ns; /* a clock the objective moves: 1 s per trial */
    int mode;              /* which objective behaviour to use */
} ctx;

enum { PLAIN, MIXED_ENDINGS, TELLS_ITSELF, TICKS };

static double f(const aia_hpo_value *v)
{
    return (v[0].f - 0.25) * (v[0].f - 0.25) + (double)(v[1].i % 3);
}

static aia_status objective(void *arg, aia_hpo_study *study, size_t trial,
                            const aia_hpo_value *params, double *value, aia_error *err)
{
    ctx *c = arg;
    atomic_fetch_add(&c->calls, 1);
    if (c->mode == TICKS) atomic_fetch_add(&c->clock_ns, 1000000000LL);
    if (c->mode == TELLS_ITSELF) return aia_hpo_study_tell(study, trial, 1.0, err);
    if (c->mode == MIXED_ENDINGS) {
        if (trial % 5 == 2) return aia_error_set(err, AIA_INTERNAL, "trial %zu diverged", trial);
        if (trial % 5 == 3) {
            *value = NAN;
            return AIA_OK;
        }
        if (trial % 5 == 4) {
            aia_status st = aia_hpo_study_report(study, trial, 0, f(params), err);
            return st == AIA_OK ? AIA_ABORTED : st;
        }
    }
    *value = f(params);
    return AIA_OK;
}

static int64_t read_clock(void *arg)
{
    return atomic_load(&((ctx *)arg)->clock_ns);
}

static aia_hpo_space *space;

static int setup(void **state)
{
    (void)state;
    aia_error err;
    if (aia_hpo_space_new(&space, &err) != AIA_OK) return -1;
    if (aia_hpo_space_add_float(space, "x", -1, 1, false, &err) != AIA_OK) return -1;
    if (aia_hpo_space_add_int(space, "n", 1, 30, 1, false, &err) != AIA_OK) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aia_hpo_space_free(space);
    return 0;
}

static aia_hpo_study *study_with(size_t max_trials, uint64_t seed)
{
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.max_trials = max_trials;
    cfg.seed = seed;
    aia_hpo_value defaults[2] = {{.f = 0}, {.i = 1}};
    aia_hpo_study *st = NULL;
    aia_error err;
    assert_int_equal(aia_hpo_study_new(space, defaults, &cfg, &st, &err), AIA_OK);
    return st;
}

static void free_workers_run_every_trial_once(void **state)
{
    (void)state;
    aia_hpo_study *st = study_with(50, 1);
    ctx c = {.mode = PLAIN};
    aia_hpo_optimize_options opt = {.n_threads = 2};
    aia_hpo_optimize_result res;
    aia_error err;
    assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, &res, &err), AIA_OK);
    assert_int_equal(atomic_load(&c.calls), 50);
    assert_int_equal(res.n_complete, 50);
    assert_int_equal(res.n_pruned + res.n_failed, 0);
    assert_int_equal(res.last_failure.code, AIA_OK);
    for (size_t t = 0; t < 50; t++) {
        aia_hpo_trial_state s;
        assert_int_equal(aia_hpo_study_get_trial(st, t, &s, NULL, NULL, &err), AIA_OK);
        assert_int_equal(s, AIA_HPO_TRIAL_COMPLETE);
    }
    /* The budget is spent: running again starts nothing. */
    assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, &res, &err), AIA_OK);
    assert_int_equal(res.n_complete, 0);
    aia_hpo_study_free(st);
}

static void objective_endings_become_trial_states(void **state)
{
    (void)state;
    for (int det = 0; det < 2; det++) {
        aia_hpo_study *st = study_with(20, 2);
        ctx c = {.mode = MIXED_ENDINGS};
        aia_hpo_optimize_options opt = {.n_threads = 2, .deterministic = det};
        aia_hpo_optimize_result res;
        aia_error err;
        assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, &res, &err), AIA_OK);
        assert_int_equal(res.n_complete, 8);
        assert_int_equal(res.n_pruned, 4);
        assert_int_equal(res.n_failed, 8);
        assert_true(res.last_failure.code == AIA_INTERNAL ||
                    res.last_failure.code == AIA_INVALID_ARGUMENT);
        for (size_t t = 0; t < 20; t++) {
            aia_hpo_trial_state s;
            assert_int_equal(aia_hpo_study_get_trial(st, t, &s, NULL, NULL, &err), AIA_OK);
            aia_hpo_trial_state want = t % 5 == 2 || t % 5 == 3 ? AIA_HPO_TRIAL_FAILED
                                       : t % 5 == 4             ? AIA_HPO_TRIAL_PRUNED
                                                                : AIA_HPO_TRIAL_COMPLETE;
            assert_int_equal(s, want);
        }
        aia_hpo_study_free(st);
    }
}

static void record(aia_hpo_study *st, size_t n, aia_hpo_value (*params)[2], double *values)
{
    aia_error err;
    for (size_t t = 0; t < n; t++)
        assert_int_equal(aia_hpo_study_get_trial(st, t, NULL, &values[t], params[t], &err), AIA_OK);
}

/* Rounds give the same trials on every run for a seed and a thread count;
 * with one thread they are the sequential loop's. */
static void rounds_are_deterministic(void **state)
{
    (void)state;
    static aia_hpo_value p1[MAX_TRIALS][2], p2[MAX_TRIALS][2], p3[MAX_TRIALS][2];
    static double v1[MAX_TRIALS], v2[MAX_TRIALS], v3[MAX_TRIALS];
    aia_error err;
    aia_hpo_optimize_options opt = {.n_threads = 3, .deterministic = true};
    for (int run = 0; run < 2; run++) {
        aia_hpo_study *st = study_with(40, 9);
        ctx c = {.mode = PLAIN};
        assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, NULL, &err), AIA_OK);
        record(st, 40, run ? p2 : p1, run ? v2 : v1);
        aia_hpo_study_free(st);
    }
    assert_memory_equal(p1, p2, 40 * sizeof(p1[0]));
    assert_memory_equal(v1, v2, 40 * sizeof(v1[0]));

    aia_hpo_study *seq = study_with(40, 9), *one = study_with(40, 9);
    for (size_t t = 0; t < 40; t++) {
        size_t trial;
        aia_hpo_value v[2];
        assert_int_equal(aia_hpo_study_ask(seq, &trial, v, &err), AIA_OK);
        assert_int_equal(aia_hpo_study_tell(seq, trial, f(v), &err), AIA_OK);
    }
    ctx c = {.mode = PLAIN};
    opt.n_threads = 1;
    assert_int_equal(aia_hpo_optimize(one, objective, &c, &opt, NULL, &err), AIA_OK);
    record(seq, 40, p1, v1);
    record(one, 40, p3, v3);
    assert_memory_equal(p1, p3, 40 * sizeof(p1[0]));
    aia_hpo_study_free(seq);
    aia_hpo_study_free(one);
}

static void a_time_budget_ends_the_run(void **state)
{
    (void)state;
    ctx c = {.mode = TICKS};
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.time_budget_ns = 10500000000LL; /* 10.5 s of the objective's clock */
    cfg.clock_ns = read_clock;
    cfg.clock_ctx = &c;
    aia_hpo_value defaults[2] = {{.f = 0}, {.i = 1}};
    aia_hpo_study *st = NULL;
    aia_error err;
    assert_int_equal(aia_hpo_study_new(space, defaults, &cfg, &st, &err), AIA_OK);
    aia_hpo_optimize_options opt = {.n_threads = 1};
    aia_hpo_optimize_result res;
    assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, &res, &err), AIA_OK);
    /* Asked at 0 s, 1 s, ..., 10 s; at 11 s the budget is spent. */
    assert_int_equal(res.n_complete, 11);
    assert_true(aia_hpo_study_should_stop(st));
    aia_hpo_study_free(st);
}

static void study_errors_stop_the_run(void **state)
{
    (void)state;
    aia_hpo_study *st = study_with(30, 4);
    ctx c = {.mode = TELLS_ITSELF};
    aia_hpo_optimize_options opt = {.n_threads = 1};
    aia_error err;
    assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, NULL, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "already finished"));
    assert_int_equal(atomic_load(&c.calls), 1); /* no trial started after the error */
    aia_hpo_study_free(st);
}

static void refuses_unbounded_studies_and_bad_options(void **state)
{
    (void)state;
    aia_hpo_study *st = study_with(0, 4);
    ctx c = {.mode = PLAIN};
    aia_hpo_optimize_options opt = {.n_threads = 2};
    aia_error err;
    assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "never end"));
    aia_hpo_study_free(st);
    st = study_with(5, 4);
    opt.n_threads = 0;
    assert_int_equal(aia_hpo_optimize(st, objective, &c, &opt, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "n_threads"));
    opt.n_threads = 1;
    assert_int_equal(aia_hpo_optimize(st, NULL, &c, &opt, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(atomic_load(&c.calls), 0);
    aia_hpo_study_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(free_workers_run_every_trial_once),
        cmocka_unit_test(objective_endings_become_trial_states),
        cmocka_unit_test(rounds_are_deterministic),
        cmocka_unit_test(a_time_budget_ends_the_run),
        cmocka_unit_test(study_errors_stop_the_run),
        cmocka_unit_test(refuses_unbounded_studies_and_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
