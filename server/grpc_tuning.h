/* server/grpc_tuning.h — process-wide settings of the C core and the
 * libraries under it: gRPC's log lines go through lib/base/log, and what
 * gRPC's own builds get by default but Debian's do not. Call once, before
 * grpc_init(). Thread-unsafe by nature (start-up only). */
#ifndef AIA_SERVER_GRPC_TUNING_H
#define AIA_SERVER_GRPC_TUNING_H

/* Returns a short description of what was changed, for the start-up log. */
const char *aia_grpc_tuning_apply(void);

#endif
