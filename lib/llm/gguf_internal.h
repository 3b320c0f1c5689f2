/* lib/llm/gguf_internal.h — the aia_gguf struct, shared by gguf.c (parsing)
 * and gguf_get.c (lookups). Private to lib/llm. */
#ifndef AIA_LLM_GGUF_INTERNAL_H
#define AIA_LLM_GGUF_INTERNAL_H

#include "lib/base/arena.h"
#include "lib/llm/gguf.h"

struct aia_gguf {
    const uint8_t *map; /* read-only mapping of the whole file */
    size_t size;
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    aia_arena arena; /* keys, strings, values, infos, indexes */
    size_t n_kv;
    aia_gguf_kv *kvs; /* malloc'd, grown while reading */
    const aia_gguf_kv **kv_sorted; /* by key, for lookup */
    size_t n_tensors;
    aia_gguf_tensor *tensors; /* malloc'd, grown while reading */
    const aia_gguf_tensor **t_sorted; /* by name, for lookup */
};

#endif
