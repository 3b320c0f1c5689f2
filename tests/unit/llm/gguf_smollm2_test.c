/* tests/unit/llm/gguf_smollm2_test.c — opens the real SmolLM2 GGUF named by
 * AIA_SMOLLM2_GGUF and prints what the local provider needs from it: the
 * llama.* hyperparameters, tokenizer facts and tensor types. Skips when the
 * variable is unset. Tagged manual until the test command fetches the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/gguf.h"
#include "lib/llm/quant.h"

static void print_value(const aia_gguf_value *v) {
    switch (v->type) {
    case AIA_GGUF_STRING:
        if (v->v.str.len > 80) printf("\"%.80s...\" (%llu bytes)", v->v.str.ptr, (unsigned long long)v->v.str.len);
        else printf("\"%s\"", v->v.str.ptr);
        break;
    case AIA_GGUF_ARRAY:
        printf("[%s x %llu]", aia_gguf_vtype_name(v->v.arr.elem), (unsigned long long)v->v.arr.count);
        break;
    case AIA_GGUF_F32: case AIA_GGUF_F64: printf("%g", v->v.f); break;
    case AIA_GGUF_I8: case AIA_GGUF_I16: case AIA_GGUF_I32: case AIA_GGUF_I64: printf("%lld", (long long)v->v.i); break;
    default: printf("%llu", (unsigned long long)v->v.u); break;
    }
}

static void test_smollm2(void **state) {
    (void)state;
    const char *path = getenv("AIA_SMOLLM2_GGUF");
    if (!path || !*path) skip();
    aia_gguf *g = NULL;
    aia_error err;
    if (aia_gguf_open(path, &g, &err) != AIA_OK) fail_msg("%s", err.message);
    printf("version %u, alignment %u, %zu keys, %zu tensors\n", aia_gguf_version(g),
           aia_gguf_alignment(g), aia_gguf_kv_count(g), aia_gguf_tensor_count(g));
    for (size_t i = 0; i < aia_gguf_kv_count(g); i++) {
        const aia_gguf_kv *kv = aia_gguf_kv_at(g, i);
        printf("  %-40s %-8s ", kv->key, aia_gguf_vtype_name(kv->value.type));
        print_value(&kv->value);
        printf("\n");
    }
    size_t per_type[64] = {0};
    for (size_t i = 0; i < aia_gguf_tensor_count(g); i++) {
        const aia_gguf_tensor *t = aia_gguf_tensor_at(g, i);
        if (t->type < 64) per_type[t->type]++;
        if (i < 12 || strncmp(t->name, "blk.", 4) != 0)
            printf("  %-28s %-5s [%llu, %llu] %llu bytes\n", t->name, aia_quant_type_name(t->type),
                   (unsigned long long)t->dims[0], (unsigned long long)t->dims[1],
                   (unsigned long long)t->n_bytes);
    }
    for (int ty = 0; ty < 64; ty++)
        if (per_type[ty]) printf("type %s: %zu tensors\n", aia_quant_type_name((uint32_t)ty), per_type[ty]);
    const char *arch;
    assert_int_equal(aia_gguf_get_str(g, "general.architecture", &arch, NULL, &err), AIA_OK);
    assert_string_equal(arch, "llama");
    uint32_t blocks;
    assert_int_equal(aia_gguf_get_u32(g, "llama.block_count", &blocks, &err), AIA_OK);
    assert_non_null(aia_gguf_tensor_find(g, "token_embd.weight"));
    /* Every computable tensor's first row dequantises. */
    static float row[65536];
    for (size_t i = 0; i < aia_gguf_tensor_count(g); i++) {
        const aia_gguf_tensor *t = aia_gguf_tensor_at(g, i);
        if (!aia_quant_type_info_of(t->type)->computable || t->dims[0] > 65536) continue;
        assert_int_equal(aia_quant_dequant_row(t->type, t->data, (size_t)t->dims[0], row, &err), AIA_OK);
    }
    aia_gguf_close(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_smollm2)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
