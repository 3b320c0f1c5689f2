/* server/services/pending.c — services whose capability has not landed.
 *
 * Their methods are in the table (registered, reflected, their requests
 * decoded and validated) but have no handler, so they answer UNIMPLEMENTED
 * with the sentence below. Each moves to a file of its own when its issue
 * lands. */
#include "aia/v1/coordinator.pb-c.h"
#include "server/services/services.h"

const aia_service_impl aia_coordinator_service = {
    .descriptor = &aia__v1__coordinator_service__descriptor,
    .missing = "the multi-agent coordinator (lib/coord, CoordinatorService) has not landed; it builds on "
               "ModelService (issue #5)",
};
