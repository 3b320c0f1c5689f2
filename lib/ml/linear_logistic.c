/* lib/ml/linear_logistic.c — L2-regularised logistic regression (binary and
 * multinomial) trained with L-BFGS, to scikit-learn's objective and
 * stopping rules (see linear.h).
 *
 * The parameter vector is K' rows of p coefficients followed by K'
 * intercepts (K' = 1 for two classes, K otherwise). One objective
 * evaluation makes two passes over each block of rows: the logits (column
 * by column, so each feature is read in order), then the gradient sums,
 * the data's columns dotted with the weighted residuals p_ik - [y_i = k].
 * Blocks are shared among the team's threads and their sums added in block
 * order, so the result does not depend on the thread count. The loss is computed in a form that cannot overflow:
 * log(1 + e^z) = max(z, 0) + log1p(e^-|z|), and log-sum-exp shifted by the
 * row's largest logit.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lib/base/team.h"
#include "lib/ml/linear.h"
#include "lib/ml/linear_internal.h"
#include "lib/ml/linear_lbfgs.h"

#define WHO "logistic regression"

/* Rows are processed in fixed blocks whose partial sums are added in block
 * order, whoever computed them: the model is the same for any thread
 * count. A block's logits (k x 4096 doubles) stay in cache between the
 * passes. */
#define ROW_BLOCK 4096

typedef struct logit_problem {
    const aia_matrix *x;
    const int *cls;        /* class index of each row */
    const double *weight;  /* NULL: all 1 */
    size_t n, p;
    int k;                 /* outputs: 1 (binary) or n_classes */
    size_t n_params;       /* k * (p + 1) */
    double inv_sum_w;      /* 1 / sum of weights: the loss is a weighted mean */
    double l2;             /* 1 / (C * sum of weights) */
    double *z;             /* k x n logits, then weighted residuals */
    size_t n_blocks;
    double *partial;       /* per block: n_params gradient sums, then the loss sum */
    const double *theta;   /* the point being evaluated */
    aia_team *team;        /* NULL: one thread */
    aia_linear_progress_fn progress;
    void *progress_arg;
} logit_problem;

static double softplus(double z)
{
    return fmax(z, 0.0) + log1p(exp(-fabs(z)));
}

/* Logits of rows [lo, hi), column by column so each feature is read in order. */
static void logits(const logit_problem *pb, size_t lo, size_t hi)
{
    const double *intercept = pb->theta + (size_t)pb->k * pb->p;
    for (int k = 0; k < pb->k; k++)
        for (size_t i = lo; i < hi; i++) pb->z[(size_t)k * pb->n + i] = intercept[k];
    for (size_t j = 0; j < pb->p; j++) {
        const double *c = pb->x->col[j];
        for (int k = 0; k < pb->k; k++) {
            double w = pb->theta[(size_t)k * pb->p + j];
            double *zk = pb->z + (size_t)k * pb->n;
            for (size_t i = lo; i < hi; i++) zk[i] += w * c[i];
        }
    }
}

/* Weighted log loss summed over rows [lo, hi); their logits become the
 * weighted residuals p - y. */
static double binary_loss(const logit_problem *pb, size_t lo, size_t hi)
{
    double sum = 0.0;
    for (size_t i = lo; i < hi; i++) {
        double z = pb->z[i], y = pb->cls[i] ? 1.0 : 0.0;
        double w = pb->weight ? pb->weight[i] : 1.0;
        sum += w * (softplus(z) - y * z);
        double prob = z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
        pb->z[i] = w * (prob - y);
    }
    return sum;
}

static double multinomial_loss(const logit_problem *pb, size_t lo, size_t hi)
{
    double sum = 0.0;
    size_t n = pb->n;
    for (size_t i = lo; i < hi; i++) {
        double top = pb->z[i];
        for (int k = 1; k < pb->k; k++) top = fmax(top, pb->z[(size_t)k * n + i]);
        double total = 0.0;
        for (int k = 0; k < pb->k; k++) total += exp(pb->z[(size_t)k * n + i] - top);
        double lse = top + log(total);
        double w = pb->weight ? pb->weight[i] : 1.0;
        sum += w * (lse - pb->z[(size_t)pb->cls[i] * n + i]);
        for (int k = 0; k < pb->k; k++) {
            double prob = exp(pb->z[(size_t)k * n + i] - lse);
            pb->z[(size_t)k * n + i] = w * (prob - (pb->cls[i] == k ? 1.0 : 0.0));
        }
    }
    return sum;
}

/* One block: its loss and its unscaled, unpenalised gradient sums. */
static void block_pass(const logit_problem *pb, size_t b)
{
    size_t lo = b * ROW_BLOCK, hi = lo + ROW_BLOCK < pb->n ? lo + ROW_BLOCK : pb->n;
    double *out = pb->partial + b * (pb->n_params + 1);
    logits(pb, lo, hi);
    out[pb->n_params] = pb->k == 1 ? binary_loss(pb, lo, hi) : multinomial_loss(pb, lo, hi);
    size_t n_coef = (size_t)pb->k * pb->p;
    for (int k = 0; k < pb->k; k++) {
        const double *r = pb->z + (size_t)k * pb->n;
        for (size_t j = 0; j < pb->p; j++) {
            const double *c = pb->x->col[j];
            double sum = 0.0;
            for (size_t i = lo; i < hi; i++) sum += c[i] * r[i];
            out[(size_t)k * pb->p + j] = sum;
        }
        double sum = 0.0;
        for (size_t i = lo; i < hi; i++) sum += r[i];
        out[n_coef + (size_t)k] = sum;
    }
}

/* A team part takes blocks part, part + n_parts, ... */
static void run_part(void *arg, int part, int n_parts)
{
    const logit_problem *pb = arg;
    for (size_t b = (size_t)part; b < pb->n_blocks; b += (size_t)n_parts) block_pass(pb, b);
}

/* The scaled objective: mean weighted log loss + l2 / 2 * ||W||^2. */
static double objective(void *arg, const double *theta, double *grad)
{
    logit_problem *pb = arg;
    pb->theta = theta;
    if (pb->team)
        aia_team_run(pb->team, run_part, pb);
    else
        run_part(pb, 0, 1);
    double loss = 0.0;
    for (size_t c = 0; c < pb->n_params; c++) grad[c] = 0.0;
    for (size_t b = 0; b < pb->n_blocks; b++) {
        const double *part = pb->partial + b * (pb->n_params + 1);
        for (size_t c = 0; c < pb->n_params; c++) grad[c] += part[c];
        loss += part[pb->n_params];
    }
    size_t n_coef = (size_t)pb->k * pb->p;
    double norm2 = 0.0;
    for (size_t c = 0; c < pb->n_params; c++) {
        grad[c] *= pb->inv_sum_w;
        if (c < n_coef) {
            grad[c] += pb->l2 * theta[c];
            norm2 += theta[c] * theta[c];
        }
    }
    return loss * pb->inv_sum_w + 0.5 * pb->l2 * norm2;
}

static int forward_progress(void *arg, int iter, double f, double grad_max)
{
    const logit_problem *pb = arg;
    return pb->progress ? pb->progress(pb->progress_arg, iter, f, grad_max) : 0;
}

static aia_status check_params(const aia_logistic_params *p, aia_error *err)
{
    if (!p) return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": params is NULL");
    if (p->n_classes < 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": n_classes is %d; a classifier needs at least 2",
                             p->n_classes);
    if (!(p->C > 0.0) || !isfinite(p->C))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": C is %g; it must be > 0 and finite", p->C);
    if (!(p->tol >= 0.0) || !isfinite(p->tol))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": tol is %g; it must be >= 0 and finite", p->tol);
    if (p->max_iter < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": max_iter is %d; it must be >= 1", p->max_iter);
    if (p->threads < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": threads is %d; it must be >= 0", p->threads);
    return AIA_OK;
}

/* Class indices from the labels, and every class must have a row with a
 * positive weight (an absent class would send its intercept to -infinity,
 * since intercepts are not penalised). */
static aia_status read_classes(const aia_linear_data *data, int n_classes, int *cls, aia_error *err)
{
    size_t *count = calloc((size_t)n_classes, sizeof *count);
    if (!count) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, WHO ": out of memory");
    aia_status s = AIA_OK;
    for (size_t i = 0; i < data->x.n_rows && s == AIA_OK; i++) {
        double y = data->y[i];
        if (!(y >= 0.0 && y < (double)n_classes) || y != floor(y)) {
            s = aia_error_set(err, AIA_INVALID_ARGUMENT,
                              WHO ": label of row %zu is %g; labels must be class indices 0..%d", i, y,
                              n_classes - 1);
            break;
        }
        cls[i] = (int)y;
        if (!data->weight || data->weight[i] > 0.0) count[cls[i]]++;
    }
    int present = 0, missing = -1, only = -1;
    for (int k = 0; k < n_classes && s == AIA_OK; k++) {
        if (count[k]) {
            present++;
            only = k;
        } else if (missing < 0) {
            missing = k;
        }
    }
    if (s == AIA_OK && present == 1)
        s = aia_error_set(err, AIA_INVALID_ARGUMENT,
                          WHO ": only one class (class %d) in the training labels; a classifier needs at "
                          "least two", only);
    else if (s == AIA_OK && missing >= 0)
        s = aia_error_set(err, AIA_INVALID_ARGUMENT,
                          WHO ": class %d has no training row (with a positive weight); n_classes is %d",
                          missing, n_classes);
    free(count);
    return s;
}

/* Coefficients into the model; multinomial intercepts centred (the softmax
 * is unchanged by a common shift, and a fixed convention makes models
 * comparable). */
static void store_solution(aia_linear_model *m, const double *theta)
{
    size_t n_coef = (size_t)m->n_outputs * m->n_features;
    for (size_t c = 0; c < n_coef; c++) m->coef[c] = theta[c];
    double mean = 0.0;
    for (int k = 0; k < m->n_outputs; k++) mean += theta[n_coef + (size_t)k];
    mean = m->n_outputs > 1 ? mean / m->n_outputs : 0.0;
    for (int k = 0; k < m->n_outputs; k++) m->intercept[k] = theta[n_coef + (size_t)k] - mean;
}

/* Scratch of one training run: class indices, logits, block partial sums,
 * the parameter vector and the thread team. */
typedef struct logit_scratch {
    int *cls;
    double *z, *partial, *theta;
    aia_team *team;
} logit_scratch;

static void scratch_free(logit_scratch *sc)
{
    free(sc->cls);
    free(sc->z);
    free(sc->partial);
    free(sc->theta);
    aia_team_destroy(sc->team);
}

static aia_status scratch_alloc(logit_scratch *sc, const logit_problem *pb, int threads, aia_error *err)
{
    sc->cls = malloc(pb->n * sizeof *sc->cls);
    sc->z = malloc((size_t)pb->k * pb->n * sizeof *sc->z);
    sc->partial = malloc(pb->n_blocks * (pb->n_params + 1) * sizeof *sc->partial);
    sc->theta = calloc(pb->n_params, sizeof *sc->theta);
    if (!sc->cls || !sc->z || !sc->partial || !sc->theta)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, WHO ": out of memory for %zu rows x %zu features",
                             pb->n, pb->p);
    if (threads <= 0) threads = aia_cpu_count();
    if ((size_t)threads > pb->n_blocks) threads = (int)pb->n_blocks;
    if (threads > 1) return aia_team_create(threads, &sc->team, err);
    return AIA_OK;
}

aia_status aia_logistic_train(const aia_logistic_params *params, const aia_linear_data *data,
                              aia_linear_progress_fn progress, void *progress_arg, aia_linear_model **out,
                              aia_error *err)
{
    aia_status s = check_params(params, err);
    if (s == AIA_OK) s = linear_check_data(data, WHO, err);
    if (s == AIA_OK && !out) s = aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": out is NULL");
    if (s != AIA_OK) return s;

    size_t n = data->x.n_rows, p = data->x.n_cols;
    double sum_w = linear_weight_sum(data);
    int k = params->n_classes > 2 ? params->n_classes : 1;
    logit_problem pb = {
        .x = &data->x, .weight = data->weight, .n = n, .p = p, .k = k, .n_params = (size_t)k * (p + 1),
        .inv_sum_w = 1.0 / sum_w, .l2 = 1.0 / (params->C * sum_w), .n_blocks = (n + ROW_BLOCK - 1) / ROW_BLOCK,
        .progress = progress, .progress_arg = progress_arg,
    };
    logit_scratch sc = {0};
    aia_linear_model *m = NULL;
    s = scratch_alloc(&sc, &pb, params->threads, err);
    if (s == AIA_OK) s = read_classes(data, params->n_classes, sc.cls, err);
    if (s == AIA_OK && !(m = linear_model_alloc(AIA_LINEAR_LOGISTIC, params->n_classes, p)))
        s = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, WHO ": out of memory");
    if (s != AIA_OK) goto done;

    pb.cls = sc.cls;
    pb.z = sc.z;
    pb.partial = sc.partial;
    pb.team = sc.team;
    lbfgs_options opt = {.history = 10, .gtol = params->tol, .ftol = 64.0 * DBL_EPSILON,
                         .max_iter = params->max_iter, .max_ls = 50};
    lbfgs_result res;
    if (lbfgs_minimize(objective, &pb, pb.n_params, sc.theta, &opt, forward_progress, &pb, &res) != 0) {
        s = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, WHO ": out of memory for the L-BFGS history");
        goto done;
    }
    store_solution(m, sc.theta);
    /* A non-finite objective or gradient at the end means the data's scale
     * overflowed (the start point alone can do it): say so rather than
     * return the start point as a model. */
    s = isfinite(res.f) && isfinite(res.grad_max) ? linear_check_solution(m, data, WHO, err)
                                                  : linear_scale_error(data, WHO, err);
    if (s != AIA_OK) goto done;
    m->info = (aia_linear_fit_info){.converged = res.converged, .stopped = res.stopped, .n_iter = res.n_iter,
                                    .loss = res.f, .grad_max = res.grad_max, .rank = p};
    *out = m;
    m = NULL;
done:
    aia_linear_free(m);
    scratch_free(&sc);
    return s;
}
