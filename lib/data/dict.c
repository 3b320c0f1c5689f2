/* lib/data/dict.c — see dict.h. */
#include "lib/data/dict.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: categorical values are short, and this needs no alignment. */
static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void aia_dict_init(aia_dict *d)
{
    memset(d, 0, sizeof *d);
}

void aia_dict_free(aia_dict *d)
{
    free(d->chars);
    free(d->offsets);
    free(d->slots);
    free(d->hashes);
    aia_dict_init(d);
}

static int grow_table(aia_dict *d)
{
    size_t n_slots = d->n_slots ? d->n_slots * 2 : 64;
    int32_t *slots = malloc(n_slots * sizeof *slots);
    if (!slots) return -1;
    memset(slots, 0xff, n_slots * sizeof *slots); /* every slot -1 */
    for (size_t code = 0; code < d->n; code++) {
        size_t at = d->hashes[code] & (n_slots - 1);
        while (slots[at] >= 0) at = (at + 1) & (n_slots - 1);
        slots[at] = (int32_t)code;
    }
    free(d->slots);
    d->slots = slots;
    d->n_slots = n_slots;
    return 0;
}

static int reserve_entry(aia_dict *d, size_t len)
{
    if (d->n == d->offsets_cap) {
        size_t cap = d->offsets_cap ? d->offsets_cap * 2 : 16;
        size_t *offsets = realloc(d->offsets, cap * sizeof *offsets);
        if (!offsets) return -1;
        d->offsets = offsets;
        uint64_t *hashes = realloc(d->hashes, cap * sizeof *hashes);
        if (!hashes) return -1;
        d->hashes = hashes;
        d->offsets_cap = cap;
    }
    if (d->chars_cap - d->chars_len < len + 1) {
        size_t cap = d->chars_cap ? d->chars_cap : 256;
        while (cap - d->chars_len < len + 1) {
            if (cap > SIZE_MAX / 2) return -1;
            cap *= 2;
        }
        char *chars = realloc(d->chars, cap);
        if (!chars) return -1;
        d->chars = chars;
        d->chars_cap = cap;
    }
    return 0;
}

int aia_dict_intern(aia_dict *d, const char *s, size_t len, int32_t *code)
{
    /* Keep the table at most half full so probes stay short. */
    if ((d->n + 1) * 2 > d->n_slots && grow_table(d) != 0) return -1;
    uint64_t h = hash_bytes(s, len);
    size_t mask = d->n_slots - 1;
    size_t at = h & mask;
    for (; d->slots[at] >= 0; at = (at + 1) & mask) {
        int32_t c = d->slots[at];
        if (d->hashes[c] != h) continue;
        const char *t = d->chars + d->offsets[c];
        if (strlen(t) == len && memcmp(t, s, len) == 0) {
            *code = c;
            return 0;
        }
    }
    if (d->n >= INT32_MAX || reserve_entry(d, len) != 0) return -1;
    size_t c = d->n++;
    d->offsets[c] = d->chars_len;
    d->hashes[c] = h;
    memcpy(d->chars + d->chars_len, s, len);
    d->chars[d->chars_len + len] = '\0';
    d->chars_len += len + 1;
    d->slots[at] = (int32_t)c;
    *code = (int32_t)c;
    return 0;
}

char **aia_dict_finish(const aia_dict *d, const int32_t *order)
{
    if (d->n == 0) return NULL;
    size_t ptr_bytes = d->n * sizeof(char *);
    char **out = malloc(ptr_bytes + d->chars_len);
    if (!out) return NULL;
    char *chars = (char *)out + ptr_bytes;
    size_t at = 0;
    for (size_t i = 0; i < d->n; i++) {
        size_t old = order ? (size_t)order[i] : i;
        const char *s = d->chars + d->offsets[old];
        size_t len = strlen(s) + 1;
        memcpy(chars + at, s, len);
        out[i] = chars + at;
        at += len;
    }
    return out;
}
