/* lib/base/sha256.h — SHA-256 of bytes and of files, as lowercase hex
 * (OpenSSL's EVP). The store names artifacts by it and training records
 * its data's in the lineage, so both use this one implementation.
 * Thread-safe. */
#ifndef AIA_BASE_SHA256_H
#define AIA_BASE_SHA256_H

#include <stddef.h>

#include "lib/base/status.h"

#define AIA_SHA256_HEX_LEN 64

/* Hex SHA-256 of bytes into hex[65]. */
void aia_sha256_hex(const void *bytes, size_t len, char hex[AIA_SHA256_HEX_LEN + 1]);

/* Hex SHA-256 of a file's contents, read in 64 KiB blocks. Errors name the
 * path: NOT_FOUND (missing), PERMISSION_DENIED (cannot open), DATA_LOSS
 * (read error), INTERNAL (no SHA-256 in OpenSSL). */
aia_status aia_sha256_file(const char *path, char hex[AIA_SHA256_HEX_LEN + 1], aia_error *err);

#endif
