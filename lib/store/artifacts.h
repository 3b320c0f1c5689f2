/* lib/store/artifacts.h — content-addressed files: model files and other
 * blobs named by the SHA-256 of their bytes under
 * `<data_dir>/artifacts/<first two hex>/<64 hex>`.
 *
 * Writes are atomic: a temp file in the same directory, written, fsync'd,
 * renamed over the final name, and the directory fsync'd; a crash leaves
 * either no file or the whole file. Writing bytes that already exist is a
 * no-op. Reads verify the hash, so a corrupted or truncated artifact is
 * AIA_DATA_LOSS naming it, never silently used.
 *
 * Thread-safety: all functions are thread-safe (no shared state beyond the
 * file system).
 */
#ifndef AIA_STORE_ARTIFACTS_H
#define AIA_STORE_ARTIFACTS_H

#include <stddef.h>

#include "lib/base/sha256.h" /* aia_sha256_hex, aia_sha256_file: artifact names */
#include "lib/base/status.h"

/* Stores bytes; hex receives their SHA-256 (the artifact's name). */
aia_status aia_artifact_put(const char *data_dir, const void *bytes, size_t len, char hex[AIA_SHA256_HEX_LEN + 1],
                            aia_error *err);

/* Reads an artifact and verifies its hash. *bytes is malloc'd, caller
 * frees. NOT_FOUND when absent, DATA_LOSS when the content does not match,
 * INVALID_ARGUMENT when hex is not 64 lowercase hex digits. */
aia_status aia_artifact_get(const char *data_dir, const char *hex, void **bytes, size_t *len, aia_error *err);

/* The artifact's path into out (size >= strlen(data_dir) + 80). */
void aia_artifact_path(const char *data_dir, const char *hex, char *out, size_t size);

#endif
