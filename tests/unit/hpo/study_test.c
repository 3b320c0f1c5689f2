/* Unit tests for lib/hpo/study: trial 0, the random sampler through the
 * study, determinism, the tell/report state machine and its errors, the
 * trial and time budgets, best-trial selection. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

static const char *const SOLVERS[] = {"sgd", "adam", "lbfgs", "newton"};

/* trees: int 10..100 step 10; alpha: float log [1e-4, 10]; solver: 4 choices;
 * depth: int log [1, 1000]; frac: float [-1, 1]. */
static aia_hpo_space *mixed_space(void)
{
    aia_hpo_space *s = NULL;
    aia_error err;
    assert_int_equal(aia_hpo_space_new(&s, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_int(s, "trees", 10, 100, 10, false, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(s, "alpha", 1e-4, 10, true, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_categorical(s, "solver", SOLVERS, 4, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 1, 1000, 1, true, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(s, "frac", -1, 1, false, &err), AIA_OK);
    return s;
}

static const aia_hpo_value DEFAULTS[5] = {{.i = 50}, {.f = 0.1}, {.choice = 1}, {.i = 7}, {.f = 0}};

static aia_hpo_study *new_study(const aia_hpo_space *space, const aia_hpo_study_config *cfg)
{
    aia_hpo_study *st = NULL;
    aia_error err;
    aia_status rc = aia_hpo_study_new(space, DEFAULTS, cfg, &st, &err);
    if (rc != AIA_OK) fail_msg("study_new: %s", err.message);
    return st;
}

/* A deterministic objective of every parameter, to drive samplers. */
static double objective(const aia_hpo_value *v)
{
    return fabs((double)v[0].i - 70) / 10 + fabs(log10(v[1].f) + 2) + (v[2].choice == 2 ? 0 : 1) +
           fabs(log((double)v[3].i) - 3) + v[4].f * v[4].f;
}

static void trial_zero_is_the_defaults_for_every_sampler(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_sampler samplers[] = {AIA_HPO_SAMPLER_TPE, AIA_HPO_SAMPLER_RANDOM};
    for (int k = 0; k < 2; k++) {
        aia_hpo_study_config cfg;
        aia_hpo_study_config_default(&cfg);
        cfg.sampler = samplers[k];
        cfg.seed = 99;
        aia_hpo_study *st = new_study(space, &cfg);
        aia_hpo_value v[5];
        size_t trial = 1234;
        aia_error err;
        assert_int_equal(aia_hpo_study_ask(st, &trial, v, &err), AIA_OK);
        assert_int_equal(trial, 0);
        assert_memory_equal(v, DEFAULTS, sizeof(DEFAULTS));
        assert_int_equal(aia_hpo_study_ask(st, &trial, v, &err), AIA_OK);
        assert_int_equal(trial, 1);
        assert_true(memcmp(v, DEFAULTS, sizeof(DEFAULTS)) != 0);
        aia_hpo_study_free(st);
    }
    aia_hpo_space_free(space);
}

static void bad_defaults_and_config_are_refused(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    aia_hpo_study *st = NULL;
    aia_error err;
    aia_hpo_value bad[5];
    memcpy(bad, DEFAULTS, sizeof(bad));
    bad[3].i = 1001;
    assert_int_equal(aia_hpo_study_new(space, bad, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "default hyperparameters (trial 0)"));
    assert_non_null(strstr(err.message, "depth"));
    assert_int_equal(aia_hpo_study_new(space, NULL, &cfg, &st, &err), AIA_INVALID_ARGUMENT);

    cfg.tpe.n_ei_candidates = 0;
    assert_int_equal(aia_hpo_study_new(space, DEFAULTS, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "n_ei_candidates"));
    aia_hpo_study_config_default(&cfg);
    cfg.tpe.prior_weight = -1;
    assert_int_equal(aia_hpo_study_new(space, DEFAULTS, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "prior_weight"));
    aia_hpo_study_config_default(&cfg);
    cfg.pruner.interval_steps = 0;
    assert_int_equal(aia_hpo_study_new(space, DEFAULTS, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "interval_steps"));
    aia_hpo_study_config_default(&cfg);
    cfg.direction = (aia_hpo_direction)7;
    assert_int_equal(aia_hpo_study_new(space, DEFAULTS, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "direction"));
    aia_hpo_study_config_default(&cfg);
    cfg.time_budget_ns = -5;
    assert_int_equal(aia_hpo_study_new(space, DEFAULTS, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "time_budget_ns"));

    aia_hpo_space *empty = NULL;
    assert_int_equal(aia_hpo_space_new(&empty, &err), AIA_OK);
    aia_hpo_study_config_default(&cfg);
    assert_int_equal(aia_hpo_study_new(empty, DEFAULTS, &cfg, &st, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no parameters"));
    assert_null(st);
    aia_hpo_space_free(empty);
    aia_hpo_space_free(space);
}

/* Runs `n` sequential trials and records every parameter vector. */
static void run_sequential(aia_hpo_study *st, size_t n, aia_hpo_value (*out)[5])
{
    aia_error err;
    for (size_t k = 0; k < n; k++) {
        size_t trial;
        assert_int_equal(aia_hpo_study_ask(st, &trial, out[k], &err), AIA_OK);
        assert_int_equal(trial, k);
        assert_int_equal(aia_hpo_study_tell(st, trial, objective(out[k]), &err), AIA_OK);
    }
}

#define RANDOM_TRIALS 4000

static void random_sampler_stays_in_bounds_and_honours_scales(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.sampler = AIA_HPO_SAMPLER_RANDOM;
    cfg.seed = 7;
    aia_hpo_study *st = new_study(space, &cfg);
    static aia_hpo_value v[RANDOM_TRIALS][5];
    run_sequential(st, RANDOM_TRIALS, v);
    size_t trees_seen[10] = {0}, solver_seen[4] = {0};
    size_t alpha_below_median = 0, depth_below_median = 0, frac_negative = 0;
    for (size_t k = 1; k < RANDOM_TRIALS; k++) {
        assert_true(v[k][0].i >= 10 && v[k][0].i <= 100 && v[k][0].i % 10 == 0);
        trees_seen[v[k][0].i / 10 - 1]++;
        assert_true(v[k][1].f >= 1e-4 && v[k][1].f <= 10);
        alpha_below_median += v[k][1].f < 0.031622776601683794; /* 10^-1.5, the log-uniform median */
        assert_true(v[k][2].choice < 4);
        solver_seen[v[k][2].choice]++;
        assert_true(v[k][3].i >= 1 && v[k][3].i <= 1000);
        /* log-uniform over [0.5, 1000.5] then rounded: P(depth <= 22) = ln 45 / ln 2001 = 0.5008 */
        depth_below_median += v[k][3].i <= 22;
        assert_true(v[k][4].f >= -1 && v[k][4].f <= 1);
        frac_negative += v[k][4].f < 0;
    }
    size_t n = RANDOM_TRIALS - 1;
    /* Each bucket's count is binomial; 6 standard deviations is a bound no
     * correct sampler crosses, and a uniform (not log-uniform) alpha would
     * put only ~0.3% below 10^-1.5, far outside it. */
    for (int i = 0; i < 10; i++) assert_in_range(trees_seen[i], n / 10 - 110, n / 10 + 110);
    for (int i = 0; i < 4; i++) assert_in_range(solver_seen[i], n / 4 - 170, n / 4 + 170);
    assert_in_range(alpha_below_median, n / 2 - 190, n / 2 + 190);
    assert_in_range(depth_below_median, n / 2 - 190, n / 2 + 190);
    assert_in_range(frac_negative, n / 2 - 190, n / 2 + 190);
    aia_hpo_study_free(st);
    aia_hpo_space_free(space);
}

static void same_seed_same_trials_other_seed_other_trials(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_sampler samplers[] = {AIA_HPO_SAMPLER_TPE, AIA_HPO_SAMPLER_RANDOM};
    for (int k = 0; k < 2; k++) {
        static aia_hpo_value a[40][5], b[40][5], c[40][5];
        aia_hpo_study_config cfg;
        aia_hpo_study_config_default(&cfg);
        cfg.sampler = samplers[k];
        cfg.seed = 2024;
        aia_hpo_study *s1 = new_study(space, &cfg), *s2 = new_study(space, &cfg);
        cfg.seed = 2025;
        aia_hpo_study *s3 = new_study(space, &cfg);
        run_sequential(s1, 40, a);
        run_sequential(s2, 40, b);
        run_sequential(s3, 40, c);
        assert_memory_equal(a, b, sizeof(a));
        assert_true(memcmp(a[1], c[1], sizeof(a[1])) != 0);
        aia_hpo_study_free(s1);
        aia_hpo_study_free(s2);
        aia_hpo_study_free(s3);
    }
    aia_hpo_space_free(space);
}

/* TPE draws its first n_startup_trials like the random sampler (same
 * per-trial streams), then starts to use what it learnt. */
static void tpe_starts_with_random_trials(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    static aia_hpo_value tpe[30][5], rnd[30][5];
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.seed = 5;
    aia_hpo_study *s1 = new_study(space, &cfg);
    cfg.sampler = AIA_HPO_SAMPLER_RANDOM;
    aia_hpo_study *s2 = new_study(space, &cfg);
    run_sequential(s1, 30, tpe);
    run_sequential(s2, 30, rnd);
    assert_memory_equal(tpe, rnd, 10 * sizeof(tpe[0]));
    for (size_t k = 10; k < 30; k++) assert_true(memcmp(tpe[k], rnd[k], sizeof(tpe[k])) != 0);
    /* TPE's proposals stay inside the space too. */
    aia_error err;
    for (size_t k = 0; k < 30; k++)
        if (aia_hpo_space_check(space, tpe[k], &err) != AIA_OK) fail_msg("trial %zu: %s", k, err.message);
    aia_hpo_study_free(s1);
    aia_hpo_study_free(s2);
    aia_hpo_space_free(space);
}

/* Failed trials do not count towards TPE's start-up trials; pruned ones do. */
static void failed_trials_do_not_end_the_startup_phase(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    static aia_hpo_value tpe[14][5], rnd[14][5];
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.seed = 11;
    aia_hpo_study *s1 = new_study(space, &cfg);
    cfg.sampler = AIA_HPO_SAMPLER_RANDOM;
    aia_hpo_study *s2 = new_study(space, &cfg);
    aia_error err;
    size_t t;
    for (size_t k = 0; k < 14; k++) {
        assert_int_equal(aia_hpo_study_ask(s1, &t, tpe[k], &err), AIA_OK);
        assert_int_equal(aia_hpo_study_ask(s2, &t, rnd[k], &err), AIA_OK);
        /* 9 complete, then failures: never 10 finished, so TPE stays random. */
        if (k < 9) assert_int_equal(aia_hpo_study_tell(s1, t, objective(tpe[k]), &err), AIA_OK);
        else assert_int_equal(aia_hpo_study_tell_failed(s1, t, &err), AIA_OK);
    }
    assert_memory_equal(tpe, rnd, sizeof(tpe));
    /* One pruned trial makes 10 finished: the next ask is TPE's. */
    assert_int_equal(aia_hpo_study_ask(s1, &t, tpe[0], &err), AIA_OK);
    assert_int_equal(aia_hpo_study_tell_pruned(s1, t, &err), AIA_OK);
    assert_int_equal(aia_hpo_study_ask(s1, &t, tpe[0], &err), AIA_OK);
    assert_int_equal(aia_hpo_study_ask(s2, &t, rnd[0], &err), AIA_OK);
    assert_int_equal(aia_hpo_study_ask(s2, &t, rnd[0], &err), AIA_OK);
    assert_true(memcmp(tpe[0], rnd[0], sizeof(tpe[0])) != 0);
    aia_hpo_study_free(s1);
    aia_hpo_study_free(s2);
    aia_hpo_space_free(space);
}

static void tell_and_report_errors(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    aia_hpo_study *st = new_study(space, &cfg);
    aia_error err;
    aia_hpo_value v[5];
    size_t t;
    assert_int_equal(aia_hpo_study_tell(st, 0, 1.0, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "trial 0 was never asked"));
    assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OK);
    assert_int_equal(aia_hpo_study_tell(st, t, NAN, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "tell it failed instead"));
    assert_int_equal(aia_hpo_study_report(st, t, -1, 0.5, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_hpo_study_report(st, t, 3, 0.5, &err), AIA_OK);
    assert_int_equal(aia_hpo_study_report(st, t, 3, 0.7, &err), AIA_ALREADY_EXISTS);
    assert_int_equal(aia_hpo_study_report(st, 9, 3, 0.7, &err), AIA_NOT_FOUND);
    assert_int_equal(aia_hpo_study_tell(st, t, 2.0, &err), AIA_OK);
    assert_int_equal(aia_hpo_study_tell(st, t, 3.0, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "already finished as complete"));
    assert_int_equal(aia_hpo_study_tell_pruned(st, t, &err), AIA_FAILED_PRECONDITION);
    assert_int_equal(aia_hpo_study_tell_failed(st, t, &err), AIA_FAILED_PRECONDITION);
    assert_int_equal(aia_hpo_study_report(st, t, 4, 0.5, &err), AIA_FAILED_PRECONDITION);
    bool prune;
    assert_int_equal(aia_hpo_study_should_prune(st, t, &prune, &err), AIA_FAILED_PRECONDITION);
    aia_hpo_trial_state s;
    double value;
    assert_int_equal(aia_hpo_study_get_trial(st, t, &s, &value, NULL, &err), AIA_OK);
    assert_int_equal(s, AIA_HPO_TRIAL_COMPLETE);
    assert_true(value == 2.0);
    assert_int_equal(aia_hpo_study_get_trial(st, 1, &s, &value, NULL, &err), AIA_NOT_FOUND);
    aia_hpo_study_free(st);
    aia_hpo_space_free(space);
}

static void best_follows_the_direction(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_direction dirs[] = {AIA_HPO_MINIMIZE, AIA_HPO_MAXIMIZE};
    const double values[] = {3.0, 1.0, 5.0, 1.0, 5.0};
    for (int d = 0; d < 2; d++) {
        aia_hpo_study_config cfg;
        aia_hpo_study_config_default(&cfg);
        cfg.direction = dirs[d];
        aia_hpo_study *st = new_study(space, &cfg);
        aia_error err;
        size_t best;
        double value;
        assert_int_equal(aia_hpo_study_best(st, &best, &value, NULL, &err), AIA_NOT_FOUND);
        aia_hpo_value v[5], bv[5], tv[5];
        size_t t;
        for (int k = 0; k < 5; k++) {
            assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OK);
            assert_int_equal(aia_hpo_study_tell(st, t, values[k], &err), AIA_OK);
        }
        assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OK); /* failed trials never win */
        assert_int_equal(aia_hpo_study_tell_failed(st, t, &err), AIA_OK);
        assert_int_equal(aia_hpo_study_best(st, &best, &value, bv, &err), AIA_OK);
        assert_int_equal(best, d == 0 ? 1 : 2); /* the earliest of equal values */
        assert_true(value == (d == 0 ? 1.0 : 5.0));
        assert_int_equal(aia_hpo_study_get_trial(st, best, NULL, NULL, tv, &err), AIA_OK);
        assert_memory_equal(bv, tv, sizeof(bv));
        aia_hpo_study_free(st);
    }
    aia_hpo_space_free(space);
}

static void max_trials_stops_asking(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.max_trials = 3;
    aia_hpo_study *st = new_study(space, &cfg);
    aia_error err;
    aia_hpo_value v[5];
    size_t t;
    for (int k = 0; k < 3; k++) {
        assert_false(aia_hpo_study_should_stop(st));
        assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OK);
    }
    assert_true(aia_hpo_study_should_stop(st));
    assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OUT_OF_RANGE);
    assert_non_null(strstr(err.message, "all 3 trials"));
    assert_int_equal(aia_hpo_study_trial_count(st), 3);
    /* Trials already asked can still be told. */
    assert_int_equal(aia_hpo_study_tell(st, 2, 1.0, &err), AIA_OK);
    aia_hpo_study_free(st);
    aia_hpo_space_free(space);
}

static int64_t fake_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* The clock is moved by hand: the budget is judged on the study's clock,
 * counted from the study's creation, and nothing here depends on timing. */
static void time_budget_stops_asking(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    int64_t now = 1000000000;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.time_budget_ns = 500;
    cfg.clock_ns = fake_clock;
    cfg.clock_ctx = &now;
    aia_hpo_study *st = new_study(space, &cfg);
    aia_error err;
    aia_hpo_value v[5];
    size_t t;
    now += 499;
    assert_false(aia_hpo_study_should_stop(st));
    assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OK);
    now += 1;
    assert_true(aia_hpo_study_should_stop(st));
    assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_DEADLINE_EXCEEDED);
    assert_non_null(strstr(err.message, "time budget"));
    assert_int_equal(aia_hpo_study_trial_count(st), 1);
    aia_hpo_study_free(st);

    /* The real monotonic clock with a budget of an hour: not spent yet. */
    cfg.clock_ns = NULL;
    cfg.time_budget_ns = INT64_C(3600000000000);
    st = new_study(space, &cfg);
    assert_false(aia_hpo_study_should_stop(st));
    aia_hpo_study_free(st);
    aia_hpo_space_free(space);
}

static void the_study_keeps_its_own_space(void **state)
{
    (void)state;
    aia_hpo_space *space = mixed_space();
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    aia_hpo_study *st = new_study(space, &cfg);
    aia_hpo_space_free(space);
    aia_error err;
    aia_hpo_value v[5];
    size_t t;
    assert_int_equal(aia_hpo_study_ask(st, &t, v, &err), AIA_OK);
    const char *solver;
    assert_int_equal(aia_hpo_space_get_choice(aia_hpo_study_space(st), v, "solver", &solver, &err),
                     AIA_OK);
    assert_string_equal(solver, "adam");
    aia_hpo_study_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trial_zero_is_the_defaults_for_every_sampler),
        cmocka_unit_test(bad_defaults_and_config_are_refused),
        cmocka_unit_test(random_sampler_stays_in_bounds_and_honours_scales),
        cmocka_unit_test(same_seed_same_trials_other_seed_other_trials),
        cmocka_unit_test(tpe_starts_with_random_trials),
        cmocka_unit_test(failed_trials_do_not_end_the_startup_phase),
        cmocka_unit_test(tell_and_report_errors),
        cmocka_unit_test(best_follows_the_direction),
        cmocka_unit_test(max_trials_stops_asking),
        cmocka_unit_test(time_budget_stops_asking),
        cmocka_unit_test(the_study_keeps_its_own_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
