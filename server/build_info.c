/* server/build_info.c — see build_info.h. AIA_ALLOCATOR and
 * AIA_SANITIZERS come from server/BUILD, which knows whether this is the
 * --config=asan build (libc malloc, sanitizers) or the normal one. */
#include "server/build_info.h"

#include <grpc/grpc.h>
#include <pthread.h>
#include <protobuf-c/protobuf-c.h>

#include "server/build_stamp.h"

#ifndef AIA_ALLOCATOR
#define AIA_ALLOCATOR "libc"
#endif
#ifndef AIA_SANITIZERS
#define AIA_SANITIZERS ""
#endif

static aia_build_info g_info;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void fill(void)
{
    g_info = (aia_build_info){
        .version = AIA_VERSION,
        .git_commit = AIA_GIT_COMMIT,
        .compiler = "gcc " __VERSION__,
        .grpc_version = grpc_version_string(),
        .protobuf_c_version = protobuf_c_version(),
        .allocator = AIA_ALLOCATOR,
        .sanitizers = AIA_SANITIZERS,
    };
}

const aia_build_info *aia_build_info_get(void)
{
    pthread_once(&g_once, fill);
    return &g_info;
}
