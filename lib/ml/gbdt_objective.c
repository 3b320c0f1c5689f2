/* lib/ml/gbdt_objective.c — see gbdt_objective.h. */
#include "lib/ml/gbdt_objective.h"

#include <math.h>

/* Probabilities are kept away from 0 and 1 so log loss stays finite, as
 * scikit-learn clips with the float64 epsilon. */
#define PROB_EPS 2.220446049250313e-16

static double sigmoid(double x)
{
    return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

void gbdt_init_score(aia_gbdt_objective obj, int k_out, const double *y, size_t n, double *init)
{
    if (obj == AIA_GBDT_REGRESSION) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += y[i];
        init[0] = s / (double)n;
        return;
    }
    if (obj == AIA_GBDT_BINARY) {
        double pos = 0;
        for (size_t i = 0; i < n; i++) pos += y[i];
        double p = fmin(fmax(pos / (double)n, PROB_EPS), 1 - PROB_EPS);
        init[0] = log(p / (1 - p));
        return;
    }
    for (int k = 0; k < k_out; k++) init[k] = 0;
    for (size_t i = 0; i < n; i++) init[(int)y[i]] += 1;
    for (int k = 0; k < k_out; k++) init[k] = log(fmax(init[k] / (double)n, PROB_EPS));
}

/* Softmax of row i's k_out scores (stride n) into p. */
static void softmax_row(const double *score, size_t n, size_t i, int k_out, double *p)
{
    double mx = -INFINITY, sum = 0;
    for (int k = 0; k < k_out; k++) mx = fmax(mx, score[(size_t)k * n + i]);
    for (int k = 0; k < k_out; k++) sum += p[k] = exp(score[(size_t)k * n + i] - mx);
    for (int k = 0; k < k_out; k++) p[k] /= sum;
}

void gbdt_gradients(aia_gbdt_objective obj, int k_out, const double *y, const double *score, size_t n, size_t begin,
                    size_t end, double *g, double *h)
{
    if (obj == AIA_GBDT_REGRESSION) {
        for (size_t i = begin; i < end; i++) {
            g[i] = score[i] - y[i];
            h[i] = 1;
        }
        return;
    }
    if (obj == AIA_GBDT_BINARY) {
        for (size_t i = begin; i < end; i++) {
            double p = sigmoid(score[i]);
            g[i] = p - y[i];
            h[i] = fmax(p * (1 - p), PROB_EPS);
        }
        return;
    }
    double p[256];
    for (size_t i = begin; i < end; i++) {
        softmax_row(score, n, i, k_out, p);
        for (int k = 0; k < k_out; k++) {
            size_t at = (size_t)k * n + i;
            g[at] = p[k] - ((int)y[i] == k);
            /* LightGBM's factor K / (K - 1) makes the K one-vs-rest Newton
             * steps add up to the softmax's. */
            h[at] = fmax((double)k_out / (k_out - 1) * p[k] * (1 - p[k]), PROB_EPS);
        }
    }
}

double gbdt_loss(aia_gbdt_objective obj, int k_out, const double *y, const double *score, size_t n)
{
    double total = 0;
    if (obj == AIA_GBDT_REGRESSION) {
        for (size_t i = 0; i < n; i++) total += (score[i] - y[i]) * (score[i] - y[i]);
    } else if (obj == AIA_GBDT_BINARY) {
        for (size_t i = 0; i < n; i++) {
            double p = fmin(fmax(sigmoid(score[i]), PROB_EPS), 1 - PROB_EPS);
            total -= y[i] > 0.5 ? log(p) : log(1 - p);
        }
    } else {
        double p[256];
        for (size_t i = 0; i < n; i++) {
            softmax_row(score, n, i, k_out, p);
            total -= log(fmax(p[(int)y[i]], PROB_EPS));
        }
    }
    return total / (double)n;
}

void gbdt_transform(aia_gbdt_objective obj, int k_out, const double *raw, double *out)
{
    if (obj == AIA_GBDT_REGRESSION) {
        out[0] = raw[0];
    } else if (obj == AIA_GBDT_BINARY) {
        out[0] = sigmoid(raw[0]);
    } else {
        softmax_row(raw, 1, 0, k_out, out);
    }
}
