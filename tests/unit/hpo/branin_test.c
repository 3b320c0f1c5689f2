/* TPE against random search on the Branin function (issue 4: "TPE beats
 * random search on a seeded benchmark function, as Optuna's does").
 *
 * Set-up, the same as tests/data/hpo/branin_optuna.py runs in Optuna:
 * minimise Branin over x1 in [-5, 10], x2 in [0, 15] (global minimum
 * 0.397887); trial 0 is the centre (2.5, 7.5), as an enqueued default;
 * 60 trials per study; seeds 0..9; the figure is the mean over seeds of the
 * best value found.
 *
 * Observed here (lib/hpo; the test prints them):
 *   TPE (independent, the default) 0.5642, multivariate TPE 0.5043,
 *   random 0.9830.
 * Optuna 5.0.0 on the same set-up (tests/data/hpo/branin_optuna.txt):
 *   TPESampler(multivariate=False) 0.6006, TPESampler() 0.5012,
 *   RandomSampler 1.4568.
 * The random streams differ, so the figures are not expected to be equal.
 * The test asserts the ordering by a clear margin, and that our TPE's mean
 * excess over the minimum is no worse than 1.5 times Optuna's.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

#define SEEDS 10
#define TRIALS 60
#define BRANIN_MIN 0.397887357729739
/* tpe_independent mean_best in tests/data/hpo/branin_optuna.txt. */
#define OPTUNA_TPE_MEAN_BEST 0.6006

static double branin(double x1, double x2)
{
    const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double q = x2 - b * x1 * x1 + c * x1 - 6;
    return q * q + 10 * (1 - t) * cos(x1) + 10;
}

static double best_of_study(aia_hpo_sampler sampler, uint64_t seed, bool multivariate)
{
    aia_error err;
    aia_hpo_space *space = NULL;
    assert_int_equal(aia_hpo_space_new(&space, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(space, "x1", -5, 10, false, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(space, "x2", 0, 15, false, &err), AIA_OK);
    aia_hpo_value defaults[2] = {{.f = 2.5}, {.f = 7.5}};
    aia_hpo_study_config cfg;
    aia_hpo_study_config_default(&cfg);
    cfg.sampler = sampler;
    cfg.seed = seed;
    cfg.tpe.multivariate = multivariate;
    cfg.max_trials = TRIALS;
    aia_hpo_study *st = NULL;
    assert_int_equal(aia_hpo_study_new(space, defaults, &cfg, &st, &err), AIA_OK);
    aia_hpo_value v[2];
    size_t trial, asked = 0;
    while (aia_hpo_study_ask(st, &trial, v, &err) == AIA_OK) {
        assert_int_equal(aia_hpo_study_tell(st, trial, branin(v[0].f, v[1].f), &err), AIA_OK);
        asked++;
    }
    assert_int_equal(err.code, AIA_OUT_OF_RANGE);
    assert_int_equal(asked, TRIALS);
    double best;
    assert_int_equal(aia_hpo_study_best(st, NULL, &best, NULL, &err), AIA_OK);
    aia_hpo_study_free(st);
    aia_hpo_space_free(space);
    return best;
}

static double mean_best(aia_hpo_sampler sampler, bool multivariate)
{
    double sum = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        double best = best_of_study(sampler, seed, multivariate);
        assert_true(best >= BRANIN_MIN - 1e-9);
        sum += best;
    }
    return sum / SEEDS;
}

static void branin_formula_has_its_known_minima(void **state)
{
    (void)state;
    assert_true(fabs(branin(-M_PI, 12.275) - BRANIN_MIN) < 1e-6);
    assert_true(fabs(branin(M_PI, 2.275) - BRANIN_MIN) < 1e-6);
    assert_true(fabs(branin(9.42478, 2.475) - BRANIN_MIN) < 1e-6);
}

static void tpe_beats_random_search_on_branin(void **state)
{
    (void)state;
    double tpe = mean_best(AIA_HPO_SAMPLER_TPE, false);
    double rnd = mean_best(AIA_HPO_SAMPLER_RANDOM, false);
    double tpe_mv = mean_best(AIA_HPO_SAMPLER_TPE, true);
    printf("branin, %d seeds x %d trials, mean best: TPE %.4f, multivariate TPE %.4f, random %.4f\n",
           SEEDS, TRIALS, tpe, tpe_mv, rnd);
    /* Optuna's TPE roughly halves random search's mean excess over the
     * minimum here; ask for a clear win, not a coin flip. */
    assert_true(tpe < rnd);
    assert_true(tpe - BRANIN_MIN < 0.75 * (rnd - BRANIN_MIN));
    assert_true(tpe_mv < rnd);
    assert_true(tpe - BRANIN_MIN <= 1.5 * (OPTUNA_TPE_MEAN_BEST - BRANIN_MIN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(branin_formula_has_its_known_minima),
        cmocka_unit_test(tpe_beats_random_search_on_branin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
