/* client/cli_request.c — see cli_request.h. */
#include "client/cli_request.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/pbjson/pbjson.h"

ProtobufCMessage *aia_cli_map_append(aia_arena *ar, ProtobufCMessage *msg, const char *field, const char *key,
                                     size_t key_len, aia_error *err)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, field);
    if (!f || !aia_pbjson_is_map_field(msg->descriptor, f)) {
        aia_error_set(err, AIA_INTERNAL, "%s has no map field %s", msg->descriptor->name, field);
        return NULL;
    }
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    size_t *n = (size_t *)((char *)msg + f->quantifier_offset);
    ProtobufCMessage ***entries = (ProtobufCMessage ***)((char *)msg + f->offset);
    ProtobufCMessage **grown = aia_arena_alloc(ar, (*n + 1) * sizeof *grown);
    ProtobufCMessage *e = aia_arena_alloc(ar, ed->sizeof_message);
    char *k = aia_arena_strndup(ar, key, key_len);
    if (!grown || !e || !k) {
        aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    protobuf_c_message_init(ed, e);
    const ProtobufCFieldDescriptor *kf = protobuf_c_message_descriptor_get_field(ed, 1);
    *(char **)((char *)e + kf->offset) = k;
    if (*n) memcpy(grown, *entries, *n * sizeof *grown);
    grown[(*n)++] = e;
    *entries = grown;
    return e;
}

int aia_cli_map_from_options(aia_arena *ar, ProtobufCMessage *msg, const char *field, const aia_cli_sub *s,
                             const char *option, aia_error *err)
{
    size_t pos = 0;
    for (const char *v; (v = aia_cli_opt_next(s, option, &pos));) {
        size_t klen;
        const char *value;
        if (aia_cli_parse_kv(option, v, &klen, &value, err) != 0) return -1;
        ProtobufCMessage *e = aia_cli_map_append(ar, msg, field, v, klen, err);
        if (!e) return -1;
        const ProtobufCFieldDescriptor *vf = protobuf_c_message_descriptor_get_field(e->descriptor, 2);
        *(const char **)((char *)e + vf->offset) = value;
    }
    return 0;
}

const char *aia_cli_data_uri(aia_arena *ar, const char *path)
{
    if (strstr(path, "://") || path[0] == '/' || access(path, F_OK) != 0) return path;
    char *abs = realpath(path, NULL);
    if (!abs) return path;
    char *copy = aia_arena_strdup(ar, abs);
    free(abs);
    return copy ? copy : path;
}
