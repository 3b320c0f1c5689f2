/* server/grpc_tuning.c — see grpc_tuning.h.
 *
 * gRPC's own log lines (e.g. the bind error behind "address already in
 * use") are routed through lib/base/log, so that with --log-format json
 * every line on stderr is still one JSON object, at our levels.
 *
 * Debian's abseil 20220623 is built without NDEBUG, which leaves
 * absl::Mutex's deadlock detector on: every lock the gRPC C core takes walks
 * a lock graph (absl::synchronization_internal::GraphCycles::GetId and
 * friends), about 6% of a trivial unary call's CPU under perf. gRPC's own
 * releases build abseil with NDEBUG, where the detector is off; we switch it
 * off to match, with absl::SetMutexDeadlockDetectionMode(kIgnore).
 *
 * That function is C++; its Itanium-mangled name (with Debian's inline
 * namespace "debian3") is declared here with an asm label. Its one
 * parameter, the enum class absl::OnDeadlockCycle (int-sized, kIgnore = 0),
 * is passed exactly as a C int is. The declaration is weak, so an abseil
 * built differently just keeps its default instead of failing to link.
 */
#include "server/grpc_tuning.h"

#include <grpc/support/log.h>
#include <stddef.h>

#include "lib/base/log.h"

extern void aia_absl_set_mutex_deadlock_detection_mode(int mode)
    __asm__("_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE") __attribute__((weak));

#define ABSL_ON_DEADLOCK_CYCLE_IGNORE 0

static void log_from_grpc(gpr_log_func_args *args)
{
    aia_log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? AIA_LOG_ERROR
                          : args->severity == GPR_LOG_SEVERITY_INFO ? AIA_LOG_INFO
                                                                    : AIA_LOG_DEBUG;
    aia_log_field fields[] = {
        AIA_LOG_STR("msg", args->message),
        AIA_LOG_STR("file", args->file),
        AIA_LOG_INT("line", args->line),
    };
    aia_log_event(level, "grpc", fields, sizeof fields / sizeof fields[0]);
}

const char *aia_grpc_tuning_apply(void)
{
    gpr_set_log_function(log_from_grpc);
    if (aia_absl_set_mutex_deadlock_detection_mode == NULL) return "abseil deadlock detection left as built";
    aia_absl_set_mutex_deadlock_detection_mode(ABSL_ON_DEADLOCK_CYCLE_IGNORE);
    return "abseil mutex deadlock detection off";
}
