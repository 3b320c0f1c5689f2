/* lib/llm/chat.h — chat prompts for the local provider (ChatML).
 *
 * A GGUF declares its prompt format as a Jinja template in
 * "tokenizer.chat_template". We do not run Jinja. aia_chat_template_detect
 * recognises ChatML by the "<|im_start|>" marker; every other template (or
 * none) falls back to ChatML, as issue 7 allows. It also recognises a
 * default system message written literally in the template, as SmolLM2's
 * does:
 *   {% if loop.first and messages[0]['role'] != 'system' %}
 *   {{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM,
 *       trained by Hugging Face<|im_end|>\n' }}{% endif %}
 * i.e. a literal "<|im_start|>system\n<text><|im_end|>" in a template that
 * tests for a missing system message. That text is then inserted first
 * whenever the conversation is non-empty and does not start with a system
 * message, exactly as the template does.
 *
 * The prompt for [user "Hi"] with SmolLM2's template and a generation prompt:
 *   <|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained
 *   by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n
 *   <|im_start|>assistant\n
 *
 * Ownership: aia_chat_template owns its default system text; release it with
 * aia_chat_template_free. Returned prompts and id arrays are malloc'd and
 * owned by the caller. Messages are borrowed for the call only.
 * Thread-safety: a detected template is immutable; any number of threads
 * may format with it at once.
 * Errors: INVALID_ARGUMENT naming the message index (bad role, NULL text);
 * FAILED_PRECONDITION when the tokenizer lacks <|im_start|> / <|im_end|>;
 * RESOURCE_EXHAUSTED when memory runs out.
 */
#ifndef AIA_LLM_CHAT_H
#define AIA_LLM_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/llm/tokenizer.h"

typedef enum aia_chat_role {
    AIA_CHAT_SYSTEM = 0,
    AIA_CHAT_USER = 1,
    AIA_CHAT_ASSISTANT = 2,
} aia_chat_role;

typedef struct aia_chat_message {
    aia_chat_role role;
    const char *text; /* len bytes, NUL not required */
    size_t len;
} aia_chat_message;

typedef enum aia_chat_format {
    AIA_CHAT_FORMAT_CHATML = 0,
} aia_chat_format;

typedef struct aia_chat_template {
    aia_chat_format format;
    int recognised;       /* 1 when the GGUF's template was ChatML, 0 for the fallback */
    char *default_system; /* NULL when the template inserts none */
} aia_chat_template;

/* "system", "user", "assistant", and Gemini's "model" (= assistant). */
aia_status aia_chat_role_parse(const char *name, aia_chat_role *out, aia_error *err);

/* ChatML's name for a role: "system", "user", "assistant". */
const char *aia_chat_role_name(aia_chat_role role);

/* Reads a Jinja chat template (NULL or "" for none) into *out. Never fails
 * on content: unknown templates fall back to ChatML without a default
 * system message. RESOURCE_EXHAUSTED only. */
aia_status aia_chat_template_detect(const char *jinja, aia_chat_template *out, aia_error *err);

void aia_chat_template_free(aia_chat_template *tpl);

/* The prompt text (NUL-terminated, *len_out bytes). With
 * add_generation_prompt it ends with the assistant's opening. */
aia_status aia_chat_format_prompt(const aia_chat_template *tpl, const aia_chat_message *msgs, size_t n,
                                  int add_generation_prompt, char **out, size_t *len_out, aia_error *err);

/* The prompt's token ids. The markup's <|im_start|> / <|im_end|> become
 * their control ids while message texts are encoded as plain text, so a
 * user typing "<|im_start|>" cannot forge a turn. For texts without
 * control-token strings the ids equal encoding the formatted prompt with
 * parse_special. */
aia_status aia_chat_encode(const aia_chat_template *tpl, const aia_tokenizer *tok, const aia_chat_message *msgs,
                           size_t n, int add_generation_prompt, int32_t **ids_out, size_t *n_out,
                           aia_error *err);

#endif
