/* lib/llm/llama.c — loading a llama model from a GGUF: hyperparameters and
 * every tensor checked for presence, shape and type before use, so the
 * forward pass never meets a surprise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/llama.h"
#include "lib/llm/llama_internal.h"
#include "lib/llm/quant.h"

/* A required u32 key "llama.<suffix>", positive. */
static aia_status get_req(const aia_gguf *g, const char *suffix, uint32_t *out, aia_error *err) {
    char key[96];
    snprintf(key, sizeof key, "llama.%s", suffix);
    aia_status st = aia_gguf_get_u32(g, key, out, err);
    if (st == AIA_NOT_FOUND)
        return aia_error_set(err, AIA_NOT_FOUND, "metadata key %s is missing (required for llama)", key);
    if (st != AIA_OK) return st;
    if (*out == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "metadata key %s is 0", key);
    return AIA_OK;
}

/* An optional u32 key: *out keeps its default when absent. */
static aia_status get_opt(const aia_gguf *g, const char *suffix, uint32_t *out, aia_error *err) {
    char key[96];
    snprintf(key, sizeof key, "llama.%s", suffix);
    if (!aia_gguf_find(g, key)) return AIA_OK;
    aia_status st = aia_gguf_get_u32(g, key, out, err);
    if (st != AIA_OK) return st;
    if (*out == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "metadata key %s is 0", key);
    return AIA_OK;
}

static aia_status get_opt_f32(const aia_gguf *g, const char *key, float *out, aia_error *err) {
    if (!aia_gguf_find(g, key)) return AIA_OK;
    aia_status st = aia_gguf_get_f32(g, key, out, err);
    if (st != AIA_OK) return st;
    if (!isfinite(*out) || *out <= 0.0f)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "metadata key %s is %g, expected a positive number",
                             key, (double)*out);
    return AIA_OK;
}

static aia_status check_arch(const aia_gguf *g, aia_error *err) {
    const char *arch = NULL;
    aia_status st = aia_gguf_get_str(g, "general.architecture", &arch, NULL, err);
    if (st == AIA_NOT_FOUND)
        return aia_error_set(err, AIA_NOT_FOUND, "metadata key general.architecture is missing");
    if (st != AIA_OK) return st;
    if (strcmp(arch, "llama") != 0)
        return aia_error_set(err, AIA_UNIMPLEMENTED,
                             "general.architecture is \"%s\"; only \"llama\" is supported", arch);
    return AIA_OK;
}

static aia_status read_hparams(const aia_gguf *g, aia_llama_hparams *hp, aia_error *err) {
    aia_status st;
    if ((st = check_arch(g, err)) != AIA_OK) return st;
    if ((st = get_req(g, "block_count", &hp->n_layer, err)) != AIA_OK) return st;
    if ((st = get_req(g, "embedding_length", &hp->n_embd, err)) != AIA_OK) return st;
    if ((st = get_req(g, "feed_forward_length", &hp->n_ff, err)) != AIA_OK) return st;
    if ((st = get_req(g, "attention.head_count", &hp->n_head, err)) != AIA_OK) return st;
    if ((st = get_req(g, "context_length", &hp->n_ctx_train, err)) != AIA_OK) return st;
    hp->n_head_kv = hp->n_head;
    if ((st = get_opt(g, "attention.head_count_kv", &hp->n_head_kv, err)) != AIA_OK) return st;
    if (hp->n_embd % hp->n_head != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llama.embedding_length %u is not a multiple of llama.attention.head_count %u",
                             hp->n_embd, hp->n_head);
    hp->head_dim = hp->n_embd / hp->n_head;
    if ((st = get_opt(g, "attention.key_length", &hp->head_dim, err)) != AIA_OK) return st;
    uint32_t vlen = hp->head_dim;
    if ((st = get_opt(g, "attention.value_length", &vlen, err)) != AIA_OK) return st;
    if (vlen != hp->head_dim)
        return aia_error_set(err, AIA_UNIMPLEMENTED,
                             "llama.attention.value_length %u differs from key_length %u", vlen,
                             hp->head_dim);
    if (hp->n_head_kv > hp->n_head || hp->n_head % hp->n_head_kv != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llama.attention.head_count %u is not a multiple of head_count_kv %u",
                             hp->n_head, hp->n_head_kv);
    hp->n_rot = hp->head_dim;
    if ((st = get_opt(g, "rope.dimension_count", &hp->n_rot, err)) != AIA_OK) return st;
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llama.rope.dimension_count %u must be even and at most the head size %u",
                             hp->n_rot, hp->head_dim);
    hp->rope_base = 10000.0f;
    hp->rms_eps = 1e-5f;
    if ((st = get_opt_f32(g, "llama.rope.freq_base", &hp->rope_base, err)) != AIA_OK) return st;
    if ((st = get_opt_f32(g, "llama.attention.layer_norm_rms_epsilon", &hp->rms_eps, err)) != AIA_OK)
        return st;
    /* Sizes the pass multiplies together stay far from overflow. */
    if (hp->n_embd > 65536 || hp->n_ff > 262144 || hp->n_layer > 1024 || hp->head_dim > 1024 ||
        (uint64_t)hp->n_head * hp->head_dim > 65536)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llama dimensions out of range (embedding %u, ffn %u, layers %u, head %u x %u)",
                             hp->n_embd, hp->n_ff, hp->n_layer, hp->n_head, hp->head_dim);
    return AIA_OK;
}

/* Finds `name` and checks it is a cols x rows matrix (GGUF dims [cols, rows];
 * rows 0 = any, for the vocabulary) of a type the kernels compute. */
static aia_status get_mat(const aia_gguf *g, const char *name, size_t cols, size_t rows,
                          int required, llama_mat *m, aia_error *err) {
    const aia_gguf_tensor *t = aia_gguf_tensor_find(g, name);
    if (!t) {
        if (!required) return AIA_OK;
        return aia_error_set(err, AIA_NOT_FOUND, "tensor %s is missing (expected shape [%zu, %zu])", name,
                             cols, rows);
    }
    if (t->n_dims != 2 || t->dims[0] != cols || (rows && t->dims[1] != rows) || t->dims[1] == 0 ||
        t->dims[1] > UINT32_MAX) {
        char got[96] = "";
        size_t off = 0;
        for (uint32_t i = 0; i < t->n_dims && off < sizeof got; i++)
            off += (size_t)snprintf(got + off, sizeof got - off, "%s%llu", i ? ", " : "",
                                    (unsigned long long)t->dims[i]);
        if (rows)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "tensor %s: shape [%s], expected [%zu, %zu]",
                                 name, got, cols, rows);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tensor %s: shape [%s], expected [%zu, n_vocab]",
                             name, got, cols);
    }
    if (aia_quant_check(t->type, cols, NULL) != AIA_OK)
        return aia_error_set(err, AIA_UNIMPLEMENTED,
                             "tensor %s: type %s (%u) is not supported (supported: F32, F16, Q8_0, Q4_0, "
                             "Q4_1 with rows a multiple of the block size)",
                             name, aia_quant_type_name(t->type), t->type);
    uint64_t rb = 0;
    aia_status st = aia_quant_row_bytes(t->type, cols, &rb, err);
    if (st != AIA_OK) return st;
    m->name = t->name;
    m->type = t->type;
    m->cols = cols;
    m->rows = (size_t)t->dims[1];
    m->row_bytes = (size_t)rb;
    m->data = t->data;
    return AIA_OK;
}

/* A norm weight vector of n elements, decoded into a float copy (any
 * computable type; the files use F32). */
static aia_status get_norm(const aia_gguf *g, const char *name, size_t n, float **out, aia_error *err) {
    const aia_gguf_tensor *t = aia_gguf_tensor_find(g, name);
    if (!t) return aia_error_set(err, AIA_NOT_FOUND, "tensor %s is missing (expected shape [%zu])", name, n);
    if (t->n_elements != n || t->dims[0] != n)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tensor %s: %llu elements (first dim %llu), expected [%zu]",
                             name, (unsigned long long)t->n_elements, (unsigned long long)t->dims[0], n);
    if (aia_quant_check(t->type, n, NULL) != AIA_OK)
        return aia_error_set(err, AIA_UNIMPLEMENTED, "tensor %s: type %s (%u) is not supported for a norm",
                             name, aia_quant_type_name(t->type), t->type);
    float *w = malloc(n * sizeof *w);
    if (!w) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %s", name);
    aia_status st = aia_quant_dequant_row(t->type, t->data, n, w, err);
    if (st != AIA_OK) {
        free(w);
        return st;
    }
    *out = w;
    return AIA_OK;
}

static aia_status load_layer(const aia_gguf *g, const aia_llama_hparams *hp, uint32_t i, llama_layer *L,
                             aia_error *err) {
    char name[AIA_GGUF_MAX_NAME + 32];
    size_t e = hp->n_embd, qd = (size_t)hp->n_head * hp->head_dim, kd = (size_t)hp->n_head_kv * hp->head_dim;
    aia_status st;
#define MAT(field, suffix, cols, rows)                                              \
    snprintf(name, sizeof name, "blk.%u." suffix ".weight", i);                     \
    if ((st = get_mat(g, name, cols, rows, 1, &L->field, err)) != AIA_OK) return st;
    MAT(wq, "attn_q", e, qd)
    MAT(wk, "attn_k", e, kd)
    MAT(wv, "attn_v", e, kd)
    MAT(wo, "attn_output", qd, e)
    MAT(gate, "ffn_gate", e, hp->n_ff)
    MAT(up, "ffn_up", e, hp->n_ff)
    MAT(down, "ffn_down", hp->n_ff, e)
#undef MAT
    snprintf(name, sizeof name, "blk.%u.attn_norm.weight", i);
    if ((st = get_norm(g, name, e, &L->attn_norm, err)) != AIA_OK) return st;
    snprintf(name, sizeof name, "blk.%u.ffn_norm.weight", i);
    return get_norm(g, name, e, &L->ffn_norm, err);
}

static aia_status load_all(const aia_gguf *g, aia_llama *m, aia_error *err) {
    aia_llama_hparams *hp = &m->hp;
    aia_status st = read_hparams(g, hp, err);
    if (st != AIA_OK) return st;
    if ((st = get_mat(g, "token_embd.weight", hp->n_embd, 0, 1, &m->tok_embd, err)) != AIA_OK) return st;
    hp->n_vocab = (uint32_t)m->tok_embd.rows;
    if ((st = get_mat(g, "output.weight", hp->n_embd, hp->n_vocab, 0, &m->output, err)) != AIA_OK) return st;
    hp->tied_output = m->output.data == NULL;
    if (hp->tied_output) m->output = m->tok_embd;
    if ((st = get_norm(g, "output_norm.weight", hp->n_embd, &m->output_norm, err)) != AIA_OK) return st;
    m->layers = calloc(hp->n_layer, sizeof *m->layers);
    if (!m->layers) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %u layers", hp->n_layer);
    for (uint32_t i = 0; i < hp->n_layer; i++)
        if ((st = load_layer(g, hp, i, &m->layers[i], err)) != AIA_OK) return st;
    return AIA_OK;
}

aia_status aia_llama_load(const aia_gguf *g, aia_llama **out, aia_error *err) {
    *out = NULL;
    aia_llama *m = calloc(1, sizeof *m);
    if (!m) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for the model");
    aia_status st = load_all(g, m, err);
    if (st != AIA_OK) {
        aia_llama_free(m);
        return st;
    }
    *out = m;
    return AIA_OK;
}

void aia_llama_free(aia_llama *m) {
    if (!m) return;
    if (m->layers)
        for (uint32_t i = 0; i < m->hp.n_layer; i++) {
            free(m->layers[i].attn_norm);
            free(m->layers[i].ffn_norm);
        }
    free(m->layers);
    free(m->output_norm);
    free(m);
}

const aia_llama_hparams *aia_llama_hparams_of(const aia_llama *m) { return &m->hp; }

size_t aia_llama_n_vocab(const aia_llama *m) { return m->hp.n_vocab; }
