/* lib/hpo/tpe.c — the Tree-structured Parzen Estimator sampler, after
 * Optuna's TPESampler (Bergstra et al. 2011; Watanabe 2023).
 *
 * Finished trials are split into the best gamma(n) ("below", which build
 * l(x)) and the rest ("above", g(x)). Complete trials are ranked by value;
 * pruned trials come after every complete one, those that reached a later
 * step first and then by their last intermediate value, so a trial cut
 * early still tells TPE where not to look. Failed trials say nothing about
 * their parameters and are left out. With constant_liar, running trials
 * join "above", which steers parallel asks away from points being tried.
 *
 * Each group of parameters (every parameter alone by default, all of them
 * together when multivariate) then draws n_ei_candidates points from l(x)
 * and keeps the one maximising log l(x) - log g(x), the ratio that ranks
 * points like expected improvement does.
 *
 * Ties are broken by trial number everywhere, so the result depends on
 * which trials have finished, never on the order they were told in.
 */
#include <math.h>
#include <string.h>

#include "lib/hpo/parzen.h"
#include "lib/hpo/sampler.h"

size_t hpo_tpe_gamma(size_t n)
{
    size_t g = (n + 9) / 10; /* ceil(0.1 n) */
    return g < 25 ? g : 25;
}

size_t hpo_tpe_finished(const hpo_trial *trials, size_t n_trials)
{
    size_t n = 0;
    for (size_t i = 0; i < n_trials; i++)
        n += trials[i].state == AIA_HPO_TRIAL_COMPLETE || trials[i].state == AIA_HPO_TRIAL_PRUNED;
    return n;
}

typedef struct rank_ctx {
    const hpo_trial *trials;
    aia_hpo_direction dir;
} rank_ctx;

/* A value turned so that smaller is better; NaN is worst. */
static double oriented(const rank_ctx *c, double v)
{
    if (isnan(v)) return INFINITY;
    return c->dir == AIA_HPO_MAXIMIZE ? -v : v;
}

static int compare_doubles(double a, double b)
{
    return a < b ? -1 : a > b;
}

static int compare_complete(const rank_ctx *c, size_t a, size_t b)
{
    int r = compare_doubles(oriented(c, c->trials[a].value), oriented(c, c->trials[b].value));
    return r ? r : compare_doubles((double)a, (double)b);
}

/* Optuna's pruned-trial score: (-last step, last value), and (1, 0) for a
 * trial that reported nothing, which puts it after all that did. */
static void pruned_score(const rank_ctx *c, size_t i, double *k1, double *k2)
{
    const hpo_trial *t = &c->trials[i];
    if (t->n_steps == 0) {
        *k1 = 1;
        *k2 = 0;
        return;
    }
    *k1 = -(double)t->steps[t->n_steps - 1];
    *k2 = oriented(c, t->step_values[t->n_steps - 1]);
}

static int compare_pruned(const rank_ctx *c, size_t a, size_t b)
{
    double a1, a2, b1, b2;
    pruned_score(c, a, &a1, &a2);
    pruned_score(c, b, &b1, &b2);
    int r = compare_doubles(a1, b1);
    if (!r) r = compare_doubles(a2, b2);
    return r ? r : compare_doubles((double)a, (double)b);
}

typedef int (*rank_cmp)(const rank_ctx *, size_t, size_t);

static void merge_sort(size_t *idx, size_t *tmp, size_t n, rank_cmp cmp, const rank_ctx *c)
{
    if (n < 2) return;
    size_t half = n / 2;
    merge_sort(idx, tmp, half, cmp, c);
    merge_sort(idx + half, tmp, n - half, cmp, c);
    size_t i = 0, j = half, o = 0;
    while (i < half && j < n) tmp[o++] = cmp(c, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
    while (i < half) tmp[o++] = idx[i++];
    while (j < n) tmp[o++] = idx[j++];
    memcpy(idx, tmp, n * sizeof(*idx));
}

aia_status hpo_tpe_split(const hpo_trial *trials, size_t n_trials, size_t number,
                         aia_hpo_direction dir, const aia_hpo_tpe_options *opt,
                         unsigned char *side, aia_arena *arena, aia_error *err)
{
    const rank_ctx ctx = {trials, dir}, *c = &ctx;
    size_t *complete = aia_arena_alloc(arena, (n_trials + 1) * sizeof(size_t));
    size_t *pruned = aia_arena_alloc(arena, (n_trials + 1) * sizeof(size_t));
    size_t *tmp = aia_arena_alloc(arena, (n_trials + 1) * sizeof(size_t));
    if (!complete || !pruned || !tmp)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tpe: out of memory");
    size_t nc = 0, np = 0;
    for (size_t i = 0; i < n_trials; i++) {
        aia_hpo_trial_state s = c->trials[i].state;
        side[i] = HPO_SIDE_NONE;
        if (i == number) continue;
        if (s == AIA_HPO_TRIAL_COMPLETE) complete[nc++] = i;
        else if (s == AIA_HPO_TRIAL_PRUNED) pruned[np++] = i;
        else if (s == AIA_HPO_TRIAL_RUNNING && opt->constant_liar) side[i] = HPO_SIDE_ABOVE;
    }
    merge_sort(complete, tmp, nc, compare_complete, c);
    merge_sort(pruned, tmp, np, compare_pruned, c);
    size_t n_below = hpo_tpe_gamma(nc + np);
    for (size_t r = 0; r < nc; r++)
        side[complete[r]] = r < n_below ? HPO_SIDE_BELOW : HPO_SIDE_ABOVE;
    n_below = n_below > nc ? n_below - nc : 0;
    for (size_t r = 0; r < np; r++) side[pruned[r]] = r < n_below ? HPO_SIDE_BELOW : HPO_SIDE_ABOVE;
    return AIA_OK;
}

typedef struct group {
    const aia_hpo_param **params;
    size_t *index; /* the parameters' positions in the space */
    size_t n;
} group;

/* The observations of one side for a group, oldest trial first. */
static double *gather(const group *g, const hpo_trial *trials, size_t n_trials,
                      const unsigned char *side, unsigned char want, size_t *n_obs,
                      aia_arena *arena)
{
    size_t n = 0;
    for (size_t i = 0; i < n_trials; i++) n += side[i] == want;
    double *obs = aia_arena_alloc(arena, (n * g->n + 1) * sizeof(double));
    if (!obs) return NULL;
    size_t row = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (side[i] != want) continue;
        for (size_t j = 0; j < g->n; j++) {
            aia_hpo_value v = trials[i].params[g->index[j]];
            obs[row * g->n + j] = hpo_value_to_internal(g->params[j], v);
        }
        row++;
    }
    *n_obs = n;
    return obs;
}

static aia_status sample_group(const group *g, const aia_hpo_tpe_options *opt,
                               const hpo_trial *trials, size_t n_trials,
                               const unsigned char *side, aia_rng *rng, aia_arena *arena,
                               aia_hpo_value *out, aia_error *err)
{
    size_t n_below, n_above;
    double *below = gather(g, trials, n_trials, side, HPO_SIDE_BELOW, &n_below, arena);
    double *above = gather(g, trials, n_trials, side, HPO_SIDE_ABOVE, &n_above, arena);
    double *cand = aia_arena_alloc(arena, opt->n_ei_candidates * g->n * sizeof(double));
    if (!below || !above || !cand)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tpe: out of memory");
    hpo_parzen l, gx;
    aia_status st = hpo_parzen_build(&l, arena, g->params, g->n, below, n_below, opt, err);
    if (st == AIA_OK) st = hpo_parzen_build(&gx, arena, g->params, g->n, above, n_above, opt, err);
    if (st != AIA_OK) return st;

    size_t best = 0;
    double best_score = -INFINITY;
    for (size_t c = 0; c < opt->n_ei_candidates; c++) {
        double *x = cand + c * g->n;
        hpo_parzen_sample(&l, rng, x);
        double score = hpo_parzen_log_pdf(&l, x) - hpo_parzen_log_pdf(&gx, x);
        if (score > best_score) { /* first maximum wins, NaN never does */
            best_score = score;
            best = c;
        }
    }
    for (size_t j = 0; j < g->n; j++)
        out[g->index[j]] = hpo_value_from_internal(g->params[j], cand[best * g->n + j]);
    return AIA_OK;
}

aia_status hpo_tpe_sample(const aia_hpo_space *space, const aia_hpo_tpe_options *opt,
                          aia_hpo_direction dir, const hpo_trial *trials, size_t n_trials,
                          size_t number, aia_rng *rng, aia_arena *arena, aia_hpo_value *out,
                          aia_error *err)
{
    size_t n_params = aia_hpo_space_size(space);
    unsigned char *side = aia_arena_alloc(arena, n_trials + 1);
    const aia_hpo_param **params = aia_arena_alloc(arena, n_params * sizeof(*params));
    size_t *index = aia_arena_alloc(arena, n_params * sizeof(*index));
    if (!side || !params || !index)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tpe: out of memory");
    aia_status st = hpo_tpe_split(trials, n_trials, number, dir, opt, side, arena, err);
    if (st != AIA_OK) return st;
    for (size_t j = 0; j < n_params; j++) {
        params[j] = aia_hpo_space_param(space, j);
        index[j] = j;
    }
    if (opt->multivariate) {
        group all = {params, index, n_params};
        return sample_group(&all, opt, trials, n_trials, side, rng, arena, out, err);
    }
    for (size_t j = 0; j < n_params && st == AIA_OK; j++) {
        group one = {params + j, index + j, 1};
        st = sample_group(&one, opt, trials, n_trials, side, rng, arena, out, err);
    }
    return st;
}
