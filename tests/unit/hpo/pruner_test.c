/* Unit tests for median pruning through the study (Optuna's MedianPruner
 * defaults: 5 start-up trials, no warm-up, a check at every step). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

typedef struct fixture {
    aia_hpo_space *space;
    aia_hpo_study *study;
} fixture;

static void open_study(fixture *f, const aia_hpo_study_config *cfg)
{
    aia_error err;
    assert_int_equal(aia_hpo_space_new(&f->space, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(f->space, "lr", 0.01, 1, true, &err), AIA_OK);
    aia_hpo_value defaults[1] = {{.f = 0.1}};
    assert_int_equal(aia_hpo_study_new(f->space, defaults, cfg, &f->study, &err), AIA_OK);
}

static void close_study(fixture *f)
{
    aia_hpo_study_free(f->study);
    aia_hpo_space_free(f->space);
}

static size_t ask(fixture *f)
{
    aia_error err;
    aia_hpo_value v[1];
    size_t t;
    assert_int_equal(aia_hpo_study_ask(f->study, &t, v, &err), AIA_OK);
    return t;
}

/* A trial that reports `value` at steps 0..n_steps-1 and completes with it. */
static void complete_flat(fixture *f, double value, int n_steps)
{
    aia_error err;
    size_t t = ask(f);
    for (int s = 0; s < n_steps; s++)
        assert_int_equal(aia_hpo_study_report(f->study, t, s, value, &err), AIA_OK);
    assert_int_equal(aia_hpo_study_tell(f->study, t, value, &err), AIA_OK);
}

static bool report_and_judge(fixture *f, size_t t, int64_t step, double value)
{
    aia_error err;
    bool prune = false;
    assert_int_equal(aia_hpo_study_report(f->study, t, step, value, &err), AIA_OK);
    assert_int_equal(aia_hpo_study_should_prune(f->study, t, &prune, &err), AIA_OK);
    return prune;
}

static void prunes_a_bad_trial_only_after_the_startup_trials(void **state)
{
    (void)state;
    fixture f;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    open_study(&f, &cfg);
    for (int k = 0; k < 4; k++) complete_flat(&f, 1.0 + k, 5); /* 1, 2, 3, 4 */
    size_t bad = ask(&f);
    /* Far worse than every trial, but only 4 are complete: no verdict yet. */
    assert_false(report_and_judge(&f, bad, 0, 10.0));
    complete_flat(&f, 5.0, 5); /* median of 1..5 is 3 */
    assert_true(report_and_judge(&f, bad, 1, 10.0));
    size_t good = ask(&f);
    assert_false(report_and_judge(&f, good, 0, 2.5));
    size_t equal = ask(&f);
    assert_false(report_and_judge(&f, equal, 0, 3.0)); /* at the median is not worse */
    size_t above = ask(&f);
    assert_true(report_and_judge(&f, above, 0, 3.5));
    /* The rule uses the trial's best value so far: one good step saves it. */
    size_t recovered = ask(&f);
    assert_false(report_and_judge(&f, recovered, 0, 1.5));
    assert_false(report_and_judge(&f, recovered, 1, 9.0));

    aia_error err;
    assert_int_equal(aia_hpo_study_tell_pruned(f.study, bad, &err), AIA_OK);
    aia_hpo_trial_state st;
    double value;
    assert_int_equal(aia_hpo_study_get_trial(f.study, bad, &st, &value, NULL, &err), AIA_OK);
    assert_int_equal(st, AIA_HPO_TRIAL_PRUNED);
    assert_true(isnan(value));
    close_study(&f);
}

static void maximise_flips_the_comparison(void **state)
{
    (void)state;
    fixture f;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.direction = AIA_HPO_MAXIMIZE;
    open_study(&f, &cfg);
    for (int k = 0; k < 5; k++) complete_flat(&f, 0.5 + 0.1 * k, 3); /* median 0.7 */
    size_t low = ask(&f), high = ask(&f);
    assert_true(report_and_judge(&f, low, 0, 0.6));
    assert_false(report_and_judge(&f, high, 0, 0.8));
    close_study(&f);
}

static void warmup_steps_delay_pruning(void **state)
{
    (void)state;
    fixture f;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.pruner.n_warmup_steps = 3;
    open_study(&f, &cfg);
    for (int k = 0; k < 5; k++) complete_flat(&f, 1.0, 6);
    size_t t = ask(&f);
    for (int s = 0; s < 3; s++) assert_false(report_and_judge(&f, t, s, 5.0));
    assert_true(report_and_judge(&f, t, 3, 5.0));
    close_study(&f);
}

static void interval_steps_space_the_checks(void **state)
{
    (void)state;
    fixture f;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.pruner.interval_steps = 3;
    open_study(&f, &cfg);
    for (int k = 0; k < 5; k++) complete_flat(&f, 1.0, 10);
    size_t t = ask(&f);
    assert_true(report_and_judge(&f, t, 0, 5.0)); /* step 0 is a check */
    size_t u = ask(&f);
    assert_false(report_and_judge(&f, u, 0, 0.5)); /* a good start */
    assert_false(report_and_judge(&f, u, 1, 5.0)); /* steps 1, 2: no check */
    assert_false(report_and_judge(&f, u, 2, 5.0));
    /* Step 3 is checked, but the best so far (0.5) is still fine. */
    assert_false(report_and_judge(&f, u, 3, 5.0));
    size_t w = ask(&f);
    assert_true(report_and_judge(&f, w, 4, 5.0)); /* first report past a boundary */
    assert_false(report_and_judge(&f, w, 5, 5.0)); /* 4 was already past boundary 3 */
    close_study(&f);
}

static void nan_and_unjudgeable_steps(void **state)
{
    (void)state;
    fixture f;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    open_study(&f, &cfg);
    for (int k = 0; k < 5; k++) complete_flat(&f, 1.0, 2); /* steps 0 and 1 only */
    size_t all_nan = ask(&f);
    assert_true(report_and_judge(&f, all_nan, 0, NAN));
    size_t far = ask(&f);
    /* No complete trial reported step 7: no median, no verdict. */
    assert_false(report_and_judge(&f, far, 7, 100.0));
    size_t silent = ask(&f);
    aia_error err;
    bool prune = true;
    assert_int_equal(aia_hpo_study_should_prune(f.study, silent, &prune, &err), AIA_OK);
    assert_false(prune); /* nothing reported yet */
    assert_int_equal(aia_hpo_study_should_prune(f.study, 999, &prune, &err), AIA_NOT_FOUND);
    assert_int_equal(aia_hpo_study_should_prune(f.study, silent, NULL, &err), AIA_INVALID_ARGUMENT);
    close_study(&f);
}

/* Pruned and failed trials are not among the complete trials the median
 * and the start-up count are taken over. */
static void only_complete_trials_set_the_median(void **state)
{
    (void)state;
    fixture f;
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    open_study(&f, &cfg);
    aia_error err;
    for (int k = 0; k < 6; k++) {
        size_t t = ask(&f);
        assert_int_equal(aia_hpo_study_report(f.study, t, 0, 100.0, &err), AIA_OK);
        if (k % 2) assert_int_equal(aia_hpo_study_tell_pruned(f.study, t, &err), AIA_OK);
        else assert_int_equal(aia_hpo_study_tell_failed(f.study, t, &err), AIA_OK);
    }
    for (int k = 0; k < 4; k++) complete_flat(&f, 1.0, 1);
    size_t t = ask(&f);
    assert_false(report_and_judge(&f, t, 0, 50.0)); /* 4 complete: still start-up */
    complete_flat(&f, 1.0, 1);
    assert_false(report_and_judge(&f, t, 1, 50.0)); /* step 1: nobody reported it */
    size_t u = ask(&f);
    assert_true(report_and_judge(&f, u, 0, 50.0)); /* median 1, not 100 */
    close_study(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prunes_a_bad_trial_only_after_the_startup_trials),
        cmocka_unit_test(maximise_flips_the_comparison),
        cmocka_unit_test(warmup_steps_delay_pruning),
        cmocka_unit_test(interval_steps_space_the_checks),
        cmocka_unit_test(nan_and_unjudgeable_steps),
        cmocka_unit_test(only_complete_trials_set_the_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
