/* tests/unit/llm/gguf_writer.c — see gguf_writer.h. */
#include "tests/unit/llm/gguf_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_put(gw_buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort();
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_u32(gw_buf *b, uint32_t v) { buf_put(b, &v, 4); }
static void buf_u64(gw_buf *b, uint64_t v) { buf_put(b, &v, 8); }

static void buf_str(gw_buf *b, const char *s) {
    size_t n = strlen(s);
    buf_u64(b, n);
    buf_put(b, s, n);
}

void gw_init(gguf_writer *w, uint32_t alignment) {
    memset(w, 0, sizeof *w);
    w->version = 3;
    w->alignment = alignment ? alignment : 32;
    if (alignment) gw_kv_u32(w, "general.alignment", alignment);
}

void gw_free(gguf_writer *w) { free(w->kv.p); }

void gw_key(gguf_writer *w, const char *key, uint32_t type) {
    buf_str(&w->kv, key);
    buf_u32(&w->kv, type);
    w->n_kv++;
}

void gw_put(gguf_writer *w, const void *bytes, size_t n) { buf_put(&w->kv, bytes, n); }
void gw_put_u32(gguf_writer *w, uint32_t v) { buf_u32(&w->kv, v); }
void gw_put_u64(gguf_writer *w, uint64_t v) { buf_u64(&w->kv, v); }
void gw_put_str(gguf_writer *w, const char *s) { buf_str(&w->kv, s); }

void gw_put_arr(gguf_writer *w, uint32_t elem, uint64_t count) {
    buf_u32(&w->kv, elem);
    buf_u64(&w->kv, count);
}

void gw_kv_u32(gguf_writer *w, const char *key, uint32_t v) {
    gw_key(w, key, 4);
    gw_put_u32(w, v);
}

void gw_kv_f32(gguf_writer *w, const char *key, float v) {
    gw_key(w, key, 6);
    gw_put(w, &v, 4);
}

void gw_kv_str(gguf_writer *w, const char *key, const char *s) {
    gw_key(w, key, 8);
    gw_put_str(w, s);
}

void gw_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
               const uint64_t *dims, const void *data, size_t n_bytes) {
    if (w->n_tensors >= GW_MAX_TENSORS) abort();
    size_t i = w->n_tensors++;
    snprintf(w->t[i].name, sizeof w->t[i].name, "%s", name);
    w->t[i].type = type;
    w->t[i].n_dims = n_dims;
    for (uint32_t d = 0; d < n_dims && d < 4; d++) w->t[i].dims[d] = dims[d];
    w->t[i].data = data;
    w->t[i].n_bytes = n_bytes;
}

static size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

void gw_build(gguf_writer *w, gw_buf *out) {
    memset(out, 0, sizeof *out);
    buf_put(out, "GGUF", 4);
    buf_u32(out, w->version);
    buf_u64(out, w->n_tensors);
    buf_u64(out, w->n_kv);
    w->kv_start = out->len;
    buf_put(out, w->kv.p, w->kv.len);
    w->ti_start = out->len;
    size_t off = 0;
    size_t rel[GW_MAX_TENSORS];
    for (size_t i = 0; i < w->n_tensors; i++) {
        w->ti_pos[i] = out->len;
        buf_str(out, w->t[i].name);
        buf_u32(out, w->t[i].n_dims);
        for (uint32_t d = 0; d < w->t[i].n_dims; d++) buf_u64(out, w->t[i].dims[d]);
        w->ti_type_pos[i] = out->len;
        buf_u32(out, w->t[i].type);
        w->ti_offset_pos[i] = out->len;
        rel[i] = off;
        buf_u64(out, off);
        off = align_up(off + w->t[i].n_bytes, w->alignment);
    }
    static const uint8_t zeros[1024];
    w->data_start = align_up(out->len, w->alignment);
    buf_put(out, zeros, w->data_start - out->len);
    for (size_t i = 0; i < w->n_tensors; i++) {
        w->data_pos[i] = w->data_start + rel[i];
        buf_put(out, zeros, w->data_pos[i] - out->len);
        buf_put(out, w->t[i].data, w->t[i].n_bytes);
    }
}

int gw_write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t wrote = fwrite(p, 1, n, f);
    int rc = fclose(f);
    return wrote == n && rc == 0 ? 0 : -1;
}

void gw_llama_layer(const gw_llama_dims *d, int layer,
                    void (*add)(void *ctx, const char *name, size_t cols, size_t rows, int is_norm), void *ctx) {
    const struct {
        const char *suffix;
        size_t cols, rows;
        int norm;
    } t[] = {
        {"attn_norm", d->n_embd, 1, 1},
        {"attn_q", d->n_embd, d->n_head * d->head_dim, 0},
        {"attn_k", d->n_embd, d->n_head_kv * d->head_dim, 0},
        {"attn_v", d->n_embd, d->n_head_kv * d->head_dim, 0},
        {"attn_output", d->n_head * d->head_dim, d->n_embd, 0},
        {"ffn_norm", d->n_embd, 1, 1},
        {"ffn_gate", d->n_embd, d->n_ff, 0},
        {"ffn_up", d->n_embd, d->n_ff, 0},
        {"ffn_down", d->n_ff, d->n_embd, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.%s.weight", layer, t[i].suffix);
        add(ctx, name, t[i].cols, t[i].rows, t[i].norm);
    }
}
