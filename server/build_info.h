/* server/build_info.h — what this binary is: version, commit, toolchain and
 * libraries. Values are fixed at build time (the commit is stamped by
 * bazel/workspace_status.sh); thread-safe. */
#ifndef AIA_SERVER_BUILD_INFO_H
#define AIA_SERVER_BUILD_INFO_H

#define AIA_VERSION "0.1.0"

typedef struct aia_build_info {
    const char *version;
    const char *git_commit;
    const char *compiler;
    const char *grpc_version;
    const char *protobuf_c_version;
    const char *allocator;
    const char *sanitizers;
} aia_build_info;

const aia_build_info *aia_build_info_get(void);

#endif
