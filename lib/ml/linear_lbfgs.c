/* lib/ml/linear_lbfgs.c — see linear_lbfgs.h.
 *
 * Layout: the state of one run lives in a struct (current point, gradient,
 * trial point, direction and the circular history of (s, y) pairs) so that
 * the line search and the two-loop recursion are separate short functions.
 */
#include "lib/ml/linear_lbfgs.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Wolfe constants of L-BFGS-B's line search (dcsrch: ftol 1e-3, gtol 0.9). */
#define WOLFE_C1 1e-3
#define WOLFE_C2 0.9

typedef struct lbfgs_state {
    size_t n;
    lbfgs_objective_fn fn;
    void *arg;
    double *x, *g;     /* current point and gradient */
    double *xt, *gt;   /* trial point and its gradient */
    double *d;         /* search direction */
    double *s, *y;     /* history: history x n each, circular */
    double *rho, *alpha;
    int history, count, head; /* capacity, pairs held, slot of the oldest */
    int evals_left;
} lbfgs_state;

static double dot(const double *a, const double *b, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/* max |a_i|, NaN when any a_i is NaN (so a broken gradient is seen). */
static double max_abs(const double *a, size_t n)
{
    double top = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i])) return a[i];
        if (fabs(a[i]) > top) top = fabs(a[i]);
    }
    return top;
}

/* d = -H g by the two-loop recursion, H0 = (s'y / y'y) I from the newest pair. */
static void two_loop(lbfgs_state *st)
{
    size_t n = st->n;
    for (size_t i = 0; i < n; i++) st->d[i] = -st->g[i];
    if (st->count == 0) return;
    for (int c = st->count - 1; c >= 0; c--) {
        int slot = (st->head + c) % st->history;
        double *s = st->s + (size_t)slot * n, *y = st->y + (size_t)slot * n;
        st->alpha[slot] = st->rho[slot] * dot(s, st->d, n);
        for (size_t i = 0; i < n; i++) st->d[i] -= st->alpha[slot] * y[i];
    }
    int newest = (st->head + st->count - 1) % st->history;
    double *sn = st->s + (size_t)newest * n, *yn = st->y + (size_t)newest * n;
    double gamma = dot(sn, yn, n) / dot(yn, yn, n);
    for (size_t i = 0; i < n; i++) st->d[i] *= gamma;
    for (int c = 0; c < st->count; c++) {
        int slot = (st->head + c) % st->history;
        double *s = st->s + (size_t)slot * n, *y = st->y + (size_t)slot * n;
        double beta = st->rho[slot] * dot(y, st->d, n);
        for (size_t i = 0; i < n; i++) st->d[i] += (st->alpha[slot] - beta) * s[i];
    }
}

/* Stores s = xt - x, y = gt - g unless the curvature s'y is not safely
 * positive (the update would break positive definiteness). */
static void push_pair(lbfgs_state *st)
{
    size_t n = st->n;
    int slot = st->count < st->history ? (st->head + st->count) % st->history : st->head;
    double *s = st->s + (size_t)slot * n, *y = st->y + (size_t)slot * n;
    for (size_t i = 0; i < n; i++) {
        s[i] = st->xt[i] - st->x[i];
        y[i] = st->gt[i] - st->g[i];
    }
    double sy = dot(s, y, n), yy = dot(y, y, n);
    if (!(sy > DBL_EPSILON * yy)) {
        if (st->count == st->history) { /* the oldest pair was overwritten: drop it */
            st->head = (st->head + 1) % st->history;
            st->count--;
        }
        return;
    }
    st->rho[slot] = 1.0 / sy;
    if (st->count < st->history)
        st->count++;
    else
        st->head = (st->head + 1) % st->history;
}

/* f and its directional derivative at x + step * d, into xt/gt. */
static double try_step(lbfgs_state *st, double step, double *dphi)
{
    for (size_t i = 0; i < st->n; i++) st->xt[i] = st->x[i] + step * st->d[i];
    double f = st->fn(st->arg, st->xt, st->gt);
    st->evals_left--;
    *dphi = dot(st->gt, st->d, st->n);
    return isfinite(f) ? f : HUGE_VAL;
}

/* The minimiser of the cubic through (a, fa, da) and (b, fb, db), kept
 * inside the middle 80% of [a, b]; bisection when the cubic has none. */
static double interpolate(double a, double fa, double da, double b, double fb, double db)
{
    double mid = 0.5 * (a + b);
    double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    if (!(disc >= 0.0)) return mid;
    double d2 = (b > a ? 1.0 : -1.0) * sqrt(disc);
    double t = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
    double lo = fmin(a, b), hi = fmax(a, b), margin = 0.1 * (hi - lo);
    if (!isfinite(t) || t < lo + margin || t > hi - margin) return mid;
    return t;
}

typedef struct ls_point {
    double step, f, dphi;
} ls_point;

/* Algorithm 3.6: narrows [lo, hi] (lo satisfying sufficient decrease) to a
 * strong-Wolfe step. Returns 1 with xt/gt at the accepted step, else 0. */
static int zoom(lbfgs_state *st, double f0, double dphi0, ls_point lo, ls_point hi, double *f_out)
{
    while (st->evals_left > 0) {
        if (fabs(hi.step - lo.step) <= DBL_EPSILON * fmax(lo.step, hi.step)) break;
        double step = interpolate(lo.step, lo.f, lo.dphi, hi.step, hi.f, hi.dphi);
        double dphi, f = try_step(st, step, &dphi);
        if (f > f0 + WOLFE_C1 * step * dphi0 || f >= lo.f) {
            hi = (ls_point){step, f, dphi};
            continue;
        }
        if (fabs(dphi) <= -WOLFE_C2 * dphi0) {
            *f_out = f;
            return 1;
        }
        if (dphi * (hi.step - lo.step) >= 0.0) hi = lo;
        lo = (ls_point){step, f, dphi};
    }
    /* Out of evaluations or interval: lo still lowers f, so take it. */
    if (lo.step <= 0.0) return 0;
    double dphi;
    *f_out = try_step(st, lo.step, &dphi);
    return *f_out < f0;
}

/* Algorithm 3.5: a step along d meeting the strong Wolfe conditions,
 * starting from `step`. Returns 1 with xt/gt/f_out at it, else 0. */
static int line_search(lbfgs_state *st, double f0, double dphi0, double step, int max_ls, double *f_out)
{
    st->evals_left = max_ls;
    ls_point prev = {0.0, f0, dphi0};
    for (int i = 0; st->evals_left > 0; i++) {
        double dphi, f = try_step(st, step, &dphi);
        ls_point cur = {step, f, dphi};
        if (f > f0 + WOLFE_C1 * step * dphi0 || (i > 0 && f >= prev.f))
            return zoom(st, f0, dphi0, prev, cur, f_out);
        if (fabs(dphi) <= -WOLFE_C2 * dphi0) {
            *f_out = f;
            return 1;
        }
        if (dphi >= 0.0) return zoom(st, f0, dphi0, cur, prev, f_out);
        prev = cur;
        step *= 4.0;
    }
    return 0;
}

static int state_alloc(lbfgs_state *st, size_t n, int history)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    st->history = history;
    st->g = malloc(n * sizeof(double));
    st->xt = malloc(n * sizeof(double));
    st->gt = malloc(n * sizeof(double));
    st->d = malloc(n * sizeof(double));
    st->s = malloc((size_t)history * n * sizeof(double));
    st->y = malloc((size_t)history * n * sizeof(double));
    st->rho = malloc((size_t)history * sizeof(double));
    st->alpha = malloc((size_t)history * sizeof(double));
    return st->g && st->xt && st->gt && st->d && st->s && st->y && st->rho && st->alpha ? 0 : -1;
}

static void state_free(lbfgs_state *st)
{
    free(st->g);
    free(st->xt);
    free(st->gt);
    free(st->d);
    free(st->s);
    free(st->y);
    free(st->rho);
    free(st->alpha);
}

int lbfgs_minimize(lbfgs_objective_fn fn, void *arg, size_t n, double *x, const lbfgs_options *opt,
                   lbfgs_progress_fn progress, void *progress_arg, lbfgs_result *res)
{
    lbfgs_state st;
    int history = opt->history > 0 ? opt->history : 10;
    if (state_alloc(&st, n, history) != 0) {
        state_free(&st);
        return -1;
    }
    st.fn = fn;
    st.arg = arg;
    st.x = x;
    memset(res, 0, sizeof *res);
    double f = fn(arg, x, st.g);
    double gmax = max_abs(st.g, n);
    int iter = 0, converged = gmax <= opt->gtol, stopped = 0;
    while (!converged && !stopped && iter < opt->max_iter) {
        two_loop(&st);
        double dphi0 = dot(st.g, st.d, n);
        if (!(dphi0 < 0.0)) { /* not a descent direction: forget the history */
            st.count = 0;
            two_loop(&st);
            dphi0 = dot(st.g, st.d, n);
        }
        double step = st.count == 0 ? fmin(1.0 / sqrt(dot(st.d, st.d, n)), 1.0) : 1.0;
        double f_new;
        if (!line_search(&st, f, dphi0, step, opt->max_ls, &f_new)) {
            if (st.count == 0) break; /* even steepest descent cannot go down */
            st.count = 0;             /* retry from the gradient, as L-BFGS-B does */
            continue;
        }
        push_pair(&st);
        memcpy(st.x, st.xt, n * sizeof(double));
        memcpy(st.g, st.gt, n * sizeof(double));
        double f_old = f;
        f = f_new;
        gmax = max_abs(st.g, n);
        iter++;
        if (progress && progress(progress_arg, iter, f, gmax)) stopped = 1;
        if (gmax <= opt->gtol || f_old - f <= opt->ftol * fmax(fmax(fabs(f_old), fabs(f)), 1.0)) converged = 1;
    }
    res->n_iter = iter;
    res->converged = converged && !stopped;
    res->stopped = stopped;
    res->f = f;
    res->grad_max = gmax;
    state_free(&st);
    return 0;
}
