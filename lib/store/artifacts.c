/* lib/store/artifacts.c — content-addressed artifact files (artifacts.h). */
#include "lib/store/artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void aia_artifact_path(const char *data_dir, const char *hex, char *out, size_t size) {
    snprintf(out, size, "%s/artifacts/%.2s/%s", data_dir, hex, hex);
}

static int valid_hex(const char *hex) {
    if (hex == NULL || strlen(hex) != AIA_SHA256_HEX_LEN) return 0;
    for (int i = 0; i < AIA_SHA256_HEX_LEN; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) return 0;
    return 1;
}

static aia_status fsync_dir(const char *dir, aia_error *err);

/* Creates `path` in `parent` when missing; a new directory's entry is made
 * durable too (fsync of the parent), or a crash could lose the directory
 * along with the artifacts in it. */
static aia_status make_dir(const char *parent, const char *path, aia_error *err) {
    if (mkdir(path, 0755) == 0) return fsync_dir(parent, err);
    if (errno == EEXIST) return AIA_OK;
    return aia_error_set(err, errno == ENOSPC ? AIA_RESOURCE_EXHAUSTED : AIA_INTERNAL, "creating %s: %s", path,
                         strerror(errno));
}

static aia_status fsync_dir(const char *dir, aia_error *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return aia_error_set(err, AIA_INTERNAL, "opening %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) return aia_error_set(err, AIA_INTERNAL, "fsync %s: %s", dir, strerror(e));
    return AIA_OK;
}

static aia_status write_all_fd(int fd, const void *bytes, size_t len, const char *path, aia_error *err) {
    const char *p = bytes;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
            return aia_error_set(err, errno == ENOSPC ? AIA_RESOURCE_EXHAUSTED : AIA_INTERNAL, "writing %s: %s", path,
                                 strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0) return aia_error_set(err, AIA_INTERNAL, "fsync %s: %s", path, strerror(errno));
    return AIA_OK;
}

/* temp file in `dir`, written and fsync'd, renamed to `path`, dir fsync'd. */
static aia_status write_atomic(const char *dir, const char *path, const void *bytes, size_t len, aia_error *err) {
    size_t tlen = strlen(dir) + 32;
    char *tmp = malloc(tlen);
    if (tmp == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory writing %s", path);
    snprintf(tmp, tlen, "%s/.tmp-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        aia_status rc = aia_error_set(err, AIA_INTERNAL, "creating a temp file in %s: %s", dir, strerror(errno));
        free(tmp);
        return rc;
    }
    fchmod(fd, 0644);
    aia_status rc = write_all_fd(fd, bytes, len, tmp, err);
    if (close(fd) != 0 && rc == AIA_OK) rc = aia_error_set(err, AIA_INTERNAL, "closing %s: %s", tmp, strerror(errno));
    if (rc == AIA_OK && rename(tmp, path) != 0)
        rc = aia_error_set(err, AIA_INTERNAL, "renaming %s to %s: %s", tmp, path, strerror(errno));
    if (rc != AIA_OK) unlink(tmp);
    free(tmp);
    if (rc == AIA_OK) rc = fsync_dir(dir, err);
    return rc;
}

/* Creates <data_dir>/artifacts/<shard>; `dir` receives the shard's path. */
static aia_status make_shard(const char *data_dir, const char *hex, char *dir, size_t size, aia_error *err) {
    char *top = malloc(size);
    if (top == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory writing an artifact");
    snprintf(top, size, "%s/artifacts", data_dir);
    snprintf(dir, size, "%s/artifacts/%.2s", data_dir, hex);
    aia_status rc = make_dir(data_dir, top, err);
    if (rc == AIA_OK) rc = make_dir(top, dir, err);
    free(top);
    return rc;
}

aia_status aia_artifact_put(const char *data_dir, const void *bytes, size_t len, char hex[AIA_SHA256_HEX_LEN + 1],
                            aia_error *err) {
    hex[0] = '\0';
    if (data_dir == NULL || (bytes == NULL && len > 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "artifact_put needs a data_dir and bytes");
    char h[AIA_SHA256_HEX_LEN + 1];
    aia_sha256_hex(bytes ? bytes : "", len, h);
    size_t plen = strlen(data_dir) + 100;
    char *path = malloc(plen), *dir = malloc(plen);
    if (path == NULL || dir == NULL) {
        free(path);
        free(dir);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory writing an artifact");
    }
    aia_artifact_path(data_dir, h, path, plen);
    aia_status rc = make_shard(data_dir, h, dir, plen, err);
    /* Same bytes, same name: an existing file that verifies is kept; a
     * corrupt one is replaced by the good bytes. */
    char have[AIA_SHA256_HEX_LEN + 1];
    aia_error ignored;
    int present = rc == AIA_OK && aia_sha256_file(path, have, &ignored) == AIA_OK && strcmp(have, h) == 0;
    if (rc == AIA_OK && !present) rc = write_atomic(dir, path, bytes ? bytes : "", len, err);
    free(path);
    free(dir);
    if (rc == AIA_OK) memcpy(hex, h, sizeof h);
    return rc;
}

static aia_status read_file(const char *path, const char *hex, void **bytes, size_t *len, aia_error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return aia_error_set(err, errno == ENOENT ? AIA_NOT_FOUND : AIA_INTERNAL, "artifact %s: %s", hex,
                             strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return aia_error_set(err, AIA_INTERNAL, "artifact %s: %s", hex, strerror(errno));
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size ? size : 1);
    if (buf == NULL) {
        close(fd);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "artifact %s: out of memory for %zu bytes", hex, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    *bytes = buf;
    *len = got;
    return AIA_OK;
}

aia_status aia_artifact_get(const char *data_dir, const char *hex, void **bytes, size_t *len, aia_error *err) {
    *bytes = NULL;
    *len = 0;
    if (data_dir == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "artifact_get: data_dir is NULL");
    if (!valid_hex(hex))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "artifact name \"%.80s\" is not 64 lowercase hex digits",
                             hex ? hex : "(null)");
    size_t plen = strlen(data_dir) + 100;
    char *path = malloc(plen);
    if (path == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading an artifact");
    aia_artifact_path(data_dir, hex, path, plen);
    void *buf = NULL;
    size_t n = 0;
    aia_status rc = read_file(path, hex, &buf, &n, err);
    if (rc == AIA_OK) {
        char have[AIA_SHA256_HEX_LEN + 1];
        aia_sha256_hex(buf, n, have);
        if (strcmp(have, hex) != 0) {
            rc = aia_error_set(err, AIA_DATA_LOSS, "artifact %s is corrupt: its %zu bytes hash to %s", path, n, have);
            free(buf);
            buf = NULL;
            n = 0;
        }
    }
    free(path);
    *bytes = buf;
    *len = n;
    return rc;
}
