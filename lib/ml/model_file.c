/* lib/ml/model_file.c — the model file's framing (header, checksum) and
 * its atomic write. See model_file.h. */
#include "lib/ml/model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ml/model_file_internal.h"

static const uint8_t k_magic[8] = {'A', 'I', 'A', 'M', 'O', 'D', 'L', 0};

/* Payloads above this are refused on load: no real model is that big, and
 * a corrupt length must not make the loader allocate without bound. */
#define MAX_PAYLOAD ((uint64_t)4 << 30)

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

aia_status aia_model_to_bytes(const aia_model *m, const aia_model_meta *meta, size_t n_meta, uint8_t **out,
                              size_t *len, aia_error *err)
{
    *out = NULL;
    *len = 0;
    aia_arena a;
    aia_arena_init(&a, 0);
    Aia__Engine__V1__ModelFile msg;
    aia_status st = model_encode(m, meta, n_meta, &a, &msg, err);
    size_t payload = st == AIA_OK ? aia__engine__v1__model_file__get_packed_size(&msg) : 0;
    uint8_t *buf = st == AIA_OK ? malloc(AIA_MODEL_HEADER_SIZE + payload) : NULL;
    if (st == AIA_OK && !buf) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a %zu-byte model", payload);
    if (st == AIA_OK) {
        aia__engine__v1__model_file__pack(&msg, buf + AIA_MODEL_HEADER_SIZE);
        memcpy(buf, k_magic, sizeof k_magic);
        put_u32(buf + 8, AIA_MODEL_FORMAT_VERSION);
        put_u32(buf + 12, 0);
        put_u64(buf + 16, payload);
        if (sha256(buf + AIA_MODEL_HEADER_SIZE, payload, buf + 24) != 0)
            st = aia_error_set(err, AIA_INTERNAL, "SHA-256 of the model failed (OpenSSL)");
    }
    aia_arena_destroy(&a);
    if (st != AIA_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *len = AIA_MODEL_HEADER_SIZE + payload;
    return AIA_OK;
}

/* The header's promises: magic, version, length, checksum. */
static aia_status check_header(const uint8_t *data, size_t len, aia_error *err)
{
    if (len < AIA_MODEL_HEADER_SIZE || memcmp(data, k_magic, sizeof k_magic) != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "not an AIA model file (no AIAMODL header)");
    uint32_t version = get_u32(data + 8);
    if (version > AIA_MODEL_FORMAT_VERSION)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "model file format %u is newer than this build reads (%d): upgrade AIA to load it", version,
                             AIA_MODEL_FORMAT_VERSION);
    if (version == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file format 0 does not exist");
    uint64_t payload = get_u64(data + 16);
    if (payload > MAX_PAYLOAD || payload != len - AIA_MODEL_HEADER_SIZE)
        return aia_error_set(err, AIA_DATA_LOSS, "model file is %zu bytes but its header promises %llu: truncated or padded",
                             len, (unsigned long long)(payload + AIA_MODEL_HEADER_SIZE));
    uint8_t sum[32];
    if (sha256(data + AIA_MODEL_HEADER_SIZE, (size_t)payload, sum) != 0)
        return aia_error_set(err, AIA_INTERNAL, "SHA-256 of the model failed (OpenSSL)");
    if (memcmp(sum, data + 24, 32) != 0) return aia_error_set(err, AIA_DATA_LOSS, "model file is corrupt: its SHA-256 does not match");
    return AIA_OK;
}

aia_status aia_model_from_bytes(const uint8_t *data, size_t len, aia_model **out, aia_error *err)
{
    *out = NULL;
    if (check_header(data, len, err) != AIA_OK) return err->code;
    Aia__Engine__V1__ModelFile *msg =
        aia__engine__v1__model_file__unpack(NULL, len - AIA_MODEL_HEADER_SIZE, data + AIA_MODEL_HEADER_SIZE);
    if (!msg) return aia_error_set(err, AIA_DATA_LOSS, "model file payload is not a valid ModelFile message");
    aia_status st = model_decode(msg, out, err);
    aia__engine__v1__model_file__free_unpacked(msg, NULL);
    return st;
}

static aia_status write_all(int fd, const uint8_t *p, size_t n, const char *path, aia_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return aia_error_set(err, AIA_UNAVAILABLE, "%s: write failed: %s", path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return AIA_OK;
}

/* fsync of the directory holding `path`, so the rename itself is durable. */
static void sync_parent(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

aia_status aia_model_save(const aia_model *m, const aia_model_meta *meta, size_t n_meta, const char *path,
                          aia_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (aia_model_to_bytes(m, meta, n_meta, &buf, &len, err) != AIA_OK) return err->code;
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        free(buf);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: path too long", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(buf);
        return aia_error_set(err, errno == ENOENT ? AIA_NOT_FOUND : AIA_PERMISSION_DENIED, "%s: cannot create: %s", tmp,
                             strerror(errno));
    }
    aia_status st = write_all(fd, buf, len, tmp, err);
    if (st == AIA_OK && fsync(fd) != 0) st = aia_error_set(err, AIA_UNAVAILABLE, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(fd) != 0 && st == AIA_OK) st = aia_error_set(err, AIA_UNAVAILABLE, "%s: close failed: %s", tmp, strerror(errno));
    if (st == AIA_OK && rename(tmp, path) != 0)
        st = aia_error_set(err, AIA_UNAVAILABLE, "%s: rename to %s failed: %s", tmp, path, strerror(errno));
    if (st != AIA_OK) unlink(tmp);
    else sync_parent(path);
    free(buf);
    return st;
}

static aia_status read_file(const char *path, uint8_t **out, size_t *len, aia_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return aia_error_set(err, errno == ENOENT ? AIA_NOT_FOUND : AIA_PERMISSION_DENIED, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_PAYLOAD + AIA_MODEL_HEADER_SIZE) {
        close(fd);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: not a regular file of a plausible model size", path);
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    *out = buf;
    *len = got;
    return AIA_OK;
}

aia_status aia_model_load(const char *path, aia_model **out, aia_error *err)
{
    *out = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (read_file(path, &buf, &len, err) != AIA_OK) return err->code;
    aia_status st = aia_model_from_bytes(buf, len, out, err);
    free(buf);
    if (st != AIA_OK) aia_error_prefix(err, "%s", path);
    return st;
}
