/* lib/base/team.h — a fork-join team of threads for data-parallel loops
 * (histogram building, gradient passes): the caller splits one job into
 * n parts, each part runs on its own thread, and the call returns when all
 * are done.
 *
 * The workers are started once and wait on a condition variable between
 * jobs, so a job costs a wake-up, not a thread creation: training issues
 * thousands of short jobs. The calling thread runs part 0 itself.
 *
 * Ownership: create/destroy. Thread-safety: one job at a time per team;
 * aia_team_run() must not be called concurrently on the same team, nor from
 * inside one of its own parts.
 */
#ifndef AIA_BASE_TEAM_H
#define AIA_BASE_TEAM_H

#include "lib/base/status.h"

typedef struct aia_team aia_team;

/* fn(arg, part, n_parts) for part in [0, n_parts). */
typedef void (*aia_team_fn)(void *arg, int part, int n_parts);

/* A team of `threads` (>= 1; 1 runs everything on the caller, with no
 * worker thread). */
aia_status aia_team_create(int threads, aia_team **out, aia_error *err);

/* The team's size, the n_parts every job is split into. */
int aia_team_size(const aia_team *t);

/* Runs fn over all parts and waits for them. */
void aia_team_run(aia_team *t, aia_team_fn fn, void *arg);

/* Stops and joins the workers. NULL is fine. */
void aia_team_destroy(aia_team *t);

/* CPUs this process may run on (its affinity mask), at least 1. */
int aia_cpu_count(void);

#endif
