/* client/services.c — see services.h. Add a service here when its .proto
 * joins //proto:aia_v1_c. */
#include "client/services.h"

#include <stdio.h>
#include <string.h>

#include "aia/v1/coordinator.pb-c.h"
#include "aia/v1/drift.pb-c.h"
#include "aia/v1/llm.pb-c.h"
#include "aia/v1/model.pb-c.h"
#include "aia/v1/system.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "lib/base/strbuf.h"

static const ProtobufCServiceDescriptor *const k_services[] = {
    &aia__v1__model_service__descriptor,
    &aia__v1__drift_service__descriptor,
    &aia__v1__coordinator_service__descriptor,
    &aia__v1__llmservice__descriptor,
    &aia__v1__system_service__descriptor,
    &grpc__health__v1__health__descriptor,
};

const ProtobufCServiceDescriptor *const *aia_cli_services(size_t *n)
{
    *n = sizeof k_services / sizeof k_services[0];
    return k_services;
}

aia_status aia_cli_find_method(const char *name, const ProtobufCServiceDescriptor **service,
                               const ProtobufCMethodDescriptor **method, char *path, size_t path_size,
                               aia_error *err)
{
    *service = NULL;
    *method = NULL;
    const char *full = name && name[0] == '/' ? name + 1 : name;
    if (!full || !*full)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "no method name (want package.Service/Method, e.g. aia.v1.SystemService/GetHealth)");
    /* Service and method split at the slash, or else at the last dot. */
    const char *sep = strchr(full, '/');
    if (!sep) sep = strrchr(full, '.');
    if (!sep || sep == full || !sep[1] || strchr(sep + 1, '/') || strchr(sep + 1, '.'))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "bad method name \"%s\" (want package.Service/Method, e.g. aia.v1.SystemService/GetHealth)",
                             name);
    size_t svc_len = (size_t)(sep - full);
    const char *meth = sep + 1;

    size_t n;
    const ProtobufCServiceDescriptor *const *all = aia_cli_services(&n);
    const ProtobufCServiceDescriptor *svc = NULL;
    for (size_t i = 0; i < n; i++)
        if (strlen(all[i]->name) == svc_len && memcmp(all[i]->name, full, svc_len) == 0) svc = all[i];
    if (!svc) {
        aia_strbuf sb = AIA_STRBUF_INIT;
        for (size_t i = 0; i < n; i++) aia_strbuf_printf(&sb, "%s%s", i ? ", " : "", all[i]->name);
        aia_error_set(err, AIA_NOT_FOUND, "unknown method \"%s\": no service %.*s; known services: %s", name,
                      (int)svc_len, full, aia_strbuf_cstr(&sb));
        aia_strbuf_free(&sb);
        return AIA_NOT_FOUND;
    }
    const ProtobufCMethodDescriptor *m = NULL;
    for (unsigned i = 0; i < svc->n_methods; i++)
        if (strcmp(svc->methods[i].name, meth) == 0) m = &svc->methods[i];
    if (!m) {
        aia_strbuf sb = AIA_STRBUF_INIT;
        for (unsigned i = 0; i < svc->n_methods; i++)
            aia_strbuf_printf(&sb, "%s%s", i ? ", " : "", svc->methods[i].name);
        aia_error_set(err, AIA_NOT_FOUND, "unknown method \"%s\": %s has %s", name, svc->name, aia_strbuf_cstr(&sb));
        aia_strbuf_free(&sb);
        return AIA_NOT_FOUND;
    }
    *service = svc;
    *method = m;
    if (path && path_size) snprintf(path, path_size, "/%s/%s", svc->name, m->name);
    return AIA_OK;
}
