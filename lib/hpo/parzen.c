/* lib/hpo/parzen.c — see parzen.h.
 *
 * Kernel widths follow Optuna's rule: sort the observations, add the range's
 * ends, and give each kernel the larger of the gaps to its two neighbours;
 * without consider_endpoints the outermost kernels use their inner gap, so
 * a lone point near an edge is not smeared over the whole range. Widths are
 * clipped to [range / min(100, 1 + kernels), range] ("magic clip") so that
 * kernels neither collapse onto a point nor get wider than the range. The
 * prior kernel sits at the centre with the whole range as its width.
 *
 * Truncated normals are sampled by rejection from the plain normal: a
 * kernel's centre always lies inside its range and its width never exceeds
 * the range, so at least a third of the normal's mass falls inside and the
 * loop ends quickly; a bounded number of tries and a clamp keep it finite
 * regardless.
 */
#include "lib/hpo/parzen.h"

#include <math.h>
#include <string.h>

#include "lib/hpo/trial.h"

#define LOG_SQRT_2PI 0.91893853320467274178
#define MAX_REJECTIONS 1000

/* log P(Z > x) for x >= 0. erfc underflows near x = 37; from 35 on, the
 * asymptotic series of Mills' ratio (error below 1e-12 there) takes over. */
static double log_upper_tail(double x)
{
    if (x < 35.0) return log(0.5 * erfc(x / M_SQRT2));
    double r = 1.0 / (x * x);
    double series = 1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r)));
    return -0.5 * x * x - log(x) - LOG_SQRT_2PI + log(series);
}

double hpo_log_gauss_mass(double a, double b)
{
    if (!(a < b)) return -INFINITY;
    if (a >= 0) {
        /* Both in the upper tail: Q(a) - Q(b), computed from logs. */
        double la = log_upper_tail(a);
        double lb = isinf(b) ? -INFINITY : log_upper_tail(b);
        return la + log1p(-exp(lb - la));
    }
    if (b <= 0) return hpo_log_gauss_mass(-b, -a);
    /* Straddles 0: one minus both tails, each at most a half. */
    double ql = isinf(a) ? 0.0 : 0.5 * erfc(-a / M_SQRT2);
    double qr = isinf(b) ? 0.0 : 0.5 * erfc(b / M_SQRT2);
    return log1p(-(ql + qr));
}

void hpo_parzen_default_weights(size_t n, double *out)
{
    if (n < 25) {
        for (size_t i = 0; i < n; i++) out[i] = 1.0;
        return;
    }
    size_t ramp = n - 25;
    double start = 1.0 / (double)n;
    for (size_t i = 0; i < ramp; i++)
        out[i] = ramp == 1 ? start : start + (1.0 - start) * (double)i / (double)(ramp - 1);
    for (size_t i = ramp; i < n; i++) out[i] = 1.0;
}

static double to_kernel_space(const hpo_parzen_dim *d, double x)
{
    return d->param->log ? log(x) : x;
}

/* Stable merge sort of kernel indices by centre: equal centres keep
 * observation order, so their widths do not depend on the sort. No qsort,
 * whose comparator would need the keys in a global shared across studies. */
static void sort_by_centre(size_t *idx, size_t *tmp, size_t n, const double *key)
{
    if (n < 2) return;
    size_t half = n / 2;
    sort_by_centre(idx, tmp, half, key);
    sort_by_centre(idx + half, tmp, n - half, key);
    size_t i = 0, j = half, o = 0;
    while (i < half && j < n) tmp[o++] = key[idx[j]] < key[idx[i]] ? idx[j++] : idx[i++];
    while (i < half) tmp[o++] = idx[i++];
    while (j < n) tmp[o++] = idx[j++];
    memcpy(idx, tmp, n * sizeof(*idx));
}

static void compute_sigmas(hpo_parzen_dim *d, size_t n_obs, size_t *order, size_t *tmp,
                           const aia_hpo_tpe_options *opt)
{
    for (size_t i = 0; i < n_obs; i++) order[i] = i;
    sort_by_centre(order, tmp, n_obs, d->mu);
    for (size_t r = 0; r < n_obs; r++) {
        double left = r == 0 ? d->low : d->mu[order[r - 1]];
        double right = r + 1 == n_obs ? d->high : d->mu[order[r + 1]];
        double here = d->mu[order[r]];
        d->sigma[order[r]] = fmax(here - left, right - here);
    }
    if (!opt->consider_endpoints && n_obs >= 2) {
        d->sigma[order[0]] = d->mu[order[1]] - d->mu[order[0]];
        d->sigma[order[n_obs - 1]] = d->mu[order[n_obs - 1]] - d->mu[order[n_obs - 2]];
    }
    double range = d->high - d->low;
    double min_sigma = 1e-12;
    if (opt->consider_magic_clip) min_sigma = range / fmin(100.0, 1.0 + (double)(n_obs + 1));
    for (size_t i = 0; i < n_obs; i++) d->sigma[i] = fmin(fmax(d->sigma[i], min_sigma), range);
    d->mu[n_obs] = 0.5 * (d->low + d->high); /* the prior kernel */
    d->sigma[n_obs] = range;
}

static aia_status build_numerical(hpo_parzen_dim *d, aia_arena *arena, const double *obs,
                                  size_t stride, size_t n_obs, const aia_hpo_tpe_options *opt,
                                  aia_error *err)
{
    const aia_hpo_param *p = d->param;
    size_t nk = n_obs + 1;
    if (p->type == AIA_HPO_INT) {
        d->step = (double)p->int_step;
        d->low = (double)p->int_low - d->step / 2;
        d->high = (double)p->int_high + d->step / 2;
    } else {
        d->step = 0;
        d->low = p->float_low;
        d->high = p->float_high;
    }
    if (p->log) {
        d->low = log(d->low);
        d->high = log(d->high);
    }
    d->mu = aia_arena_alloc(arena, nk * sizeof(double));
    d->sigma = aia_arena_alloc(arena, nk * sizeof(double));
    d->log_mass = aia_arena_alloc(arena, nk * sizeof(double));
    size_t *order = aia_arena_alloc(arena, nk * sizeof(size_t));
    size_t *tmp = aia_arena_alloc(arena, nk * sizeof(size_t));
    if (!d->mu || !d->sigma || !d->log_mass || !order || !tmp)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tpe: out of memory");
    for (size_t i = 0; i < n_obs; i++) d->mu[i] = to_kernel_space(d, obs[i * stride]);
    compute_sigmas(d, n_obs, order, tmp, opt);
    for (size_t k = 0; k < nk; k++)
        d->log_mass[k] = hpo_log_gauss_mass((d->low - d->mu[k]) / d->sigma[k],
                                            (d->high - d->mu[k]) / d->sigma[k]);
    return AIA_OK;
}

/* Each observation's kernel puts 1 on its choice plus prior_weight /
 * kernels spread evenly; the prior kernel is uniform. */
static aia_status build_categorical(hpo_parzen_dim *d, aia_arena *arena, const double *obs,
                                    size_t stride, size_t n_obs, const aia_hpo_tpe_options *opt,
                                    aia_error *err)
{
    size_t nc = d->param->n_choices, nk = n_obs + 1;
    d->log_p = aia_arena_alloc(arena, nk * nc * sizeof(double));
    if (!d->log_p) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tpe: out of memory");
    double fill = n_obs == 0 ? 1.0 : opt->prior_weight / (double)nk;
    for (size_t k = 0; k < nk; k++) {
        double *row = d->log_p + k * nc;
        for (size_t c = 0; c < nc; c++) row[c] = fill;
        if (k < n_obs) row[(size_t)obs[k * stride]] += 1.0;
        double sum = 0;
        for (size_t c = 0; c < nc; c++) sum += row[c];
        for (size_t c = 0; c < nc; c++) row[c] = sum > 0 ? log(row[c] / sum) : -INFINITY;
    }
    return AIA_OK;
}

aia_status hpo_parzen_build(hpo_parzen *pe, aia_arena *arena, const aia_hpo_param *const *params,
                            size_t n_dims, const double *obs, size_t n_obs,
                            const aia_hpo_tpe_options *opt, aia_error *err)
{
    size_t nk = n_obs + 1;
    pe->n_kernels = nk;
    pe->n_dims = n_dims;
    pe->weights = aia_arena_alloc(arena, nk * sizeof(double));
    pe->log_weights = aia_arena_alloc(arena, nk * sizeof(double));
    pe->dims = aia_arena_calloc(arena, n_dims, sizeof(hpo_parzen_dim));
    pe->scratch = aia_arena_alloc(arena, nk * sizeof(double));
    if (!pe->weights || !pe->log_weights || !pe->dims || !pe->scratch)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tpe: out of memory");

    hpo_parzen_default_weights(n_obs, pe->weights);
    pe->weights[n_obs] = n_obs == 0 ? 1.0 : opt->prior_weight;
    double total = 0;
    for (size_t k = 0; k < nk; k++) total += pe->weights[k];
    for (size_t k = 0; k < nk; k++) {
        pe->weights[k] /= total;
        pe->log_weights[k] = pe->weights[k] > 0 ? log(pe->weights[k]) : -INFINITY;
    }

    for (size_t j = 0; j < n_dims; j++) {
        hpo_parzen_dim *d = &pe->dims[j];
        d->param = params[j];
        aia_status st = d->param->type == AIA_HPO_CATEGORICAL
                            ? build_categorical(d, arena, obs + j, n_dims, n_obs, opt, err)
                            : build_numerical(d, arena, obs + j, n_dims, n_obs, opt, err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}

static size_t pick_kernel(const hpo_parzen *pe, aia_rng *rng)
{
    double u = aia_rng_uniform(rng), acc = 0;
    for (size_t k = 0; k + 1 < pe->n_kernels; k++) {
        acc += pe->weights[k];
        if (u < acc) return k;
    }
    return pe->n_kernels - 1;
}

static double sample_truncated(const hpo_parzen_dim *d, size_t k, aia_rng *rng)
{
    double mu = d->mu[k], sigma = d->sigma[k];
    for (int i = 0; i < MAX_REJECTIONS; i++) {
        double t = mu + sigma * aia_rng_normal(rng);
        if (t >= d->low && t <= d->high) return t;
    }
    return fmin(fmax(mu, d->low), d->high);
}

/* From kernel space back onto the parameter: undo the log, snap integers to
 * their grid, and clip what rounding may have pushed past the bounds. */
static double to_parameter(const hpo_parzen_dim *d, double t)
{
    const aia_hpo_param *p = d->param;
    double x = p->log ? exp(t) : t;
    if (p->type == AIA_HPO_INT) {
        double low = (double)p->int_low;
        x = low + floor((x - low) / d->step + 0.5) * d->step;
        return fmin(fmax(x, low), (double)p->int_high);
    }
    return fmin(fmax(x, p->float_low), p->float_high);
}

static double sample_choice(const hpo_parzen_dim *d, size_t k, aia_rng *rng)
{
    size_t nc = d->param->n_choices;
    const double *row = d->log_p + k * nc;
    double u = aia_rng_uniform(rng), acc = 0;
    for (size_t c = 0; c + 1 < nc; c++) {
        acc += exp(row[c]);
        if (u < acc) return (double)c;
    }
    return (double)(nc - 1);
}

void hpo_parzen_sample(const hpo_parzen *pe, aia_rng *rng, double *out)
{
    size_t k = pick_kernel(pe, rng);
    for (size_t j = 0; j < pe->n_dims; j++) {
        const hpo_parzen_dim *d = &pe->dims[j];
        if (d->param->type == AIA_HPO_CATEGORICAL)
            out[j] = sample_choice(d, k, rng);
        else
            out[j] = to_parameter(d, sample_truncated(d, k, rng));
    }
}

static double kernel_log_pdf(const hpo_parzen_dim *d, size_t k, double x)
{
    if (d->param->type == AIA_HPO_CATEGORICAL)
        return d->log_p[k * d->param->n_choices + (size_t)x];
    double mu = d->mu[k], sigma = d->sigma[k];
    if (d->step == 0) {
        double z = (to_kernel_space(d, x) - mu) / sigma;
        return -0.5 * z * z - log(sigma) - LOG_SQRT_2PI - d->log_mass[k];
    }
    /* Discrete: the kernel's mass over x's bin, relative to its mass in range. */
    double lo = to_kernel_space(d, x - d->step / 2), hi = to_kernel_space(d, x + d->step / 2);
    return hpo_log_gauss_mass((lo - mu) / sigma, (hi - mu) / sigma) - d->log_mass[k];
}

double hpo_parzen_log_pdf(const hpo_parzen *pe, const double *x)
{
    /* log-sum-exp over kernels, two passes so no term overflows. */
    double best = -INFINITY;
    double *terms = pe->scratch;
    for (size_t k = 0; k < pe->n_kernels; k++) {
        double t = pe->log_weights[k];
        for (size_t j = 0; j < pe->n_dims && t > -INFINITY; j++)
            t += kernel_log_pdf(&pe->dims[j], k, x[j]);
        terms[k] = t;
        if (t > best) best = t;
    }
    double sum = 0;
    if (best > -INFINITY)
        for (size_t k = 0; k < pe->n_kernels; k++) sum += exp(terms[k] - best);
    return best > -INFINITY ? best + log(sum) : -INFINITY;
}
