/* lib/data/dict.h — interning of a categorical column's distinct strings
 * (internal to lib/data).
 *
 * Strings are copied into one growing character block and found again
 * through an open-addressing hash table, so interning allocates only when a
 * block or the table grows, never per cell or per distinct value. Codes are
 * handed out in interning order; aia_dict_finish() can renumber them.
 * Not thread-safe: one builder per column being built.
 */
#ifndef AIA_DATA_DICT_H
#define AIA_DATA_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct aia_dict {
    char *chars;        /* the strings back to back, each NUL-terminated */
    size_t chars_len, chars_cap;
    size_t *offsets;    /* offsets[code] = start of that string in chars */
    size_t n, offsets_cap;
    int32_t *slots;     /* hash table of codes, -1 = empty */
    uint64_t *hashes;   /* hashes[code], to grow the table without rehashing text */
    size_t n_slots;     /* a power of two */
} aia_dict;

void aia_dict_init(aia_dict *d);
void aia_dict_free(aia_dict *d);

/* The code of s[0..len), interning it if new. Returns 0, or -1 when out of
 * memory or past INT32_MAX distinct values (the dictionary is unchanged). */
int aia_dict_intern(aia_dict *d, const char *s, size_t len, int32_t *code);

/* One malloc'd block holding the d->n string pointers followed by the
 * strings: new code i is the string of old code order[i] (order NULL keeps
 * interning order). The caller frees the result with free(). Returns NULL
 * when out of memory (also when d->n is 0). The builder is left intact. */
char **aia_dict_finish(const aia_dict *d, const int32_t *order);

#endif
