/* lib/ml/linear_lbfgs.h — unconstrained L-BFGS minimisation for the
 * linear models (internal to lib/ml).
 *
 * Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, 2nd
 * ed., algorithms 7.4 and 7.5) with a strong-Wolfe line search (algorithms
 * 3.5 and 3.6, cubic interpolation safeguarded by bisection). Its stopping
 * rules are those of SciPy's L-BFGS-B as scikit-learn calls it: the largest
 * gradient component at most gtol, or a relative decrease of f at most
 * ftol in one iteration, or max_iter iterations. The first step along a
 * fresh direction has length 1 / ||d|| (as L-BFGS-B does), later ones 1.
 *
 * Not thread-safe per call (it calls fn sequentially); different calls are
 * independent.
 */
#ifndef AIA_ML_LINEAR_LBFGS_H
#define AIA_ML_LINEAR_LBFGS_H

#include <stddef.h>

/* f(x), with its gradient written into grad (n values). Must be finite
 * for every x the minimiser tries; infinite values count as "too far". */
typedef double (*lbfgs_objective_fn)(void *arg, const double *x, double *grad);

/* Returning non-zero stops the minimisation after this iteration. */
typedef int (*lbfgs_progress_fn)(void *arg, int iter, double f, double grad_max);

typedef struct lbfgs_options {
    int history;     /* correction pairs kept; 10 in L-BFGS-B's default */
    double gtol;     /* stop when max |grad_i| <= gtol */
    double ftol;     /* stop when (f_old - f) <= ftol * max(|f_old|, |f|, 1) */
    int max_iter;    /* iterations (accepted steps) */
    int max_ls;      /* objective evaluations per line search */
} lbfgs_options;

typedef struct lbfgs_result {
    int n_iter;
    int converged;   /* gtol or ftol met */
    int stopped;     /* the progress callback asked to stop */
    double f;
    double grad_max;
} lbfgs_result;

/* Minimises from x (n values, overwritten with the best point found).
 * Returns 0, or -1 when out of memory (x untouched). A line search that
 * finds no acceptable step twice in a row (the second time along the
 * steepest-descent direction) ends the run with converged = 0. */
int lbfgs_minimize(lbfgs_objective_fn fn, void *arg, size_t n, double *x, const lbfgs_options *opt,
                   lbfgs_progress_fn progress, void *progress_arg, lbfgs_result *res);

#endif
