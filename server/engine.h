/* server/engine.h — the engine aia-server serves from: the store (models,
 * jobs, endpoints), the training workers and the serving layer, opened
 * from the configuration in dependency order and closed in reverse.
 *
 * Lifecycle: open before aia_server_start() (it binds the services that
 * need it), close after aia_server_shutdown() returned (no call in flight).
 * Not thread-safe; main() owns it.
 */
#ifndef AIA_SERVER_ENGINE_H
#define AIA_SERVER_ENGINE_H

#include "lib/base/status.h"
#include "server/config.h"

typedef struct aia_engine aia_engine;

/* Errors name the part that failed, e.g. "opening the model store in ./var:
 * ...". A failure leaves nothing open. */
aia_status aia_engine_open(const aia_config *cfg, aia_engine **out, aia_error *err);

/* Unbinds the services, stops training (running jobs go back to the
 * queue), closes serving and the store. NULL is a no-op. */
void aia_engine_close(aia_engine *e);

#endif
