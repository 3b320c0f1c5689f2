/* client/cmd_drift.h — the parts of `aia drift` (cmd_drift.c) that live in
 * files of their own: building the SetupDriftMonitoring request from the
 * options of `drift setup` (cmd_drift_setup.c) and `drift truth`
 * (cmd_drift_truth.c), which reads a ground-truth CSV.
 *
 * Values are checked before any call, so a bad one exits 2 with a message
 * naming the option. Everything a request holds comes from the caller's
 * arena or borrows from argv, and lives until the arena is destroyed.
 * Stateless; thread-safe given separate arenas.
 */
#ifndef AIA_CLIENT_CMD_DRIFT_H
#define AIA_CLIENT_CMD_DRIFT_H

#include <stdio.h>

#include "aia/v1/drift.pb-c.h"
#include "client/cli_args.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"

#define AIA_CLI_DRIFT_SERVICE (&aia__v1__drift_service__descriptor)

/* `drift setup`'s options into `req` (model id from the first argument).
 * Returns 0, or -1 with a usage message naming the option in err. */
int aia_cli_drift_build_setup(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                              aia_error *err);

/* A finite number between lo and hi, the whole string; `open` excludes
 * both bounds; an infinite bound means none. Returns 0, or -1 with
 * "invalid WHAT "S": expected ..." in err. */
int aia_cli_drift_parse_double(const char *what, const char *s, double lo, double hi, int open, double *out,
                               aia_error *err);

/* `aia drift truth`: runs the whole command. */
int aia_cli_drift_truth(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf);

#endif
