/* lib/serve/serve_split.c — traffic split arithmetic and validation.
 *
 * Percents are integers that must sum to exactly 100, so proportional
 * changes (a deployment added with p %, one removed) use the largest
 * remainder method: each share gets the floor of its exact value, and the
 * points left go to the largest fractional parts (the earlier deployment
 * on ties), which keeps the sum exact and every share within one point of
 * its exact value. */
#include <stdlib.h>
#include <string.h>

#include "lib/serve/serve_split.h"

void serve_largest_remainder(const int *weights, size_t n, int total, int *out)
{
    long long w_sum = 0;
    for (size_t i = 0; i < n; i++) w_sum += weights[i] > 0 ? weights[i] : 0;
    long long rem[SERVE_MAX_DEPLOYMENTS];
    int given = 0;
    for (size_t i = 0; i < n; i++) {
        long long w = w_sum ? (weights[i] > 0 ? weights[i] : 0) : 1; /* no weights: equal shares */
        long long div = w_sum ? w_sum : (long long)n;
        out[i] = (int)((long long)total * w / div);
        rem[i] = (long long)total * w % div;
        given += out[i];
    }
    for (int left = total - given; left > 0 && n > 0; left--) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (rem[i] > rem[best]) best = i;
        out[best]++;
        rem[best] = -1;
    }
}

aia_status serve_split_check(const char *endpoint_id, const char *const *names, size_t n_names,
                             const char *const *ids, const int *percents, size_t n, int *out, aia_error *err)
{
    if (n > 0 && (!ids || !percents))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s': split has %zu entries but no ids or percents",
                             endpoint_id, n);
    unsigned char seen[SERVE_MAX_DEPLOYMENTS] = {0};
    long sum = 0;
    for (size_t k = 0; k < n; k++) {
        const char *id = ids[k] ? ids[k] : "";
        size_t i = 0;
        while (i < n_names && strcmp(names[i], id) != 0) i++;
        if (i == n_names)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s' has no deployment '%s' (split entry %zu)",
                                 endpoint_id, id, k);
        if (seen[i])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s': the split names deployment '%s' twice",
                                 endpoint_id, id);
        if (percents[k] < 0 || percents[k] > 100)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "endpoint '%s': percent %d for deployment '%s' is outside 0..100", endpoint_id,
                                 percents[k], id);
        seen[i] = 1;
        out[i] = percents[k];
        sum += percents[k];
    }
    for (size_t i = 0; i < n_names; i++)
        if (!seen[i])
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "endpoint '%s': the split does not name deployment '%s' (every deployment needs a "
                                 "percent, 0 to send it nothing)",
                                 endpoint_id, names[i]);
    if (n_names > 0 && sum != 100)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s': the split's percents sum to %ld, not 100",
                             endpoint_id, sum);
    return AIA_OK;
}
