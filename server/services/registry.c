/* server/services/registry.c — the list of hosted services. */
#include "server/health.h"
#include "server/reflection.h"
#include "server/services/inference.h"
#include "server/services/services.h"

static const aia_service_impl *const k_services[] = {
    &aia_model_service,
    &aia_inference_service,
    &aia_drift_service,
    &aia_coordinator_service,
    &aia_llm_service,
    &aia_system_service,
    &aia_health_service,
    &aia_reflection_v1_service,
    &aia_reflection_v1alpha_service,
};

const aia_service_impl *const *aia_all_services(size_t *n)
{
    *n = sizeof k_services / sizeof k_services[0];
    return k_services;
}
