/* lib/llm/quant_internal.h — helpers shared by quant.c and quant_dot.c. Private. */
#ifndef AIA_LLM_QUANT_INTERNAL_H
#define AIA_LLM_QUANT_INTERNAL_H

#include <stdint.h>

/* Little-endian u16 at any alignment (GGUF blocks are not aligned). */
static inline uint16_t quant_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

#endif
