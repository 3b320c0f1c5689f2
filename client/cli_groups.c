/* client/cli_groups.c — the command groups compiled into `aia`, in the
 * order `aia --help` lists them. Add a group here and in cli_groups.h. */
#include "client/cli_groups.h"

static const aia_cli_group *const k_groups[] = {
    &aia_cli_models_group,
    &aia_cli_jobs_group,
    &aia_cli_endpoints_group,
    &aia_cli_drift_group,
    &aia_cli_llm_group,
};

const aia_cli_group *const *aia_cli_groups(size_t *n)
{
    *n = sizeof k_groups / sizeof k_groups[0];
    return k_groups;
}
