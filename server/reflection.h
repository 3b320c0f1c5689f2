/* server/reflection.h — gRPC server reflection, v1 and v1alpha. */
#ifndef AIA_SERVER_REFLECTION_H
#define AIA_SERVER_REFLECTION_H

#include "server/method.h"

extern const aia_service_impl aia_reflection_v1_service;
extern const aia_service_impl aia_reflection_v1alpha_service;

#endif
