/* Unit tests for lib/hpo/space: building spaces, their errors, checking
 * points and reading them back by name. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hpo/space.h"

static aia_hpo_space *new_space(void)
{
    aia_hpo_space *s = NULL;
    aia_error err;
    assert_int_equal(aia_hpo_space_new(&s, &err), AIA_OK);
    return s;
}

static void assert_error_mentions(const aia_error *err, const char *a, const char *b)
{
    if (!strstr(err->message, a) || (b && !strstr(err->message, b)))
        fail_msg("error \"%s\" should mention \"%s\" and \"%s\"", err->message, a, b ? b : "");
}

static void builds_all_three_types(void **state)
{
    (void)state;
    aia_hpo_space *s = new_space();
    aia_error err;
    const char *choices[] = {"gini", "entropy"};
    assert_int_equal(aia_hpo_space_add_int(s, "leaves", 2, 256, 2, false, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(s, "lr", 1e-3, 1.0, true, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_categorical(s, "criterion", choices, 2, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_size(s), 3);
    const aia_hpo_param *p = aia_hpo_space_param(s, 0);
    assert_string_equal(p->name, "leaves");
    assert_int_equal(p->type, AIA_HPO_INT);
    assert_int_equal(p->int_step, 2);
    p = aia_hpo_space_param(s, 1);
    assert_true(p->log);
    assert_true(p->float_low == 1e-3);
    p = aia_hpo_space_param(s, 2);
    assert_int_equal(p->n_choices, 2);
    assert_string_equal(p->choices[1], "entropy");
    assert_null(aia_hpo_space_param(s, 3));
    assert_int_equal(aia_hpo_space_find(s, "lr"), 1);
    assert_int_equal(aia_hpo_space_find(s, "nope"), -1);
    aia_hpo_space_free(s);
}

static void copies_the_callers_strings(void **state)
{
    (void)state;
    aia_hpo_space *s = new_space();
    aia_error err;
    char name[] = "kernel";
    char c0[] = "rbf", c1[] = "linear";
    const char *choices[] = {c0, c1};
    assert_int_equal(aia_hpo_space_add_categorical(s, name, choices, 2, &err), AIA_OK);
    memset(name, 'x', 6);
    memset(c0, 'y', 3);
    assert_string_equal(aia_hpo_space_param(s, 0)->name, "kernel");
    assert_string_equal(aia_hpo_space_param(s, 0)->choices[0], "rbf");
    aia_hpo_space_free(s);
}

static void int_errors(void **state)
{
    (void)state;
    aia_hpo_space *s = new_space();
    aia_error err;
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 5, 5, 1, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "low (5) must be less than high (5)");
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 9, 3, 1, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "less than high");
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 0, 10, 1, true, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "log scale needs low >= 1");
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 1, 10, 4, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "multiple of step (4)");
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 1, 9, 2, true, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "cannot be combined");
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 1, 9, -2, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "must be positive");
    assert_int_equal(aia_hpo_space_add_int(s, "depth", 0, INT64_MAX, 1, false, &err),
                     AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "depth", "2^53");
    assert_int_equal(aia_hpo_space_size(s), 0); /* nothing half-added */
    aia_hpo_space_free(s);
}

static void float_errors(void **state)
{
    (void)state;
    aia_hpo_space *s = new_space();
    aia_error err;
    assert_int_equal(aia_hpo_space_add_float(s, "lr", 1.0, 0.5, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "lr", "low (1) must be less than high (0.5)");
    assert_int_equal(aia_hpo_space_add_float(s, "lr", 0.0, 1.0, true, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "lr", "log scale needs low > 0");
    assert_int_equal(aia_hpo_space_add_float(s, "lr", -1.0, 1.0, true, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_hpo_space_add_float(s, "lr", NAN, 1.0, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "lr", "finite");
    assert_int_equal(aia_hpo_space_add_float(s, "lr", 0, INFINITY, false, &err),
                     AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_hpo_space_add_float(s, "lr", -1e308, 1e308, false, &err),
                     AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "lr", "too wide");
    assert_int_equal(aia_hpo_space_size(s), 0);
    aia_hpo_space_free(s);
}

static void categorical_errors(void **state)
{
    (void)state;
    aia_hpo_space *s = new_space();
    aia_error err;
    const char *dup[] = {"a", "b", "a"};
    const char *empty[] = {"a", ""};
    const char *nul[] = {"a", NULL};
    assert_int_equal(aia_hpo_space_add_categorical(s, "opt", dup, 0, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "opt", "at least one choice");
    assert_int_equal(aia_hpo_space_add_categorical(s, "opt", NULL, 2, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_hpo_space_add_categorical(s, "opt", dup, 3, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "opt", "\"a\" is listed twice");
    assert_int_equal(aia_hpo_space_add_categorical(s, "opt", empty, 2, &err),
                     AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "opt", "choice 1 is empty");
    assert_int_equal(aia_hpo_space_add_categorical(s, "opt", nul, 2, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_hpo_space_add_categorical(s, "opt", dup, 1, &err), AIA_OK);
    aia_hpo_space_free(s);
}

static void name_errors(void **state)
{
    (void)state;
    aia_hpo_space *s = new_space();
    aia_error err;
    assert_int_equal(aia_hpo_space_add_float(s, "x", 0, 1, false, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_int(s, "x", 0, 1, 1, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "\"x\" is defined twice", NULL);
    assert_int_equal(aia_hpo_space_add_int(s, "", 0, 1, 1, false, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "must not be empty", NULL);
    assert_int_equal(aia_hpo_space_add_int(s, NULL, 0, 1, 1, false, &err), AIA_INVALID_ARGUMENT);
    char long_name[AIA_HPO_NAME_MAX + 2];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(aia_hpo_space_add_int(s, long_name, 0, 1, 1, false, &err),
                     AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "longer than", NULL);
    assert_int_equal(aia_hpo_space_add_int(NULL, "y", 0, 1, 1, false, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_hpo_space_size(s), 1);
    aia_hpo_space_free(s);
}

static aia_hpo_space *mixed_space(void)
{
    aia_hpo_space *s = new_space();
    aia_error err;
    const char *choices[] = {"sgd", "adam", "lbfgs"};
    assert_int_equal(aia_hpo_space_add_int(s, "trees", 10, 100, 10, false, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_float(s, "alpha", 1e-4, 10, true, &err), AIA_OK);
    assert_int_equal(aia_hpo_space_add_categorical(s, "solver", choices, 3, &err), AIA_OK);
    return s;
}

static void check_accepts_points_and_names_the_bad_value(void **state)
{
    (void)state;
    aia_hpo_space *s = mixed_space();
    aia_error err;
    aia_hpo_value ok[3] = {{.i = 30}, {.f = 0.5}, {.choice = 2}};
    assert_int_equal(aia_hpo_space_check(s, ok, &err), AIA_OK);
    aia_hpo_value off_grid[3] = {{.i = 35}, {.f = 0.5}, {.choice = 2}};
    assert_int_equal(aia_hpo_space_check(s, off_grid, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "trees", "not on the grid");
    aia_hpo_value too_big[3] = {{.i = 110}, {.f = 0.5}, {.choice = 2}};
    assert_int_equal(aia_hpo_space_check(s, too_big, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "trees", "outside [10, 100]");
    aia_hpo_value nan_float[3] = {{.i = 10}, {.f = NAN}, {.choice = 0}};
    assert_int_equal(aia_hpo_space_check(s, nan_float, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "alpha", "outside");
    aia_hpo_value bad_choice[3] = {{.i = 10}, {.f = 1}, {.choice = 3}};
    assert_int_equal(aia_hpo_space_check(s, bad_choice, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "solver", "choice index 3");
    aia_hpo_space_free(s);
}

static void typed_getters(void **state)
{
    (void)state;
    aia_hpo_space *s = mixed_space();
    aia_error err;
    aia_hpo_value v[3] = {{.i = 40}, {.f = 0.25}, {.choice = 1}};
    int64_t trees;
    double alpha;
    const char *solver;
    assert_int_equal(aia_hpo_space_get_int(s, v, "trees", &trees, &err), AIA_OK);
    assert_int_equal(trees, 40);
    assert_int_equal(aia_hpo_space_get_float(s, v, "alpha", &alpha, &err), AIA_OK);
    assert_true(alpha == 0.25);
    assert_int_equal(aia_hpo_space_get_choice(s, v, "solver", &solver, &err), AIA_OK);
    assert_string_equal(solver, "adam");
    assert_int_equal(aia_hpo_space_get_int(s, v, "alpha", &trees, &err), AIA_INVALID_ARGUMENT);
    assert_error_mentions(&err, "\"alpha\" is float, not int", NULL);
    assert_int_equal(aia_hpo_space_get_float(s, v, "depth", &alpha, &err), AIA_NOT_FOUND);
    assert_error_mentions(&err, "depth", NULL);
    aia_hpo_space_free(s);
}

static void clone_is_deep_and_equal(void **state)
{
    (void)state;
    aia_hpo_space *s = mixed_space(), *c = NULL;
    aia_error err;
    assert_int_equal(aia_hpo_space_clone(s, &c, &err), AIA_OK);
    aia_hpo_space_free(s);
    assert_int_equal(aia_hpo_space_size(c), 3);
    assert_string_equal(aia_hpo_space_param(c, 2)->choices[2], "lbfgs");
    assert_int_equal(aia_hpo_space_param(c, 0)->int_step, 10);
    assert_true(aia_hpo_space_param(c, 1)->log);
    aia_hpo_space_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_all_three_types),
        cmocka_unit_test(copies_the_callers_strings),
        cmocka_unit_test(int_errors),
        cmocka_unit_test(float_errors),
        cmocka_unit_test(categorical_errors),
        cmocka_unit_test(name_errors),
        cmocka_unit_test(check_accepts_points_and_names_the_bad_value),
        cmocka_unit_test(typed_getters),
        cmocka_unit_test(clone_is_deep_and_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
