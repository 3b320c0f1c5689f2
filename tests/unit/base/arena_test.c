/* tests/unit/base/arena_test.c — lib/base/arena: 16-byte alignment, growth
 * past the first block, reset and reuse, overflow checks, string helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base/arena.h"

static void test_init_allocates_nothing(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 0);
    assert_null(a.head);
    assert_int_equal(a.first_block_size, 4096);
    assert_int_equal(a.total, 0);
    aia_arena_destroy(&a); /* destroying an unused arena is fine */
    aia_arena_reset(&a);   /* so is resetting one */
    assert_null(a.head);
}

static void test_alignment_and_no_overlap(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 256);
    enum { N = 300 };
    unsigned char *ptrs[N];
    size_t sizes[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = (size_t)(i % 37) + 1;
        ptrs[i] = aia_arena_alloc(&a, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        memset(ptrs[i], i & 0xff, sizes[i]);
    }
    /* Every allocation still holds its own pattern: none overlapped. */
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff)) fail_msg("allocation %d byte %zu was overwritten", i, k);
    assert_true(a.total >= N * 16);
    aia_arena_destroy(&a);
}

static void test_zero_size_alloc(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 64);
    void *p = aia_arena_alloc(&a, 0), *q = aia_arena_alloc(&a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    aia_arena_destroy(&a);
}

static void test_growth_past_first_block(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 64);
    /* Far more than the first block holds, in small pieces. */
    enum { N = 200 };
    uint64_t *v[N];
    for (int i = 0; i < N; i++) {
        v[i] = aia_arena_alloc(&a, sizeof *v[i] * 3);
        assert_non_null(v[i]);
        v[i][0] = (uint64_t)i;
        v[i][2] = ~(uint64_t)i;
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(v[i][0], (uint64_t)i);
        assert_int_equal(v[i][2], ~(uint64_t)i);
    }
    /* One allocation larger than any block so far. */
    unsigned char *big = aia_arena_alloc(&a, 1 << 20);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 0xab, 1 << 20);
    assert_int_equal(v[N - 1][0], (uint64_t)(N - 1));
    aia_arena_destroy(&a);
    assert_null(a.head);
    assert_int_equal(a.total, 0);
}

static void test_reset_reuses_first_block(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 128);
    void *first = aia_arena_alloc(&a, 16);
    assert_non_null(first);
    for (int i = 0; i < 100; i++) assert_non_null(aia_arena_alloc(&a, 100)); /* several blocks */
    assert_true(a.total > 128);
    for (int round = 0; round < 3; round++) {
        aia_arena_reset(&a);
        assert_int_equal(a.total, 0);
        assert_non_null(a.head);
        /* The first block is kept and rewound. */
        void *again = aia_arena_alloc(&a, 16);
        assert_ptr_equal(again, first);
        /* Growth works after a reset. */
        for (int i = 0; i < 100; i++) {
            char *p = aia_arena_alloc(&a, 100);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 16, 0);
            memset(p, 'r', 100);
        }
    }
    aia_arena_destroy(&a);
    /* Destroyed arenas can be initialised again. */
    aia_arena_init(&a, 32);
    assert_non_null(aia_arena_alloc(&a, 10));
    aia_arena_destroy(&a);
}

static void test_absurd_sizes_return_null(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 64);
    assert_null(aia_arena_alloc(&a, SIZE_MAX));
    assert_null(aia_arena_alloc(&a, SIZE_MAX - 15));
    assert_null(aia_arena_alloc(&a, SIZE_MAX / 2 + 1));
    /* calloc: count * size overflows */
    assert_null(aia_arena_calloc(&a, SIZE_MAX / 2, 4));
    assert_null(aia_arena_calloc(&a, SIZE_MAX, 2));
    assert_null(aia_arena_calloc(&a, (SIZE_MAX >> 4) + 1, 16));
    /* The arena is still usable. */
    int *p = aia_arena_calloc(&a, 4, sizeof(int));
    assert_non_null(p);
    assert_int_equal(p[0] | p[1] | p[2] | p[3], 0);
    aia_arena_destroy(&a);
}

static void test_calloc_zeroes_reused_memory(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 1024);
    unsigned char *p = aia_arena_alloc(&a, 512);
    memset(p, 0xff, 512);
    aia_arena_reset(&a);
    unsigned char *z = aia_arena_calloc(&a, 64, 8);
    assert_ptr_equal(z, p); /* the same, dirty memory */
    for (int i = 0; i < 512; i++)
        if (z[i]) fail_msg("byte %d not zeroed", i);
    assert_non_null(aia_arena_calloc(&a, 0, 8));
    aia_arena_destroy(&a);
}

static void test_strings(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 64);
    assert_null(aia_arena_strdup(&a, NULL));
    assert_null(aia_arena_strndup(&a, NULL, 3));
    char *s = aia_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    char *t = aia_arena_strndup(&a, "abcdef", 3);
    assert_string_equal(t, "abc");
    char *e = aia_arena_strdup(&a, "");
    assert_string_equal(e, "");
    char *f = aia_arena_printf(&a, "%s-%d-%.2f", "x", 42, 1.5);
    assert_string_equal(f, "x-42-1.50");
    /* printf longer than the first block */
    char *big = malloc(5001);
    memset(big, 'q', 5000);
    big[5000] = '\0';
    char *g = aia_arena_printf(&a, "<%s>", big);
    assert_non_null(g);
    assert_int_equal(strlen(g), 5002);
    assert_int_equal(g[0], '<');
    assert_int_equal(g[5001], '>');
    assert_memory_equal(g + 1, big, 5000);
    free(big);
    /* earlier strings intact */
    assert_string_equal(s, "hello");
    assert_string_equal(t, "abc");
    assert_string_equal(f, "x-42-1.50");
    aia_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_allocates_nothing),
        cmocka_unit_test(test_alignment_and_no_overlap),
        cmocka_unit_test(test_zero_size_alloc),
        cmocka_unit_test(test_growth_past_first_block),
        cmocka_unit_test(test_reset_reuses_first_block),
        cmocka_unit_test(test_absurd_sizes_return_null),
        cmocka_unit_test(test_calloc_zeroes_reused_memory),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
