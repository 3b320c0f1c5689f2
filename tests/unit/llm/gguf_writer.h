/* tests/unit/llm/gguf_writer.h — builds small GGUF files for the tests.
 *
 * Metadata is written through low-level appends (gw_key then gw_put_*), so a
 * test can build any value, nested arrays included, and also wrong ones.
 * Tensors are laid out at aligned offsets. gw_build records where each part
 * landed so corruption tests can patch or cut the bytes. Test-only; aborts on
 * out-of-memory. */
#ifndef AIA_TESTS_LLM_GGUF_WRITER_H
#define AIA_TESTS_LLM_GGUF_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_buf {
    uint8_t *p;
    size_t len, cap;
} gw_buf;

#define GW_MAX_TENSORS 64

typedef struct gguf_writer {
    uint32_t version;
    uint32_t alignment; /* for tensor layout; also written as general.alignment if set */
    gw_buf kv;          /* serialized KV pairs */
    uint64_t n_kv;
    size_t n_tensors;
    struct {
        char name[80];
        uint32_t type, n_dims;
        uint64_t dims[4];
        const void *data;
        size_t n_bytes;
    } t[GW_MAX_TENSORS];
    /* Filled by gw_build: file offsets. */
    size_t kv_start, ti_start, data_start;
    size_t ti_pos[GW_MAX_TENSORS];    /* start of tensor info i */
    size_t ti_type_pos[GW_MAX_TENSORS];
    size_t ti_offset_pos[GW_MAX_TENSORS];
    size_t data_pos[GW_MAX_TENSORS];  /* file offset of tensor i's data */
} gguf_writer;

/* alignment 0: default 32 and no general.alignment key. */
void gw_init(gguf_writer *w, uint32_t alignment);
void gw_free(gguf_writer *w);

/* Low-level: starts a KV (key + value type) and counts it. */
void gw_key(gguf_writer *w, const char *key, uint32_t type);
void gw_put(gguf_writer *w, const void *bytes, size_t n);
void gw_put_u32(gguf_writer *w, uint32_t v);
void gw_put_u64(gguf_writer *w, uint64_t v);
void gw_put_str(gguf_writer *w, const char *s);
/* Array header: element type and count. */
void gw_put_arr(gguf_writer *w, uint32_t elem, uint64_t count);

/* Convenience. */
void gw_kv_u32(gguf_writer *w, const char *key, uint32_t v);
void gw_kv_f32(gguf_writer *w, const char *key, float v);
void gw_kv_str(gguf_writer *w, const char *key, const char *s);

/* Adds a tensor (data copied at build time; must outlive gw_build). */
void gw_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
               const uint64_t *dims, const void *data, size_t n_bytes);

/* The weight tensors of llama block `layer` in file order, as
 * add(ctx, name, cols, rows, is_norm): norms are one row of n_embd; the
 * tests' tiny GGUF writers share this list and differ only in what data
 * (and weight type) add() gives each tensor. */
typedef struct gw_llama_dims {
    size_t n_embd, n_head, n_head_kv, head_dim, n_ff;
} gw_llama_dims;
void gw_llama_layer(const gw_llama_dims *d, int layer,
                    void (*add)(void *ctx, const char *name, size_t cols, size_t rows, int is_norm), void *ctx);

/* Serializes the file into out (caller frees out->p). */
void gw_build(gguf_writer *w, gw_buf *out);

/* Writes bytes to path; returns 0 on success. */
int gw_write_file(const char *path, const void *p, size_t n);

#endif
