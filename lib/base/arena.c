/* lib/base/arena.c — see arena.h. */
#include "lib/base/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

struct aia_arena_block {
    aia_arena_block *prev;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void aia_arena_init(aia_arena *a, size_t first_block_size)
{
    a->head = NULL;
    a->first_block_size = first_block_size ? first_block_size : 4096;
    a->total = 0;
}

void aia_arena_destroy(aia_arena *a)
{
    aia_arena_block *b = a->head;
    while (b) {
        aia_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
    a->total = 0;
}

void aia_arena_reset(aia_arena *a)
{
    aia_arena_block *b = a->head;
    while (b && b->prev) {
        aia_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    if (b) b->used = 0;
    a->head = b;
    a->total = 0;
}

static aia_arena_block *arena_grow(aia_arena *a, size_t n)
{
    size_t size = a->head ? a->head->size * 2 : a->first_block_size;
    if (size < n) size = n;
    if (size > SIZE_MAX - sizeof(aia_arena_block)) return NULL;
    aia_arena_block *b = malloc(sizeof *b + size);
    if (!b) return NULL;
    b->prev = a->head;
    b->size = size;
    b->used = 0;
    a->head = b;
    return b;
}

void *aia_arena_alloc(aia_arena *a, size_t n)
{
    if (n > SIZE_MAX / 2) return NULL;
    size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0) rounded = ARENA_ALIGN;
    aia_arena_block *b = a->head;
    if (!b || b->size - b->used < rounded) {
        b = arena_grow(a, rounded);
        if (!b) return NULL;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->total += rounded;
    return p;
}

void *aia_arena_calloc(aia_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = aia_arena_alloc(a, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

char *aia_arena_strndup(aia_arena *a, const char *s, size_t n)
{
    if (!s) return NULL;
    char *p = aia_arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *aia_arena_strdup(aia_arena *a, const char *s)
{
    return s ? aia_arena_strndup(a, s, strlen(s)) : NULL;
}

char *aia_arena_printf(aia_arena *a, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n < 0 ? NULL : aia_arena_alloc(a, (size_t)n + 1);
    if (p) vsnprintf(p, (size_t)n + 1, fmt, again);
    va_end(again);
    return p;
}
