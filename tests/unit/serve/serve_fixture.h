/* tests/unit/serve/serve_fixture.h — a temp data dir with a store and a
 * serve, and real model versions: tiny models trained with lib/ml, saved
 * as artifacts, published through the job queue. Test-only; failures end
 * the test through cmocka. */
#ifndef AIA_TESTS_UNIT_SERVE_FIXTURE_H
#define AIA_TESTS_UNIT_SERVE_FIXTURE_H

#include "lib/ml/model.h"
#include "lib/serve/serve.h"
#include "lib/store/artifacts.h"
#include "lib/store/store.h"

typedef struct fx {
    char *dir;
    aia_store *store;
    aia_serve *serve;
} fx;

/* Opens a store and a serve in a fresh temp dir; opt may be NULL
 * (defaults; its store and data_dir are filled in). */
void fx_open(fx *f, const aia_serve_options *opt);
/* Closes both and removes the dir. */
void fx_close(fx *f);

/* A classifier over x (numeric), color (categorical) and flag (boolean)
 * predicting "hi"/"lo"; `seed` varies the data so versions differ. */
aia_model *fx_train(unsigned seed);
/* Saves m as an artifact and publishes it as the next version of
 * model_id (features and class labels recorded); returns the version and
 * the artifact's hash into sha (may be NULL). */
int fx_publish_model(fx *f, const char *model_id, const aia_model *m, char sha[AIA_SHA256_HEX_LEN + 1]);
/* fx_train + fx_publish_model. */
int fx_publish(fx *f, const char *model_id, unsigned seed);

#define FX_OK(expr)                                                                                  \
    do {                                                                                             \
        aia_status fx_rc_ = (expr);                                                                  \
        if (fx_rc_ != AIA_OK) fail_msg("%s -> %s: %s", #expr, aia_status_name(fx_rc_), err.message); \
    } while (0)
#define FX_FAILS(expr, code)                                                                          \
    do {                                                                                              \
        aia_status fx_rc_ = (expr);                                                                   \
        if (fx_rc_ != (code))                                                                         \
            fail_msg("%s -> %s (%s), wanted %s", #expr, aia_status_name(fx_rc_), err.message,         \
                     aia_status_name(code));                                                          \
    } while (0)
/* err.message contains `needle`. */
#define FX_SAYS(needle)                                                                              \
    do {                                                                                             \
        if (!strstr(err.message, (needle))) fail_msg("message '%s' lacks '%s'", err.message, (needle)); \
    } while (0)

#endif
