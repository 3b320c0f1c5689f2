/* lib/ml/model_file.h — saving and loading models.
 *
 * A model file is a small fixed header and a protobuf payload
 * (lib/ml/model_file.proto, message aia.engine.v1.ModelFile):
 *
 *   offset  size  field
 *        0     8  magic "AIAMODL\0"
 *        8     4  format version, little-endian (this build writes and reads 1)
 *       12     4  reserved, 0
 *       16     8  payload length, little-endian
 *       24    32  SHA-256 of the payload
 *       56     n  payload
 *
 * Loading checks everything before a model exists: the magic (not a model
 * file), the version (a newer file is FAILED_PRECONDITION naming both
 * versions), the length (a truncated file is DATA_LOSS), the checksum (a
 * corrupt file is DATA_LOSS), the payload's protobuf, and then every
 * structural invariant of the preprocessing and the learner (child indices
 * in range and pointing forward, so a walk always ends; feature indices
 * below the feature count; array lengths; finite coefficients) —
 * INVALID_ARGUMENT naming the part. A loaded model predicts bit for bit as
 * the saved one.
 *
 * Saving is atomic: a temporary file in the same directory, fsync, rename,
 * and an fsync of the directory, so a crash leaves the old file or the new
 * one, never half of one.
 *
 * Thread-safety: all functions are reentrant.
 */
#ifndef AIA_ML_MODEL_FILE_H
#define AIA_ML_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/ml/model.h"

#define AIA_MODEL_FORMAT_VERSION 1
#define AIA_MODEL_HEADER_SIZE 56

/* A metadata entry stored with the model (training job, data hash, ...). */
typedef struct aia_model_meta {
    const char *key;
    const char *value;
} aia_model_meta;

/* Serialises m (and n_meta metadata entries) into a malloc'd buffer the
 * caller frees. */
aia_status aia_model_to_bytes(const aia_model *m, const aia_model_meta *meta, size_t n_meta, uint8_t **out,
                              size_t *len, aia_error *err);

/* Rebuilds a model from a buffer written by aia_model_to_bytes(). */
aia_status aia_model_from_bytes(const uint8_t *data, size_t len, aia_model **out, aia_error *err);

/* Writes the model to `path` atomically. */
aia_status aia_model_save(const aia_model *m, const aia_model_meta *meta, size_t n_meta, const char *path,
                          aia_error *err);

/* Reads a model file; errors are prefixed with the path. */
aia_status aia_model_load(const char *path, aia_model **out, aia_error *err);

#endif
