/* lib/serve/serve_split.h — traffic split arithmetic (internal). */
#ifndef AIA_SERVE_SPLIT_H
#define AIA_SERVE_SPLIT_H

#include <stddef.h>

#include "lib/base/status.h"

/* Deployments one endpoint may hold; more is RESOURCE_EXHAUSTED. */
#define SERVE_MAX_DEPLOYMENTS 64

/* Shares `total` among n (<= SERVE_MAX_DEPLOYMENTS) in proportion to
 * weights (negative counts as 0; all zero: equal shares), summing exactly
 * to total. */
void serve_largest_remainder(const int *weights, size_t n, int total, int *out);

/* Checks a split (ids[k] gets percents[k]) against an endpoint's
 * deployments `names`: every name exactly once, each 0..100, summing to
 * 100. out[i] receives the percent of names[i]. INVALID_ARGUMENT naming the
 * endpoint and the entry or the sum. */
aia_status serve_split_check(const char *endpoint_id, const char *const *names, size_t n_names,
                             const char *const *ids, const int *percents, size_t n, int *out, aia_error *err);

#endif
