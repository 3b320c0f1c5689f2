/* lib/base/arena.h — request-scoped bump allocation.
 *
 * A call's request, response and scratch data all come from one arena and
 * are freed together when the call ends, so handlers never free. Blocks grow
 * geometrically; aia_arena_reset() keeps the first block for reuse, which
 * makes a recycled call allocation-free in the steady state. The arena also
 * serves as a ProtobufCAllocator (see aia_arena_protobuf_allocator in
 * server/), because protobuf-c unpacks through an allocator interface.
 * Not thread-safe: an arena belongs to one call, used by one thread at a time.
 */
#ifndef AIA_BASE_ARENA_H
#define AIA_BASE_ARENA_H

#include <stddef.h>

typedef struct aia_arena_block aia_arena_block;

typedef struct aia_arena {
    aia_arena_block *head;   /* current block; older blocks chain behind */
    size_t first_block_size; /* size of the block kept across resets */
    size_t total;            /* bytes handed out since the last reset */
} aia_arena;

/* first_block_size 0 means 4 KiB. Allocates nothing until the first use. */
void aia_arena_init(aia_arena *a, size_t first_block_size);
/* Frees every block. The arena can be initialised again. */
void aia_arena_destroy(aia_arena *a);
/* Frees everything but the first block and rewinds it. */
void aia_arena_reset(aia_arena *a);
/* 16-byte aligned memory, or NULL when out of memory (or n is absurd). */
void *aia_arena_alloc(aia_arena *a, size_t n);
/* Zeroed aia_arena_alloc. */
void *aia_arena_calloc(aia_arena *a, size_t count, size_t size);
/* Copies of s / of n bytes of s plus a NUL. NULL s gives NULL. */
char *aia_arena_strdup(aia_arena *a, const char *s);
char *aia_arena_strndup(aia_arena *a, const char *s, size_t n);
char *aia_arena_printf(aia_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
