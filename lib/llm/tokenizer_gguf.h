/* lib/llm/tokenizer_gguf.h — a GGUF's own tokenizer: its vocabulary
 * (tokenizer.ggml.tokens), merges, token types and special ids made into
 * an aia_tokenizer. Only byte-level BPE ("tokenizer.ggml.model" = "gpt2")
 * is built; another model is UNIMPLEMENTED naming it. Errors name the
 * metadata key at fault. The tokenizer copies what it needs: the GGUF may
 * be closed afterwards. Thread-safe (reads an immutable GGUF). */
#ifndef AIA_LLM_TOKENIZER_GGUF_H
#define AIA_LLM_TOKENIZER_GGUF_H

#include "lib/base/status.h"
#include "lib/llm/gguf.h"
#include "lib/llm/tokenizer.h"

aia_status aia_tokenizer_from_gguf(const aia_gguf *g, aia_tokenizer **out, aia_error *err);

#endif
