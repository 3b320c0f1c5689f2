/* lib/llm/route.h — which provider serves a model name.
 *
 * A routing table maps model-name patterns to providers. A pattern is a
 * literal name ("gemini-1.5-pro") or a prefix ending in '*' ("gemini-*"; written "\*" after a slash in this comment);
 * the longest matching pattern wins, a literal beating a prefix of the same
 * length. A route may strip a prefix before the name goes upstream:
 * "openai/\*" routes "openai/llama3" to the openai provider as "llama3".
 *
 * The default table (aia_llm_routes_default), documented in docs/llm.md:
 *
 *   pattern              provider     upstream name
 *   local/\*              local        the part after "local/"
 *   gemini-api/\*         gemini-api   the part after "gemini-api/"
 *   openai/\*             openai       the part after "openai/"
 *   gemini-*             vertex       as given
 *   text-bison*, chat-bison*, code-bison*, codechat-bison*, code-gecko*,
 *   text-unicorn*        vertex       as given (the seed's PaLM and Codey
 *                                     names: Google retired them, so Vertex
 *                                     answers NOT_FOUND, passed on as is)
 *
 * Configuration adds or overrides routes with a text spec:
 * "pattern=provider[:strip]" entries separated by commas, e.g.
 * "my-llm=openai,acme/\*=openai:strip"; ":strip" removes the pattern's
 * prefix (the part before '*') from the upstream name.
 *
 * Ownership: a table owns copies of its strings; aia_llm_route_find's
 * result points into the table and the model name. Thread-safety: a table
 * is immutable once built; any number of threads may look up at once.
 */
#ifndef AIA_LLM_ROUTE_H
#define AIA_LLM_ROUTE_H

#include <stddef.h>

#include "lib/base/status.h"

typedef enum aia_llm_provider_kind {
    AIA_LLM_PROVIDER_LOCAL = 1,
    AIA_LLM_PROVIDER_VERTEX = 2,
    AIA_LLM_PROVIDER_GEMINI_API = 3,
    AIA_LLM_PROVIDER_OPENAI = 4,
} aia_llm_provider_kind;

/* "local", "vertex", "gemini-api", "openai"; NULL for anything else. */
const char *aia_llm_provider_name(aia_llm_provider_kind kind);
/* The kind of a provider name, 0 when unknown. */
aia_llm_provider_kind aia_llm_provider_parse(const char *name);

typedef struct aia_llm_routes aia_llm_routes;

/* The default table plus `spec` (NULL or "" = none), whose entries take
 * precedence over defaults of the same pattern. INVALID_ARGUMENT names the
 * entry and why (empty pattern, '*' not last, unknown provider, unknown
 * option, a pattern given twice in the spec). */
aia_status aia_llm_routes_create(const char *spec, aia_llm_routes **out, aia_error *err);
void aia_llm_routes_free(aia_llm_routes *r);

typedef struct aia_llm_route {
    aia_llm_provider_kind provider;
    const char *pattern;       /* the route that matched */
    const char *upstream_name; /* points into the model name */
} aia_llm_route;

/* Routes a model name. NOT_FOUND when no pattern matches (listing the
 * patterns), INVALID_ARGUMENT for an empty name or an empty upstream name
 * after stripping ("local/"). */
aia_status aia_llm_route_find(const aia_llm_routes *r, const char *model, aia_llm_route *out, aia_error *err);

/* The table in match order, for ListLLMModels and docs. */
size_t aia_llm_routes_count(const aia_llm_routes *r);
const char *aia_llm_routes_pattern(const aia_llm_routes *r, size_t i);
aia_llm_provider_kind aia_llm_routes_provider(const aia_llm_routes *r, size_t i);

#endif
