/* tests/unit/drift/numeric_test.c — lib/drift/numeric.h against SciPy.
 *
 * Golden values come from tests/data/drift/numeric_fixtures.txt, written by
 * tests/data/drift/make_numeric_fixtures.py (format in its docstring); the
 * large cases are regenerated here from the same splitmix64 formula. Then
 * the conventions (NaN counting, in-place sorting, reuse of the reference)
 * and every error. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/drift/numeric.h"
#include "tests/unit/testutil/runfiles.h"

#define FIXTURE "tests/data/drift/numeric_fixtures.txt"
#ifndef REL_TOL /* overridable to see how close the answers are: -DREL_TOL=0 */
#define REL_TOL 1e-9
#define ABS_TOL 1e-12
#endif

/* ---- fixture reading ------------------------------------------------------ */

static char *read_fixture(void)
{
    char path[4096];
    test_data_path(FIXTURE, path, sizeof path);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) fail_msg("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    text[size] = '\0';
    return text;
}

static char *next_line(char **cursor)
{
    if (**cursor == '\0') return NULL;
    char *line = *cursor, *end = strchr(line, '\n');
    if (end) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = line + strlen(line);
    }
    return line;
}

static uint64_t splitmix(uint64_t seed, uint64_t t)
{
    uint64_t z = seed + (t + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The script's `gen` sample, with the same double operations in the same
 * order, so the values are bit for bit numpy's. */
static double *gen_sample(char *spec, size_t *n)
{
    char *save = NULL;
    uint64_t seed = strtoull(strtok_r(spec, " ", &save), NULL, 10);
    *n = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
    double shift = strtod(strtok_r(NULL, " ", &save), NULL);
    double scale = strtod(strtok_r(NULL, " ", &save), NULL);
    double step = strtod(strtok_r(NULL, " ", &save), NULL);
    long nan_every = strtol(strtok_r(NULL, " ", &save), NULL, 10);
    double *x = malloc(*n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < *n; i++) {
        double u[4];
        for (int r = 0; r < 4; r++)
            u[r] = (double)(splitmix(seed, 4 * i + (uint64_t)r) >> 11) * 0x1p-53;
        double v = (((u[0] + u[1]) + u[2]) + u[3] - 2.0) * scale + shift;
        if (step > 0) v = floor(v / step) * step;
        if (nan_every > 0 && (long)(i % (size_t)nan_every) == nan_every - 1) v = NAN;
        x[i] = v;
    }
    return x;
}

static double *data_sample(char *rest, size_t *n)
{
    char *end = NULL;
    *n = strtoull(rest, &end, 10);
    double *x = malloc((*n ? *n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < *n; i++) x[i] = strtod(end, &end);
    return x;
}

/* "ref data ..." or "ref gen ..." */
static double *parse_sample(char *line, size_t *n)
{
    char *kind = strchr(line, ' ') + 1;
    if (strncmp(kind, "gen ", 4) == 0) return gen_sample(kind + 4, n);
    assert_true(strncmp(kind, "data ", 5) == 0);
    return data_sample(kind + 5, n);
}

static int close_enough(double got, double want)
{
    if (isnan(want)) return isnan(got);
    double diff = fabs(got - want);
    return diff <= ABS_TOL || diff <= REL_TOL * fabs(want);
}

static int check(const char *what, const char *name, double got, double want)
{
    if (close_enough(got, want)) return 0;
    print_error("%s %s: got %.17g, SciPy %.17g (rel %.3g)\n", name, what, got, want,
                fabs(got - want) / fabs(want));
    return 1;
}

/* ---- one fixture case -------------------------------------------------------- */

typedef struct fixture_case {
    char name[128];
    double *ref, *cur;
    size_t n_ref, n_cur;
    double ks_d, ks_p, wd, wd_normed, psi_q10; /* SciPy's, for aia_drift_numeric */
} fixture_case;

static double *copy_of(const double *x, size_t n)
{
    double *y = malloc((n ? n : 1) * sizeof *y);
    assert_non_null(y);
    memcpy(y, x, n * sizeof *y);
    return y;
}

static size_t count_nan(const double *x, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += isnan(x[i]) ? 1 : 0;
    return k;
}

/* Checks one result line of the case against a fresh copy of cur (each
 * statistic sorts its own copy, as a caller would). Returns failures. */
static int check_line(const fixture_case *c, const double *ref_sorted, size_t n_ref, char *line)
{
    int bad = 0;
    aia_error err;
    double *cur = copy_of(c->cur, c->n_cur);
    size_t cur_nan = count_nan(c->cur, c->n_cur);
    char *save = NULL;
    char *tag = strtok_r(line, " ", &save);
    if (strcmp(tag, "ks") == 0) {
        double d = strtod(strtok_r(NULL, " ", &save), NULL);
        double p = strtod(strtok_r(NULL, " ", &save), NULL);
        aia_ks_result r;
        assert_int_equal(aia_drift_ks(ref_sorted, n_ref, cur, c->n_cur, &r, &err), AIA_OK);
        bad += check("ks statistic", c->name, r.statistic, d);
        bad += check("ks p-value", c->name, r.p_value, p);
        assert_int_equal(r.n_nan, cur_nan);
        assert_int_equal(r.n_cur + r.n_nan, c->n_cur);
        assert_int_equal(r.exact, (n_ref > r.n_cur ? n_ref : r.n_cur) <= 10000);
    } else if (strcmp(tag, "wd") == 0) {
        double w = strtod(strtok_r(NULL, " ", &save), NULL);
        double wn = strtod(strtok_r(NULL, " ", &save), NULL);
        aia_wasserstein_result r;
        assert_int_equal(aia_drift_wasserstein(ref_sorted, n_ref, cur, c->n_cur, &r, &err),
                         AIA_OK);
        bad += check("wasserstein", c->name, r.distance, w);
        bad += check("wasserstein normed", c->name, r.normed, wn);
        assert_int_equal(r.n_nan, cur_nan);
    } else if (strcmp(tag, "psi") == 0) {
        const char *how = strtok_r(NULL, " ", &save);
        aia_psi_options opt = {atoi(strtok_r(NULL, " ", &save)),
                               strcmp(how, "quantile") == 0 ? AIA_PSI_QUANTILE
                                                            : AIA_PSI_EQUAL_WIDTH};
        int nb = atoi(strtok_r(NULL, " ", &save));
        double want = strtod(strtok_r(NULL, " ", &save), NULL);
        aia_psi_result r;
        assert_int_equal(aia_drift_psi(ref_sorted, n_ref, cur, c->n_cur, &opt, &r, &err), AIA_OK);
        if (r.n_bins != nb) {
            print_error("%s psi %s %d: %d bins, numpy %d\n", c->name, how, opt.bins, r.n_bins, nb);
            bad++;
        }
        char what[64];
        snprintf(what, sizeof what, "psi %s %d", how, opt.bins);
        bad += check(what, c->name, r.psi, want);
    }
    free(cur);
    return bad;
}

static void remember(fixture_case *c, const char *line)
{
    int bins = 0, nb = 0;
    if (strncmp(line, "ks ", 3) == 0)
        assert_int_equal(sscanf(line + 3, "%lf %lf", &c->ks_d, &c->ks_p), 2);
    if (strncmp(line, "wd ", 3) == 0)
        assert_int_equal(sscanf(line + 3, "%lf %lf", &c->wd, &c->wd_normed), 2);
    if (strncmp(line, "psi quantile 10 ", 16) == 0)
        assert_int_equal(sscanf(line + 13, "%d %d %lf", &bins, &nb, &c->psi_q10), 3);
}

/* aia_drift_numeric (one sort for all three) gives the same answers. */
static int check_all_at_once(const fixture_case *c, const double *ref_sorted, size_t n_ref)
{
    double *cur = copy_of(c->cur, c->n_cur);
    aia_numeric_result r;
    aia_error err;
    assert_int_equal(aia_drift_numeric(ref_sorted, n_ref, cur, c->n_cur, NULL, &r, &err), AIA_OK);
    size_t nan = count_nan(c->cur, c->n_cur);
    assert_int_equal(r.ks.n_nan, nan);
    assert_int_equal(r.wasserstein.n_nan, nan);
    assert_int_equal(r.psi.n_nan, nan);
    int bad = check("all: ks statistic", c->name, r.ks.statistic, c->ks_d) +
              check("all: ks p-value", c->name, r.ks.p_value, c->ks_p) +
              check("all: wasserstein", c->name, r.wasserstein.distance, c->wd) +
              check("all: wasserstein normed", c->name, r.wasserstein.normed, c->wd_normed) +
              check("all: psi", c->name, r.psi.psi, c->psi_q10);
    free(cur);
    return bad;
}

static void test_cases_match_scipy(void **state)
{
    (void)state;
    char *text = read_fixture(), *cursor = text, *line;
    fixture_case c = {{0}, NULL, NULL, 0, 0, 0, 0, 0, 0, 0};
    double *ref_sorted = NULL;
    size_t n_ref = 0;
    int bad = 0, cases = 0, results = 0;
    while ((line = next_line(&cursor)) != NULL) {
        if (strncmp(line, "case ", 5) == 0) {
            snprintf(c.name, sizeof c.name, "%s", line + 5);
        } else if (strncmp(line, "ref ", 4) == 0) {
            c.ref = parse_sample(line, &c.n_ref);
            /* The reference is cleaned and sorted once, then reused. */
            ref_sorted = copy_of(c.ref, c.n_ref);
            aia_error err;
            assert_int_equal(aia_drift_sort_clean(ref_sorted, c.n_ref, &n_ref, "reference", &err),
                             AIA_OK);
            assert_int_equal(n_ref + count_nan(c.ref, c.n_ref), c.n_ref);
        } else if (strncmp(line, "cur ", 4) == 0) {
            c.cur = parse_sample(line, &c.n_cur);
        } else if (strncmp(line, "nan ", 4) == 0) {
            size_t a = 0, b = 0;
            assert_int_equal(sscanf(line + 4, "%zu %zu", &a, &b), 2);
            assert_int_equal(a, c.n_ref - n_ref);
            assert_int_equal(b, count_nan(c.cur, c.n_cur));
        } else if (strcmp(line, "end") == 0) {
            bad += check_all_at_once(&c, ref_sorted, n_ref);
            free(c.ref);
            free(c.cur);
            free(ref_sorted);
            c.ref = c.cur = ref_sorted = NULL;
            cases++;
        } else if (strncmp(line, "ks ", 3) == 0 || strncmp(line, "wd ", 3) == 0 ||
                   strncmp(line, "psi ", 4) == 0) {
            remember(&c, line);
            bad += check_line(&c, ref_sorted, n_ref, line);
            results++;
        }
    }
    free(text);
    print_message("%d cases, %d results compared\n", cases, results);
    assert_true(cases >= 30);
    assert_int_equal(bad, 0);
}

static void test_kstwo_matches_scipy(void **state)
{
    (void)state;
    char *text = read_fixture(), *cursor = text, *line;
    int bad = 0, points = 0;
    while ((line = next_line(&cursor)) != NULL) {
        if (strncmp(line, "kstwo ", 6) != 0) continue;
        long n = 0;
        double x = 0, want = 0;
        assert_int_equal(sscanf(line + 6, "%ld %lf %lf", &n, &x, &want), 3);
        char name[64];
        snprintf(name, sizeof name, "kstwo(n=%ld, x=%g)", n, x);
        bad += check("sf", name, aia_drift_kstwo_sf(x, n), want);
        points++;
    }
    free(text);
    assert_true(points >= 20);
    assert_int_equal(bad, 0);
}

/* ---- conventions ------------------------------------------------------------ */

static void test_sort_clean_drops_and_sorts(void **state)
{
    (void)state;
    double x[] = {3.0, NAN, -1.0, INFINITY, 2.5, -INFINITY, -0.0, NAN, 1e300, -7.25};
    size_t n = 0;
    aia_error err;
    assert_int_equal(aia_drift_sort_clean(x, 10, &n, "reference", &err), AIA_OK);
    assert_int_equal(n, 6);
    const double want[] = {-7.25, -1.0, -0.0, 2.5, 3.0, 1e300};
    for (size_t i = 0; i < n; i++) assert_true(x[i] == want[i]);
}

/* The radix path (n >= 64) against qsort on values of every sign and scale. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_radix_sort_matches_qsort(void **state)
{
    (void)state;
    size_t n = 50000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++) {
        uint64_t z = splitmix(99, i);
        double mag = ldexp((double)(z >> 11) * 0x1p-53, (int)(z % 200) - 100);
        x[i] = (z & 1) ? -mag : mag;
        if (i % 977 == 0) x[i] = 0.0;
        if (i % 1009 == 0) x[i] = x[i / 2]; /* ties */
    }
    memcpy(y, x, n * sizeof *x);
    qsort(y, n, sizeof *y, cmp_double);
    size_t k = 0;
    assert_int_equal(aia_drift_sort_clean(x, n, &k, "sample", NULL), AIA_OK);
    assert_int_equal(k, n);
    for (size_t i = 0; i < n; i++) assert_true(x[i] == y[i]);
    free(x);
    free(y);
}

/* cur is left cleaned and sorted, and the same reference serves many windows. */
static void test_cur_sorted_in_place_and_reference_reused(void **state)
{
    (void)state;
    double ref[] = {0.1, 0.2, 0.3, 0.4, 0.5};
    double cur[] = {0.45, NAN, 0.05, 0.35};
    aia_ks_result r;
    assert_int_equal(aia_drift_ks(ref, 5, cur, 4, &r, NULL), AIA_OK);
    assert_int_equal(r.n_cur, 3);
    assert_int_equal(r.n_nan, 1);
    assert_true(cur[0] == 0.05 && cur[1] == 0.35 && cur[2] == 0.45);
    /* Already clean and sorted: same answer, nothing to redo. */
    aia_ks_result again;
    assert_int_equal(aia_drift_ks(ref, 5, cur, 3, &again, NULL), AIA_OK);
    assert_true(again.statistic == r.statistic && again.p_value == r.p_value);
    assert_int_equal(again.n_nan, 0);
}

static void test_identical_and_disjoint(void **state)
{
    (void)state;
    double ref[] = {1, 2, 3, 4};
    double same[] = {4, 3, 2, 1};
    aia_ks_result k;
    assert_int_equal(aia_drift_ks(ref, 4, same, 4, &k, NULL), AIA_OK);
    assert_true(k.statistic == 0.0 && k.p_value == 1.0);
    aia_wasserstein_result w;
    assert_int_equal(aia_drift_wasserstein(ref, 4, same, 4, &w, NULL), AIA_OK);
    assert_true(w.distance == 0.0);
    aia_psi_result p;
    assert_int_equal(aia_drift_psi(ref, 4, same, 4, NULL, &p, NULL), AIA_OK);
    assert_true(p.psi == 0.0);
    double far[] = {11, 12, 13, 14};
    assert_int_equal(aia_drift_ks(ref, 4, far, 4, &k, NULL), AIA_OK);
    assert_true(k.statistic == 1.0);
    /* P(D_{4,4} = 1) = 2 / C(8, 4) */
    assert_true(fabs(k.p_value - 2.0 / 70.0) < 1e-15);
    assert_int_equal(aia_drift_wasserstein(ref, 4, far, 4, &w, NULL), AIA_OK);
    assert_true(fabs(w.distance - 10.0) < 1e-12);
}

static void test_constant_reference_floor(void **state)
{
    (void)state;
    double ref[] = {5, 5, 5};
    double cur[] = {5, 6};
    aia_wasserstein_result w;
    assert_int_equal(aia_drift_wasserstein(ref, 3, cur, 2, &w, NULL), AIA_OK);
    assert_true(w.ref_std == 0.0);
    assert_true(fabs(w.distance - 0.5) < 1e-15);
    assert_true(fabs(w.normed - 500.0) < 1e-9); /* divided by the 0.001 floor */
    aia_psi_result p;
    assert_int_equal(aia_drift_psi(ref, 3, cur, 2, NULL, &p, NULL), AIA_OK);
    assert_int_equal(p.n_bins, 1);
    assert_true(p.psi == 0.0);
}

/* Empty bins count as 0.0001 on either side. */
static void test_psi_empty_bin_smoothing(void **state)
{
    (void)state;
    double ref[] = {0, 1, 2, 3};
    double cur[] = {3, 3, 3, 3};
    aia_psi_options opt = {2, AIA_PSI_EQUAL_WIDTH}; /* bins [0,1.5) [1.5,3] */
    aia_psi_result p;
    assert_int_equal(aia_drift_psi(ref, 4, cur, 4, &opt, &p, NULL), AIA_OK);
    double want = (0.0001 - 0.5) * log(0.0001 / 0.5) + (1.0 - 0.5) * log(1.0 / 0.5);
    assert_true(fabs(p.psi - want) < 1e-12);
    assert_int_equal(p.n_bins, 2);
}

/* ---- errors ----------------------------------------------------------------- */

static void expect_error(aia_status st, const aia_error *err, aia_status code, const char *part)
{
    assert_int_equal(st, code);
    assert_int_equal(err->code, code);
    if (strstr(err->message, part) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static void test_errors(void **state)
{
    (void)state;
    aia_error err;
    double ref[] = {1, 2, 3};
    double nans[] = {NAN, NAN, INFINITY};
    double cur[] = {1, 2};
    aia_ks_result k;
    aia_wasserstein_result w;
    aia_psi_result p;
    size_t n = 0;

    expect_error(aia_drift_sort_clean(nans, 3, &n, "reference", &err), &err,
                 AIA_INVALID_ARGUMENT, "reference sample has no finite value: all 3 values");
    expect_error(aia_drift_sort_clean(ref, 0, &n, "reference", &err), &err, AIA_INVALID_ARGUMENT,
                 "reference sample is empty");
    expect_error(aia_drift_ks(ref, 0, cur, 2, &k, &err), &err, AIA_INVALID_ARGUMENT,
                 "reference sample is empty");
    expect_error(aia_drift_ks(ref, 3, cur, 0, &k, &err), &err, AIA_INVALID_ARGUMENT,
                 "current sample is empty");
    double all_nan[] = {NAN, NAN};
    expect_error(aia_drift_wasserstein(ref, 3, all_nan, 2, &w, &err), &err, AIA_INVALID_ARGUMENT,
                 "current sample has no finite value: all 2 values are NaN or infinite");
    double unsorted[] = {1, 3, 2};
    expect_error(aia_drift_psi(unsorted, 3, cur, 2, NULL, &p, &err), &err, AIA_INVALID_ARGUMENT,
                 "not ascending at index 2");
    double with_nan[] = {1, NAN, 2};
    expect_error(aia_drift_ks(with_nan, 3, cur, 2, &k, &err), &err, AIA_INVALID_ARGUMENT,
                 "value 1 of 3 is not finite");
    aia_psi_options bad_bins = {AIA_PSI_MAX_BINS + 1, AIA_PSI_QUANTILE};
    expect_error(aia_drift_psi(ref, 3, cur, 2, &bad_bins, &p, &err), &err, AIA_INVALID_ARGUMENT,
                 "bins is 1001");
    aia_psi_options bad_how = {10, (aia_psi_binning)7};
    expect_error(aia_drift_psi(ref, 3, cur, 2, &bad_how, &p, &err), &err, AIA_INVALID_ARGUMENT,
                 "binning is 7");
    /* NULL err is allowed. */
    assert_int_equal(aia_drift_ks(ref, 3, cur, 0, &k, NULL), AIA_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_match_scipy),
        cmocka_unit_test(test_kstwo_matches_scipy),
        cmocka_unit_test(test_sort_clean_drops_and_sorts),
        cmocka_unit_test(test_radix_sort_matches_qsort),
        cmocka_unit_test(test_cur_sorted_in_place_and_reference_reused),
        cmocka_unit_test(test_identical_and_disjoint),
        cmocka_unit_test(test_constant_reference_floor),
        cmocka_unit_test(test_psi_empty_bin_smoothing),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
