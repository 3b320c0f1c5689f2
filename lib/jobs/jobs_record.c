/* lib/jobs/jobs_record.c — small helpers over the store's records.
 *
 * A worker keeps the job it runs as an unpacked record it owns, and swaps
 * whole sub-messages in it (data split, HPO progress): deep copies by
 * packing and unpacking, so that every byte of the record belongs to it and
 * one aia_store_record_free() releases everything. Records are small (no
 * data in them), so the copies cost nothing next to training.
 */
#include <protobuf-c/protobuf-c.h>
#include <stdlib.h>

#include "lib/jobs/jobs_internal.h"

void *jobs_record_dup(const void *message) {
    const ProtobufCMessage *m = message;
    if (m == NULL) return NULL;
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL) return NULL;
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    return copy;
}

int jobs_record_set(void *slot, const void *message) {
    ProtobufCMessage **p = slot;
    ProtobufCMessage *copy = NULL;
    if (message != NULL && (copy = jobs_record_dup(message)) == NULL) return 0;
    if (*p != NULL) protobuf_c_message_free_unpacked(*p, NULL);
    *p = copy;
    return 1;
}

int jobs_state_terminal(int state) {
    return state == JOBS_SUCCEEDED || state == JOBS_FAILED ||
           state == JOBS_CANCELLED;
}

const char *jobs_state_name(int state) {
    switch (state) {
    case JOBS_QUEUED: return "QUEUED";
    case JOBS_RUNNING: return "RUNNING";
    case JOBS_SUCCEEDED: return "SUCCEEDED";
    case JOBS_FAILED: return "FAILED";
    case JOBS_CANCELLED: return "CANCELLED";
    default: return "UNSPECIFIED";
    }
}

void jobs_time_fill(AiaStore__V1__Time *t, int64_t unix_ns) {
    aia_store__v1__time__init(t);
    t->seconds = unix_ns / 1000000000;
    t->nanos = (int32_t)(unix_ns % 1000000000);
}

int jobs_time_set(AiaStore__V1__Time **slot, int64_t unix_ns) {
    if (*slot == NULL && (*slot = malloc(sizeof **slot)) == NULL) return 0;
    jobs_time_fill(*slot, unix_ns);
    return 1;
}
