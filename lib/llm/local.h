/* lib/llm/local.h — the embedded "local" LLM provider: generation with a
 * GGUF llama model (lib/llm/llama.h) in this process.
 *
 * Models: req->model is the upstream name after routing. The default model
 * "smollm2-135m-instruct" is the file SmolLM2-135M-Instruct.Q4_1.gguf in
 * models_dir; any other "<name>" is the file "<name>.gguf" there (file stem
 * compared case-insensitively; a leading "local/" is ignored). A model is
 * loaded (GGUF mapped and validated, llama weights checked, tokenizer and
 * chat template read) on its first use and kept until aia_local_close: one
 * copy shared by every call; loading is serialised by a lock.
 *
 * A call: the chat prompt (lib/llm/chat.h: the GGUF's template, ChatML;
 * system_instruction → a system message; roles "user" / "model"; a
 * content's text parts concatenated), BOS first when the GGUF's
 * tokenizer.ggml.add_bos_token says so. It runs on its own generation
 * thread once one of max_concurrent slots is free (waiting calls are
 * admitted in FIFO order), with a llama context of n_ctx = prompt +
 * max_output_tokens tokens, capped at the model's llama.context_length.
 * Sampling (lib/llm/sample.h) per generation_config; unset values take
 * llama.cpp server's defaults: temperature 0.8, top_k 40, top_p 0.95
 * (llama.cpp's min_p has no equivalent here); max_output_tokens 512; the
 * seed is random unless given; temperature 0 is greedy. top_p 0 keeps only
 * the most likely token.
 * Finish: STOP when the model emits a control token (EOS, <|im_end|>,
 * <|im_start|>: any of them ends the turn; it is neither emitted nor
 * counted in output_tokens) or when a stop sequence appears (the stop text
 * and what follows are dropped; text that could be the start of a stop
 * sequence is held back until it is disambiguated, so no part of a stop
 * sequence is ever emitted); MAX_TOKENS after max_output_tokens tokens or
 * when the context is full. on_text gets complete UTF-8 only, as soon as it
 * exists (an incomplete sequence left at the end is dropped). Usage:
 * prompt tokens (BOS and chat markup included), output tokens, total.
 *
 * Prompt reuse: each loaded model keeps the KV cache of its last finished
 * generation (contexts up to 2048 positions) with the tokens it holds; a
 * call whose prompt starts with some of them evaluates only the rest, so a
 * repeated system message or a growing conversation is not evaluated
 * again. Answers are bit-for-bit those of a fresh context (local_cache.c
 * says why). aia_local_prompt_tokens_reused counts what was skipped.
 *
 * The matrix path is llama's exact float path by default: the fast int8
 * path answers the acceptance prompt ("What is the capital of France?")
 * wrongly with SmolLM2 (see llama.h and llama_smollm2_test).
 * options.fast_matmul = 1 chooses the fast path.
 *
 * Ownership: aia_local_open copies models_dir. A request is read during
 * aia_local_stream / aia_local_count_tokens only (what the call needs is
 * copied). cb->user must stay valid until on_done has returned. The call
 * handle (out may be NULL) is owned by the caller and released with
 * aia_local_call_release, before or after on_done; release does not cancel.
 * aia_local_list's array is malloc'd (free()).
 *
 * Threads: every function may be called from any thread. Callbacks run on
 * the call's generation thread (never inside aia_local_stream) and must not
 * block for long; on_done runs exactly once per started call, last.
 * aia_local_cancel may be called from any thread, also from a callback.
 * aia_local_close cancels calls still running, waits for their on_done,
 * then frees the models; handles must all be released before it.
 *
 * Errors (aia_local_stream: returned, and no callback runs):
 *   INVALID_ARGUMENT: bad request — inline data ("the local provider takes
 *     text only"), an unknown role, a bad generation_config value (naming
 *     the field), a prompt that does not fit the model's context (naming
 *     both token counts); a model file that is not a usable llama GGUF
 *     (gguf.h / llama.h messages, prefixed with the path).
 *   NOT_FOUND: no file for the model name (the message lists the .gguf
 *     files models_dir has).
 *   FAILED_PRECONDITION: the default model's file is missing ("not
 *     downloaded: run scripts/setup.sh").
 *   UNIMPLEMENTED: a GGUF whose tokenizer is not "gpt2" (byte-level BPE) or
 *     whose architecture / weight types llama.h lacks.
 *   RESOURCE_EXHAUSTED, INTERNAL (a thread that could not start).
 * on_done: OK, CANCELLED after aia_local_cancel, or the eval / sampling
 * error (RESOURCE_EXHAUSTED for a context that could not be allocated).
 */
#ifndef AIA_LLM_LOCAL_H
#define AIA_LLM_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/llm/llm.h"
#include "lib/llm/wire.h"

typedef struct aia_local aia_local;
typedef struct aia_local_call aia_local_call;

/* The default model's routed name and file. */
#define AIA_LOCAL_DEFAULT_MODEL "smollm2-135m-instruct"
#define AIA_LOCAL_DEFAULT_FILE "SmolLM2-135M-Instruct.Q4_1.gguf"

typedef struct aia_local_options {
    const char *models_dir; /* required */
    int threads;            /* threads per generation; 0 = 2 */
    int max_concurrent;     /* generations at once (the rest wait, FIFO); 0 = 1 */
    int fast_matmul;        /* 1: llama's fast int8 path; 0 (default): exact float path */
} aia_local_options;

/* Checks the options and that models_dir is a directory if it exists (a
 * missing directory is fine: no model is downloaded yet). No model is
 * loaded. INVALID_ARGUMENT names the bad option. */
aia_status aia_local_open(const aia_local_options *opt, aia_local **out, aia_error *err);
/* Cancels and waits for running calls, frees the models. NULL is fine. */
void aia_local_close(aia_local *l);

/* Starts a streaming generation (see the top of this file). */
aia_status aia_local_stream(aia_local *l, const aia_llm_request *req, const aia_llm_callbacks *cb,
                            aia_local_call **out, aia_error *err);
/* Generation stops within one token (a waiting call leaves the queue);
 * on_done gets CANCELLED unless it already ran. */
void aia_local_cancel(aia_local_call *c);
void aia_local_call_release(aia_local_call *c); /* NULL is fine */

/* Prompt tokens whose evaluation a parked KV cache saved, summed over the
 * loaded models, since they loaded. */
size_t aia_local_prompt_tokens_reused(aia_local *l);

/* Tokens of the chat-formatted prompt (generation prompt and BOS
 * included), as prompt_tokens would be. Loads the model. Errors as for
 * aia_local_stream, except that the context is not checked. */
aia_status aia_local_count_tokens(aia_local *l, const aia_llm_request *req, int64_t *total, aia_error *err);

/* The .gguf files in models_dir: name "local/<stem lower-case>" (the
 * default model's file is listed as "local/smollm2-135m-instruct"),
 * provider "local", context_window from the GGUF's llama.context_length,
 * available = the file opens as a GGUF (else the reason). When the default
 * model's file is missing it is listed as unavailable with the reason "not
 * downloaded: run scripts/setup.sh". Files are opened (mapped and
 * validated) but no model is loaded. *out is malloc'd (free()). */
aia_status aia_local_list(aia_local *l, aia_llm_model_info **out, size_t *n, aia_error *err);

#endif
