/* Unit tests for lib/data/split and lib/data/labels: determinism, exact
 * part sizes, class proportions, sortedness, disjoint covers, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/data/csv.h"
#include "lib/data/labels.h"
#include "lib/data/split.h"

static void assert_sorted_unique(const size_t *idx, size_t n, size_t limit)
{
    for (size_t i = 0; i < n; i++) {
        assert_true(idx[i] < limit);
        if (i) assert_true(idx[i - 1] < idx[i]);
    }
}

/* Every row of 0..n-1 appears in exactly one of the arrays. */
static void assert_partition(size_t n, const size_t *const *parts, const size_t *sizes, int k)
{
    uint8_t *seen = calloc(n, 1);
    assert_non_null(seen);
    size_t total = 0;
    for (int p = 0; p < k; p++) {
        assert_sorted_unique(parts[p], sizes[p], n);
        for (size_t i = 0; i < sizes[p]; i++) {
            assert_int_equal(seen[parts[p][i]], 0);
            seen[parts[p][i]] = 1;
        }
        total += sizes[p];
    }
    assert_int_equal(total, n);
    free(seen);
}

/* Labels y[i] = class_of(i) for n rows and k classes. */
static aia_class_labels make_labels(size_t n, size_t k, const size_t *class_sizes)
{
    int32_t *codes = malloc(n * sizeof *codes);
    size_t at = 0;
    for (size_t c = 0; c < k; c++) {
        for (size_t i = 0; i < class_sizes[c]; i++) codes[at++] = (int32_t)c;
    }
    assert_int_equal(at, n);
    /* Interleave so that class membership does not follow row order. */
    for (size_t i = 0; i + 1 < n; i += 2) {
        int32_t t = codes[i];
        codes[i] = codes[n - 1 - i];
        codes[n - 1 - i] = t;
    }
    aia_class_labels labels;
    aia_error err;
    assert_int_equal(aia_class_labels_from_codes(codes, n, k, NULL, &labels, &err), AIA_OK);
    free(codes);
    return labels;
}

static void split_sizes_and_cover(void **state)
{
    (void)state;
    aia_split s;
    aia_error err;
    assert_int_equal(aia_split_train_validation_test(1000, 0.8, 0.1, 0.1, NULL, 1, &s, &err), AIA_OK);
    assert_int_equal(s.n_train, 800);
    assert_int_equal(s.n_validation, 100);
    assert_int_equal(s.n_test, 100);
    const size_t *parts[] = {s.train, s.validation, s.test};
    const size_t sizes[] = {s.n_train, s.n_validation, s.n_test};
    assert_partition(1000, parts, sizes, 3);
    aia_split_free(&s);

    /* Largest remainder: 7 rows at 0.5/0.25/0.25 are quotas 3.5/1.75/1.75;
     * floors 3/1/1 leave 2 rows for the largest remainders: validation and
     * test (0.75 each) before train (0.5). */
    assert_int_equal(aia_split_train_validation_test(7, 0.5, 0.25, 0.25, NULL, 1, &s, &err), AIA_OK);
    assert_int_equal(s.n_train, 3);
    assert_int_equal(s.n_validation, 2);
    assert_int_equal(s.n_test, 2);
    aia_split_free(&s);
    /* 5 rows at 0.8/0.1/0.1: quotas 4/0.5/0.5; the tie goes to test, and the
     * then-empty validation part is an error, not a silent empty part. */
    assert_int_equal(aia_split_train_validation_test(5, 0.8, 0.1, 0.1, NULL, 1, &s, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "leaves the validation part empty with only 5 rows"));
    /* A zero fraction is an empty part on purpose. */
    assert_int_equal(aia_split_train_validation_test(10, 0.7, 0.0, 0.3, NULL, 1, &s, &err), AIA_OK);
    assert_int_equal(s.n_validation, 0);
    assert_int_equal(s.n_test, 3);
    aia_split_free(&s);
}

static void split_is_deterministic(void **state)
{
    (void)state;
    aia_split a, b, c;
    aia_error err;
    assert_int_equal(aia_split_train_validation_test(500, 0.6, 0.2, 0.2, NULL, 42, &a, &err), AIA_OK);
    assert_int_equal(aia_split_train_validation_test(500, 0.6, 0.2, 0.2, NULL, 42, &b, &err), AIA_OK);
    assert_int_equal(aia_split_train_validation_test(500, 0.6, 0.2, 0.2, NULL, 43, &c, &err), AIA_OK);
    assert_memory_equal(a.test, b.test, a.n_test * sizeof *a.test);
    assert_memory_equal(a.validation, b.validation, a.n_validation * sizeof *a.validation);
    assert_true(memcmp(a.test, c.test, a.n_test * sizeof *a.test) != 0);
    /* A shuffle, not a block: the test part is spread over the rows. */
    assert_true(a.test[0] < 100 && a.test[a.n_test - 1] > 400);
    aia_split_free(&a);
    aia_split_free(&b);
    aia_split_free(&c);
}

static void split_errors(void **state)
{
    (void)state;
    aia_split s;
    aia_error err;
    assert_int_equal(aia_split_train_validation_test(100, 0.8, 0.1, 0.2, NULL, 1, &s, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "sum to 1.1, not 1"));
    assert_int_equal(aia_split_train_validation_test(100, 1.2, -0.1, -0.1, NULL, 1, &s, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "the train fraction is 1.2"));
    assert_int_equal(aia_split_train_validation_test(100, 0.0, 0.5, 0.5, NULL, 1, &s, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "train fraction must be positive"));
    assert_int_equal(aia_split_train_validation_test(0, 0.8, 0.1, 0.1, NULL, 1, &s, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no rows"));
    size_t sizes[] = {5, 5};
    aia_class_labels l = make_labels(10, 2, sizes);
    assert_int_equal(aia_split_train_validation_test(11, 0.8, 0.1, 0.1, &l, 1, &s, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "labels have 10 rows but the data has 11"));
    assert_null(s.train);
    aia_class_labels_free(&l);
}

static void stratified_split_keeps_proportions(void **state)
{
    (void)state;
    const size_t class_sizes[] = {700, 200, 97, 3};
    const size_t n = 1000;
    aia_class_labels l = make_labels(n, 4, class_sizes);
    aia_split s;
    aia_error err;
    assert_int_equal(aia_split_train_validation_test(n, 0.8, 0.1, 0.1, &l, 9, &s, &err), AIA_OK);
    assert_int_equal(s.n_train, 800);
    assert_int_equal(s.n_validation, 100);
    assert_int_equal(s.n_test, 100);
    const size_t *parts[] = {s.train, s.validation, s.test};
    const size_t sizes[] = {s.n_train, s.n_validation, s.n_test};
    const double fracs[] = {0.8, 0.1, 0.1};
    assert_partition(n, parts, sizes, 3);
    for (int p = 0; p < 3; p++) {
        size_t per_class[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < sizes[p]; i++) per_class[l.y[parts[p][i]]]++;
        for (int c = 0; c < 4; c++) {
            double share = (double)class_sizes[c] * fracs[p];
            assert_true((double)per_class[c] >= share - 1.0 && (double)per_class[c] <= share + 1.0);
        }
    }
    aia_split_free(&s);
    aia_class_labels_free(&l);
}

/* Many random class mixes and fractions: part sizes exact, parts a
 * partition, and every class's count in every part the floor or the
 * ceiling of its exact share n_c * size_p / n. Small, uneven classes force
 * the allocation to move extra rows between classes (the augmenting path). */
static void stratified_counts_are_floor_or_ceiling(void **state)
{
    (void)state;
    aia_rng rng;
    aia_rng_seed(&rng, 4);
    for (int trial = 0; trial < 3000; trial++) {
        size_t k = 1 + aia_rng_below(&rng, 6), n = 0, class_sizes[6];
        for (size_t c = 0; c < k; c++) {
            class_sizes[c] = 1 + aia_rng_below(&rng, trial % 2 ? 10 : 200);
            n += class_sizes[c];
        }
        aia_class_labels l = make_labels(n, k, class_sizes);
        double a = 0.05 + 0.9 * aia_rng_uniform(&rng), b = (1 - a) * aia_rng_uniform(&rng);
        aia_split s;
        aia_error err;
        if (aia_split_train_validation_test(n, a, b, 1 - a - b, &l, (uint64_t)trial, &s, &err) != AIA_OK) {
            assert_non_null(strstr(err.message, "part empty")); /* too few rows for a fraction */
            aia_class_labels_free(&l);
            continue;
        }
        const size_t *parts[] = {s.train, s.validation, s.test};
        const size_t sizes[] = {s.n_train, s.n_validation, s.n_test};
        assert_partition(n, parts, sizes, 3);
        for (int p = 0; p < 3; p++) {
            size_t per_class[6] = {0};
            for (size_t i = 0; i < sizes[p]; i++) per_class[l.y[parts[p][i]]]++;
            for (size_t c = 0; c < k; c++) {
                size_t lo = class_sizes[c] * sizes[p] / n;
                size_t hi = lo + (class_sizes[c] * sizes[p] % n != 0);
                if (per_class[c] < lo || per_class[c] > hi)
                    fail_msg("trial %d: class %zu has %zu rows in part %d, share in [%zu, %zu]",
                             trial, c, per_class[c], p, lo, hi);
            }
        }
        aia_split_free(&s);
        aia_class_labels_free(&l);
    }
}

static void kfold_partitions(void **state)
{
    (void)state;
    aia_folds f;
    aia_error err;
    assert_int_equal(aia_split_kfold(103, 5, NULL, 3, &f, &err), AIA_OK);
    assert_int_equal(f.n_folds, 5);
    assert_int_equal(f.k, 5);
    assert_int_equal(f.n_repeats, 1);
    const size_t *tests[5];
    size_t sizes[5];
    for (size_t i = 0; i < 5; i++) {
        tests[i] = f.folds[i].test;
        sizes[i] = f.folds[i].n_test;
        assert_true(sizes[i] == 20 || sizes[i] == 21);
        /* train is the complement of test */
        const size_t *pair[] = {f.folds[i].train, f.folds[i].test};
        const size_t pair_sizes[] = {f.folds[i].n_train, f.folds[i].n_test};
        assert_partition(103, pair, pair_sizes, 2);
    }
    assert_partition(103, tests, sizes, 5);
    aia_folds g;
    assert_int_equal(aia_split_kfold(103, 5, NULL, 3, &g, &err), AIA_OK);
    for (size_t i = 0; i < 5; i++)
        assert_memory_equal(f.folds[i].test, g.folds[i].test, sizes[i] * sizeof(size_t));
    aia_folds_free(&f);
    aia_folds_free(&g);
}

static void stratified_kfold_balances_classes(void **state)
{
    (void)state;
    const size_t class_sizes[] = {50, 31, 7};
    aia_class_labels l = make_labels(88, 3, class_sizes);
    aia_folds f;
    aia_error err;
    assert_int_equal(aia_split_kfold(88, 7, &l, 11, &f, &err), AIA_OK);
    const size_t *tests[7];
    size_t sizes[7];
    for (size_t i = 0; i < 7; i++) {
        tests[i] = f.folds[i].test;
        sizes[i] = f.folds[i].n_test;
        size_t per_class[3] = {0, 0, 0};
        for (size_t j = 0; j < sizes[i]; j++) per_class[l.y[tests[i][j]]]++;
        for (int c = 0; c < 3; c++) {
            size_t lo = class_sizes[c] / 7, hi = (class_sizes[c] + 6) / 7;
            assert_true(per_class[c] >= lo && per_class[c] <= hi);
        }
        assert_true(sizes[i] == 12 || sizes[i] == 13);
    }
    assert_partition(88, tests, sizes, 7);
    aia_folds_free(&f);
    aia_class_labels_free(&l);
}

static void repeated_kfold(void **state)
{
    (void)state;
    const size_t class_sizes[] = {30, 20};
    aia_class_labels l = make_labels(50, 2, class_sizes);
    aia_folds f, single;
    aia_error err;
    assert_int_equal(aia_split_repeated_kfold(50, 2, 5, &l, 77, &f, &err), AIA_OK);
    assert_int_equal(f.n_folds, 10);
    assert_int_equal(f.n_repeats, 5);
    for (size_t r = 0; r < 5; r++) {
        const size_t *tests[] = {f.folds[2 * r].test, f.folds[2 * r + 1].test};
        const size_t sizes[] = {f.folds[2 * r].n_test, f.folds[2 * r + 1].n_test};
        assert_partition(50, tests, sizes, 2);
        assert_int_equal(sizes[0], 25);
    }
    /* Repeats differ from one another. */
    assert_true(memcmp(f.folds[0].test, f.folds[2].test, 25 * sizeof(size_t)) != 0);
    /* aia_split_kfold is the first repeat of the same seed. */
    assert_int_equal(aia_split_kfold(50, 2, &l, 77, &single, &err), AIA_OK);
    assert_memory_equal(single.folds[0].test, f.folds[0].test, 25 * sizeof(size_t));
    aia_folds_free(&single);
    aia_folds_free(&f);
    assert_int_equal(aia_split_repeated_kfold(50, 2, 0, &l, 77, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "n_repeats is 0"));
    aia_class_labels_free(&l);
}

static void kfold_errors(void **state)
{
    (void)state;
    aia_folds f;
    aia_error err;
    assert_int_equal(aia_split_kfold(10, 1, NULL, 1, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "k is 1; k-fold needs k >= 2"));
    assert_int_equal(aia_split_kfold(10, 11, NULL, 1, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "k is 11 but there are only 10 rows"));
    assert_null(f.folds);

    aia_frame *frame = NULL;
    const char *csv = "y\ncat\ndog\ncat\ndog\nemu\ncat\ndog\ncat\ndog\nemu\nemu\n";
    assert_int_equal(aia_csv_read_buffer(csv, strlen(csv), NULL, &frame, &err), AIA_OK);
    aia_class_labels l;
    assert_int_equal(aia_class_labels_from_column(frame, 0, &l, &err), AIA_OK);
    assert_int_equal(aia_split_kfold(11, 3, &l, 1, &f, &err), AIA_OK);
    aia_folds_free(&f);
    assert_int_equal(aia_split_kfold(11, 4, &l, 1, &f, &err), AIA_INVALID_ARGUMENT);
    assert_string_equal(err.message, "class 'emu' has 3 rows, fewer than the 4 folds; each class "
                                     "needs at least k rows for stratified k-fold");
    aia_class_labels_free(&l);
    aia_frame_free(frame);
}

static void labels_from_columns(void **state)
{
    (void)state;
    aia_frame *f = NULL;
    aia_error err;
    const char *csv = "num,cat,flag,gap\n2.5,b,true,1\n-1,a,false,NA\n2.5,c,true,2\n10,b,true,3\n";
    assert_int_equal(aia_csv_read_buffer(csv, strlen(csv), NULL, &f, &err), AIA_OK);
    aia_class_labels l;
    /* Numbers ascending, with names that read back exactly. */
    assert_int_equal(aia_class_labels_from_column(f, 0, &l, &err), AIA_OK);
    assert_int_equal(l.n_classes, 3);
    assert_string_equal(l.names[0], "-1");
    assert_string_equal(l.names[1], "2.5");
    assert_string_equal(l.names[2], "10");
    const int32_t num_y[] = {1, 0, 1, 2};
    assert_memory_equal(l.y, num_y, sizeof num_y);
    assert_int_equal(l.counts[1], 2);
    aia_class_labels_free(&l);
    /* Strings sorted byte-wise, not in first-seen order. */
    assert_int_equal(aia_class_labels_from_column(f, 1, &l, &err), AIA_OK);
    assert_string_equal(l.names[0], "a");
    assert_string_equal(l.names[2], "c");
    const int32_t cat_y[] = {1, 0, 2, 1};
    assert_memory_equal(l.y, cat_y, sizeof cat_y);
    aia_class_labels_free(&l);
    assert_int_equal(aia_class_labels_from_column(f, 2, &l, &err), AIA_OK);
    assert_int_equal(l.n_classes, 2);
    assert_string_equal(l.names[0], "false");
    const int32_t flag_y[] = {1, 0, 1, 1};
    assert_memory_equal(l.y, flag_y, sizeof flag_y);
    aia_class_labels_free(&l);
    assert_int_equal(aia_class_labels_from_column(f, 3, &l, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "class column 'gap' is missing in data row 2"));
    assert_null(l.y);
    assert_int_equal(aia_class_labels_from_column(f, 9, &l, &err), AIA_INVALID_ARGUMENT);
    aia_frame_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_sizes_and_cover),
        cmocka_unit_test(split_is_deterministic),
        cmocka_unit_test(split_errors),
        cmocka_unit_test(stratified_split_keeps_proportions),
        cmocka_unit_test(stratified_counts_are_floor_or_ceiling),
        cmocka_unit_test(kfold_partitions),
        cmocka_unit_test(stratified_kfold_balances_classes),
        cmocka_unit_test(repeated_kfold),
        cmocka_unit_test(kfold_errors),
        cmocka_unit_test(labels_from_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
