/* lib/data/split.c — see split.h for the allocation rules.
 *
 * Both splitters work the same way: group the rows by class (one group when
 * not stratified), shuffle each group with the seeded generator, decide how
 * many rows of each group go where, record each row's destination, and read
 * the parts off in ascending row order — so no sort is needed.
 */
#include "lib/data/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/rng.h"

enum { PART_TRAIN, PART_VALIDATION, PART_TEST, N_PARTS };

static const char *const k_part_names[N_PARTS] = {"train", "validation", "test"};

/* Rows grouped by class: rows of class c are order[start[c] .. start[c+1]). */
typedef struct groups {
    size_t *order;
    size_t *start;          /* n_classes + 1 entries */
    size_t n_classes;
} groups;

static void groups_free(groups *g)
{
    free(g->order);
    free(g->start);
}

/* Groups rows by strata (NULL: one group), each group shuffled by rng. */
static int groups_make(size_t n, const aia_class_labels *strata, aia_rng *rng, groups *g)
{
    g->n_classes = strata ? strata->n_classes : 1;
    g->order = malloc((n ? n : 1) * sizeof *g->order);
    g->start = calloc(g->n_classes + 1, sizeof *g->start);
    if (!g->order || !g->start) return -1;
    for (size_t i = 0; i < n; i++) g->start[(strata ? (size_t)strata->y[i] : 0) + 1]++;
    for (size_t c = 0; c < g->n_classes; c++) g->start[c + 1] += g->start[c];
    size_t *fill = malloc((g->n_classes ? g->n_classes : 1) * sizeof *fill);
    if (!fill) return -1;
    memcpy(fill, g->start, g->n_classes * sizeof *fill);
    for (size_t i = 0; i < n; i++) g->order[fill[strata ? (size_t)strata->y[i] : 0]++] = i;
    free(fill);
    for (size_t c = 0; c < g->n_classes; c++)
        aia_rng_shuffle(rng, g->order + g->start[c], g->start[c + 1] - g->start[c],
                        sizeof *g->order);
    return 0;
}

static aia_status check_strata(size_t n, const aia_class_labels *strata, aia_error *err)
{
    if (!strata) return AIA_OK;
    if (strata->n != n)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "the class labels have %zu rows but the data has %zu", strata->n, n);
    for (size_t i = 0; i < n; i++) {
        if (strata->y[i] < 0 || (size_t)strata->y[i] >= strata->n_classes)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "class label %d at row %zu is outside [0, %zu)", strata->y[i],
                                 i + 1, strata->n_classes);
    }
    return AIA_OK;
}

static aia_status no_memory(aia_error *err)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory splitting rows");
}

/* ---- train / validation / test ------------------------------------------------ */

/* Largest-remainder rounding of fraction * n; ties go to the later part. */
static void part_sizes(size_t n, const double frac[N_PARTS], size_t sizes[N_PARTS])
{
    double remainder[N_PARTS];
    size_t total = 0;
    for (int p = 0; p < N_PARTS; p++) {
        double quota = frac[p] * (double)n;
        sizes[p] = (size_t)floor(quota);
        if (sizes[p] > n) sizes[p] = n;
        remainder[p] = quota - floor(quota);
        total += sizes[p];
    }
    while (total < n) {
        int best = N_PARTS - 1;
        for (int p = N_PARTS - 1; p >= 0; p--) {
            if (remainder[p] > remainder[best]) best = p;
        }
        sizes[best]++;
        remainder[best] = -1.0;
        total++;
    }
    while (total > n) { /* only from rounding noise in fractions summing to 1 */
        int p = 0;
        while (sizes[p] == 0) p++;
        sizes[p]--;
        total--;
    }
}

/* Rounding class shares to whole rows.
 *
 * Class c's exact share of part p is n_c * size_p / n. Every class takes the
 * floor of each share; then each class has a few rows left (its shares'
 * fractional parts sum to an integer) and each part lacks a few (likewise).
 * Handing them out so that every cell gets at most one extra row, and only
 * where its share has a fractional part, keeps every count at the floor or
 * the ceiling of its share while the class totals and part sizes stay exact.
 * Such a rounding always exists (a table with integer margins can be rounded
 * cell by cell keeping them: Bacharach, 1966). A greedy pass finds it almost
 * always; when it cannot place a row, an augmenting path moves other
 * classes' extra rows between parts to make room, as in bipartite matching.
 */
typedef struct rounding {
    size_t n_classes;
    size_t *take;           /* take[c * N_PARTS + p]: rows of class c in part p */
    uint64_t *remainder;    /* (n_c * size_p) mod n: 0 means the share is whole */
    uint8_t *extra;         /* 1 when cell (c, p) got its extra row */
    size_t deficit[N_PARTS];/* rows part p still lacks */
    /* breadth-first search state */
    size_t *queue;
    uint8_t *seen_class;
    size_t via_class[N_PARTS];  /* the class the search reached part p from */
    int *via_part;              /* per class: the part the search reached it from */
} rounding;

static int may_add(const rounding *r, size_t c, int p)
{
    return r->remainder[c * N_PARTS + p] != 0 && !r->extra[c * N_PARTS + p];
}

/* Parts in order of preference for class c: largest fractional share first,
 * ties to the later part (test, then validation, then train). */
static void preference(const rounding *r, size_t c, int order[N_PARTS])
{
    for (int i = 0; i < N_PARTS; i++) order[i] = N_PARTS - 1 - i;
    for (int i = 1; i < N_PARTS; i++) {
        for (int j = i; j > 0 && r->remainder[c * N_PARTS + order[j]] >
                                     r->remainder[c * N_PARTS + order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    }
}

/* Finds room for one more row of class c0 through an augmenting path:
 * c0 -> part p (full) -> a class holding an extra row in p, which moves it
 * to another part -> ... -> a part that still lacks rows. Returns 0 when
 * done, -1 if no path exists (which the theorem above rules out). */
static int augment(rounding *r, size_t c0)
{
    memset(r->seen_class, 0, r->n_classes);
    int seen_part[N_PARTS] = {0, 0, 0};
    size_t head = 0, tail = 0;
    r->queue[tail++] = c0;
    r->seen_class[c0] = 1;
    while (head < tail) {
        size_t c = r->queue[head++];
        int order[N_PARTS];
        preference(r, c, order);
        for (int i = 0; i < N_PARTS; i++) {
            int p = order[i];
            if (seen_part[p] || !may_add(r, c, p)) continue;
            seen_part[p] = 1;
            r->via_class[p] = c;
            if (r->deficit[p] > 0) {
                /* Walk back: each class on the path gains a row in the part
                 * after it and gives one up in the part before it. */
                r->deficit[p]--;
                for (;;) {
                    size_t k = r->via_class[p];
                    r->extra[k * N_PARTS + p] = 1;
                    r->take[k * N_PARTS + p]++;
                    if (k == c0) return 0;
                    p = r->via_part[k];
                    r->extra[k * N_PARTS + p] = 0;
                    r->take[k * N_PARTS + p]--;
                }
            }
            for (size_t k = 0; k < r->n_classes; k++) {
                if (!r->seen_class[k] && r->extra[k * N_PARTS + p]) {
                    r->seen_class[k] = 1;
                    r->via_part[k] = p;
                    r->queue[tail++] = k;
                }
            }
        }
    }
    return -1;
}

/* Gives class c one of its leftover rows: greedily to its preferred part
 * that still lacks rows and may take an extra one, else by augmenting. */
static void place_one(rounding *r, size_t c)
{
    int order[N_PARTS];
    preference(r, c, order);
    for (int i = 0; i < N_PARTS; i++) {
        int p = order[i];
        if (r->deficit[p] > 0 && may_add(r, c, p)) {
            r->deficit[p]--;
            r->extra[c * N_PARTS + p] = 1;
            r->take[c * N_PARTS + p]++;
            return;
        }
    }
    if (augment(r, c) == 0) return;
    /* Unreachable by the theorem above; keep the part sizes exact anyway. */
    int p = 0;
    while (r->deficit[p] == 0) p++;
    r->deficit[p]--;
    r->take[c * N_PARTS + p]++;
}

/* How many rows of each class go to each part: take[c * N_PARTS + p].
 * Returns -1 when out of memory. */
static int allocate_classes(const groups *g, size_t n, const size_t sizes[N_PARTS], size_t *take)
{
    rounding r;
    memset(&r, 0, sizeof r);
    size_t nc = g->n_classes;
    r.n_classes = nc;
    r.take = take;
    r.remainder = malloc(nc * N_PARTS * sizeof *r.remainder);
    r.extra = calloc(nc * N_PARTS, 1);
    r.queue = malloc(nc * sizeof *r.queue);
    r.seen_class = malloc(nc);
    r.via_part = malloc(nc * sizeof *r.via_part);
    int ok = r.remainder && r.extra && r.queue && r.seen_class && r.via_part;
    memcpy(r.deficit, sizes, sizeof r.deficit);
    for (size_t c = 0; ok && c < nc; c++) {
        uint64_t n_c = g->start[c + 1] - g->start[c];
        for (int p = 0; p < N_PARTS; p++) {
            take[c * N_PARTS + p] = (size_t)(n_c * sizes[p] / n);
            r.remainder[c * N_PARTS + p] = n_c * sizes[p] % n;
            r.deficit[p] -= take[c * N_PARTS + p];
        }
    }
    for (size_t c = 0; ok && c < nc; c++) {
        size_t n_c = g->start[c + 1] - g->start[c];
        size_t left = n_c - take[c * N_PARTS] - take[c * N_PARTS + 1] - take[c * N_PARTS + 2];
        for (; left > 0; left--) place_one(&r, c);
    }
    free(r.remainder);
    free(r.extra);
    free(r.queue);
    free(r.seen_class);
    free(r.via_part);
    return ok ? 0 : -1;
}

static aia_status check_fractions(const double frac[N_PARTS], aia_error *err)
{
    double sum = 0;
    for (int p = 0; p < N_PARTS; p++) {
        if (!(frac[p] >= 0.0 && frac[p] <= 1.0))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "the %s fraction is %g; each fraction must be in [0, 1]",
                                 k_part_names[p], frac[p]);
        sum += frac[p];
    }
    if (fabs(sum - 1.0) > 1e-9)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "the train, validation and test fractions (%g, %g, %g) sum to %.10g, "
                             "not 1", frac[0], frac[1], frac[2], sum);
    if (frac[PART_TRAIN] <= 0.0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "the train fraction must be positive");
    return AIA_OK;
}

void aia_split_free(aia_split *s)
{
    if (!s) return;
    free(s->train);
    free(s->validation);
    free(s->test);
    memset(s, 0, sizeof *s);
}

/* Reads the parts off part_of[] in ascending row order. */
static aia_status collect_parts(size_t n, const uint8_t *part_of, const size_t sizes[N_PARTS],
                                aia_split *out, aia_error *err)
{
    size_t *dst[N_PARTS];
    for (int p = 0; p < N_PARTS; p++) {
        dst[p] = malloc((sizes[p] ? sizes[p] : 1) * sizeof(size_t));
        if (!dst[p]) {
            for (int q = 0; q < p; q++) free(dst[q]);
            return no_memory(err);
        }
    }
    size_t at[N_PARTS] = {0, 0, 0};
    for (size_t row = 0; row < n; row++) dst[part_of[row]][at[part_of[row]]++] = row;
    out->train = dst[PART_TRAIN];
    out->validation = dst[PART_VALIDATION];
    out->test = dst[PART_TEST];
    out->n_train = sizes[PART_TRAIN];
    out->n_validation = sizes[PART_VALIDATION];
    out->n_test = sizes[PART_TEST];
    return AIA_OK;
}

aia_status aia_split_train_validation_test(size_t n, double train_fraction,
                                           double validation_fraction, double test_fraction,
                                           const aia_class_labels *strata, uint64_t seed,
                                           aia_split *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    const double frac[N_PARTS] = {train_fraction, validation_fraction, test_fraction};
    aia_status st = check_fractions(frac, err);
    if (st != AIA_OK) return st;
    if (n == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "there are no rows to split");
    if ((st = check_strata(n, strata, err)) != AIA_OK) return st;
    size_t sizes[N_PARTS];
    part_sizes(n, frac, sizes);
    for (int p = 0; p < N_PARTS; p++) {
        if (frac[p] > 0.0 && sizes[p] == 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "a %s fraction of %g leaves the %s part empty with only %zu "
                                 "rows; use more rows or a larger fraction",
                                 k_part_names[p], frac[p], k_part_names[p], n);
    }
    aia_rng rng;
    aia_rng_seed(&rng, seed);
    groups g = {0};
    uint8_t *part_of = malloc(n);
    size_t *take = NULL;
    if (!part_of || groups_make(n, strata, &rng, &g) != 0 ||
        !(take = malloc(g.n_classes * N_PARTS * sizeof *take))) {
        st = no_memory(err);
    }
    if (st == AIA_OK && allocate_classes(&g, n, sizes, take) != 0) st = no_memory(err);
    if (st == AIA_OK) {
        for (size_t c = 0; c < g.n_classes; c++) {
            size_t at = g.start[c];
            for (int p = 0; p < N_PARTS; p++) {
                for (size_t i = 0; i < take[c * N_PARTS + p]; i++) part_of[g.order[at++]] = (uint8_t)p;
            }
        }
        st = collect_parts(n, part_of, sizes, out, err);
    }
    free(take);
    free(part_of);
    groups_free(&g);
    return st;
}

/* ---- k folds --------------------------------------------------------------------- */

void aia_folds_free(aia_folds *f)
{
    if (!f) return;
    for (size_t i = 0; f->folds && i < f->n_folds; i++) {
        free(f->folds[i].train);
        free(f->folds[i].test);
    }
    free(f->folds);
    memset(f, 0, sizeof *f);
}

static aia_status check_folds(size_t n, size_t k, const aia_class_labels *strata, aia_error *err)
{
    if (k < 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "k is %zu; k-fold needs k >= 2", k);
    if (k > n)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "k is %zu but there are only %zu rows; k must be at most the "
                             "number of rows", k, n);
    aia_status st = check_strata(n, strata, err);
    if (st != AIA_OK || !strata) return st;
    size_t *counts = calloc(strata->n_classes ? strata->n_classes : 1, sizeof *counts);
    if (!counts) return no_memory(err);
    for (size_t i = 0; i < n; i++) counts[strata->y[i]]++;
    for (size_t c = 0; c < strata->n_classes; c++) {
        size_t n_c = counts[c];
        if (n_c > 0 && n_c < k) {
            free(counts);
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "class '%s' has %zu row%s, fewer than the %zu folds; each "
                                 "class needs at least k rows for stratified k-fold",
                                 strata->names ? strata->names[c] : "?", n_c,
                                 n_c == 1 ? "" : "s", k);
        }
    }
    free(counts);
    return AIA_OK;
}

/* One k-fold partition into folds[0..k). */
static aia_status one_kfold(size_t n, size_t k, const aia_class_labels *strata, aia_rng *rng,
                            aia_fold *folds, aia_error *err)
{
    groups g = {0};
    size_t *fold_of = malloc(n * sizeof *fold_of);
    size_t *sizes = calloc(k, sizeof *sizes);
    aia_status st = AIA_OK;
    if (!fold_of || !sizes || groups_make(n, strata, rng, &g) != 0) {
        st = no_memory(err);
        goto done;
    }
    /* g.order lays the (shuffled) classes end to end; deal positions round robin. */
    for (size_t t = 0; t < n; t++) {
        fold_of[g.order[t]] = t % k;
        sizes[t % k]++;
    }
    for (size_t i = 0; i < k; i++) {
        aia_fold *f = &folds[i];
        f->n_test = sizes[i];
        f->n_train = n - sizes[i];
        f->test = malloc((f->n_test ? f->n_test : 1) * sizeof *f->test);
        f->train = malloc((f->n_train ? f->n_train : 1) * sizeof *f->train);
        if (!f->test || !f->train) {
            st = no_memory(err);
            goto done;
        }
        size_t a = 0, b = 0;
        for (size_t row = 0; row < n; row++) {
            if (fold_of[row] == i) f->test[a++] = row;
            else f->train[b++] = row;
        }
    }
done:
    free(fold_of);
    free(sizes);
    groups_free(&g);
    return st;
}

aia_status aia_split_repeated_kfold(size_t n, size_t k, size_t n_repeats,
                                    const aia_class_labels *strata, uint64_t seed,
                                    aia_folds *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (n_repeats < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_repeats is 0; it must be at least 1");
    aia_status st = check_folds(n, k, strata, err);
    if (st != AIA_OK) return st;
    if (k > SIZE_MAX / n_repeats) return no_memory(err);
    out->folds = calloc(k * n_repeats, sizeof *out->folds);
    if (!out->folds) return no_memory(err);
    out->n_folds = k * n_repeats;
    out->k = k;
    out->n_repeats = n_repeats;
    for (size_t r = 0; r < n_repeats && st == AIA_OK; r++) {
        aia_rng rng;
        aia_rng_derive(&rng, seed, r);
        st = one_kfold(n, k, strata, &rng, out->folds + r * k, err);
    }
    if (st != AIA_OK) aia_folds_free(out);
    return st;
}

aia_status aia_split_kfold(size_t n, size_t k, const aia_class_labels *strata, uint64_t seed,
                           aia_folds *out, aia_error *err)
{
    return aia_split_repeated_kfold(n, k, 1, strata, seed, out, err);
}
