/* lib/ml/gbdt_objective.h — the GBDT's losses: start scores, gradients and
 * hessians, the loss reported per round, and raw score → prediction.
 * Scores and gradients are stored per output: s[k * n + i]. Not a public
 * API (lib/ml internal). */
#ifndef AIA_ML_GBDT_OBJECTIVE_H
#define AIA_ML_GBDT_OBJECTIVE_H

#include <stddef.h>

#include "lib/ml/gbdt.h"

/* The constant score every row starts from: the mean target, the log-odds
 * of the positive rate, or the log class priors. */
void gbdt_init_score(aia_gbdt_objective obj, int k_out, const double *y, size_t n, double *init);

/* g and h (k_out * n each) at the current scores, for rows [begin, end)
 * only: threads each take a range. */
void gbdt_gradients(aia_gbdt_objective obj, int k_out, const double *y, const double *score, size_t n, size_t begin,
                    size_t end, double *g, double *h);

/* Mean loss: squared error for regression, log loss otherwise. */
double gbdt_loss(aia_gbdt_objective obj, int k_out, const double *y, const double *score, size_t n);

/* Raw scores of one row (stride apart) → predictions (k_out values). */
void gbdt_transform(aia_gbdt_objective obj, int k_out, const double *raw, double *out);

#endif
