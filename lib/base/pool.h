/* lib/base/pool.h — a fixed-size worker pool for long work.
 *
 * Completion-queue threads must never block on long work (training, a big
 * drift window, LLM generation); they hand it here. Jobs run in submission
 * order on `threads` workers. Lifecycle: create, submit..., destroy (which
 * runs every job already submitted, then joins). Thread-safe.
 */
#ifndef AIA_BASE_POOL_H
#define AIA_BASE_POOL_H

#include <stddef.h>

#include "lib/base/status.h"

typedef struct aia_pool aia_pool;
typedef void (*aia_pool_fn)(void *arg);

/* Starts `threads` workers (>= 1). */
aia_status aia_pool_create(size_t threads, aia_pool **out, aia_error *err);

/* Queues fn(arg). Returns AIA_UNAVAILABLE once destroy has begun, or
 * AIA_RESOURCE_EXHAUSTED when out of memory; fn is then not called. */
aia_status aia_pool_submit(aia_pool *pool, aia_pool_fn fn, void *arg);

/* Jobs queued but not yet started. */
size_t aia_pool_pending(aia_pool *pool);

/* Stops accepting jobs, runs those queued, joins the workers, frees. */
void aia_pool_destroy(aia_pool *pool);

#endif
