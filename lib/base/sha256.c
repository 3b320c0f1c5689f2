/* lib/base/sha256.c — see sha256.h. */
#include "lib/base/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static void to_hex(const unsigned char *d, char hex[AIA_SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[AIA_SHA256_HEX_LEN] = '\0';
}

void aia_sha256_hex(const void *bytes, size_t len, char hex[AIA_SHA256_HEX_LEN + 1])
{
    unsigned char d[32];
    unsigned int n = 0;
    EVP_Digest(bytes, len, d, &n, EVP_sha256(), NULL);
    to_hex(d, hex);
}

aia_status aia_sha256_file(const char *path, char hex[AIA_SHA256_HEX_LEN + 1], aia_error *err)
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return aia_error_set(err, errno == ENOENT ? AIA_NOT_FOUND : AIA_PERMISSION_DENIED, "%s: %s", path,
                             strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        fclose(f);
        return aia_error_set(err, AIA_INTERNAL, "%s: cannot start SHA-256", path);
    }
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(ctx, buf, got);
    int failed = ferror(f);
    fclose(f);
    unsigned char d[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, d, &n);
    EVP_MD_CTX_free(ctx);
    if (failed) return aia_error_set(err, AIA_DATA_LOSS, "%s: read error", path);
    to_hex(d, hex);
    return AIA_OK;
}
