/* client/cli_groups.h — the command groups and what their commands share:
 * `aia models` (cmd_models.c, cmd_predict.c), `aia jobs` (cmd_jobs.c),
 * `aia endpoints` (cmd_endpoints.c), `aia drift` (cmd_drift*.c), `aia llm` (cmd_llm.c). The list
 * the parser searches is in cli_groups.c. Static data and stateless functions: thread-safe.
 */
#ifndef AIA_CLIENT_CLI_GROUPS_H
#define AIA_CLIENT_CLI_GROUPS_H

#include <stdio.h>

#include "aia/v1/model.pb-c.h"
#include "client/cli_args.h"
#include "client/cli_sub.h"

extern const aia_cli_group aia_cli_models_group;
extern const aia_cli_group aia_cli_jobs_group;
extern const aia_cli_group aia_cli_endpoints_group;
extern const aia_cli_group aia_cli_drift_group;
extern const aia_cli_group aia_cli_llm_group;

/* `aia models predict` (cmd_predict.c), listed in the models group. */
int aia_cli_cmd_predict(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf);
extern const aia_cli_option aia_cli_predict_options[];
extern const char aia_cli_predict_help[];

/* The short view of a job: id, model@version, state (and the error). */
void aia_cli_view_job_summary(FILE *out, const ProtobufCMessage *job);

/* Follows job `job_id` with WatchTrainingJob until it ends, printing each
 * event as it arrives (a line of text, or a JSON document with --json);
 * no deadline unless --timeout or AIA_TIMEOUT was given. Returns 0 when the
 * job SUCCEEDED (after printing its test metrics), 1 when it FAILED or was
 * CANCELLED (printing "aia: job ID FAILED: reason" to errf) or the watch
 * itself failed ("aia: STATUS: message"). */
int aia_cli_watch_job(const aia_cli_args *a, const char *job_id, FILE *out, FILE *errf);

#endif
