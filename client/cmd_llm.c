/* client/cmd_llm.c — `aia llm generate|models|count` over
 * aia.v1.LLMService.
 *
 * generate sends one user message (the PROMPT argument) with an optional
 * system instruction and sampling settings. Without --stream it calls
 * Generate and prints the text; with --stream it calls StreamGenerate and
 * prints each piece the moment it arrives (stdout flushed per message). In
 * both cases the finish reason, usage, model and provider go to stderr at
 * the end, so stdout holds the generated text alone. --json prints the
 * response message(s) instead, one JSON document per line.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aia/v1/llm.pb-c.h"
#include "client/cli_commands.h"
#include "client/cli_format.h"
#include "client/cli_groups.h"
#include "client/cli_output.h"
#include "client/cli_rpc.h"
#include "google/protobuf/wrappers.pb-c.h"

#define LLM_SERVICE (&aia__v1__llmservice__descriptor)
#define MAX_STOPS 16

/* What a request borrows from argv, on the stack. */
typedef struct llm_request {
    Aia__V1__Part part, sys_part;
    Aia__V1__Part *parts[1], *sys_parts[1];
    Aia__V1__Content content, system;
    Aia__V1__Content *contents[1];
    Aia__V1__GenerationConfig config;
    Google__Protobuf__FloatValue temperature, top_p;
    Google__Protobuf__Int32Value top_k, max_tokens, seed;
    char *stops[MAX_STOPS];
} llm_request;

static int parse_float(const char *what, const char *s, double lo, double hi, float *out, aia_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi) {
        aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid %s \"%s\": expected a number in [%g, %g]", what, s, lo, hi);
        return -1;
    }
    *out = (float)v;
    return 0;
}

static int opt_float(const aia_cli_sub *s, const char *name, double lo, double hi, Google__Protobuf__FloatValue *w,
                     Google__Protobuf__FloatValue **field, aia_error *err)
{
    const char *v = aia_cli_opt(s, name);
    if (!v) return 0;
    google__protobuf__float_value__init(w);
    if (parse_float(name, v, lo, hi, &w->value, err) != 0) return -1;
    *field = w;
    return 0;
}

static int opt_int32(const aia_cli_sub *s, const char *name, long long lo, Google__Protobuf__Int32Value *w,
                     Google__Protobuf__Int32Value **field, aia_error *err)
{
    long long v = 0;
    if (!aia_cli_opt(s, name)) return 0;
    if (aia_cli_opt_int(s, name, lo, INT32_MAX, &v, err) != 0) return -1;
    google__protobuf__int32_value__init(w);
    w->value = (int32_t)v;
    *field = w;
    return 0;
}

static int build_config(const aia_cli_sub *s, llm_request *r, aia_error *err)
{
    Aia__V1__GenerationConfig *c = &r->config;
    aia__v1__generation_config__init(c);
    if (opt_float(s, "--temperature", 0, 100, &r->temperature, &c->temperature, err) != 0 ||
        opt_float(s, "--top-p", 0, 1, &r->top_p, &c->top_p, err) != 0 ||
        opt_int32(s, "--top-k", 1, &r->top_k, &c->top_k, err) != 0 ||
        opt_int32(s, "--max-tokens", 1, &r->max_tokens, &c->max_output_tokens, err) != 0 ||
        opt_int32(s, "--seed", INT32_MIN, &r->seed, &c->seed, err) != 0)
        return -1;
    size_t pos = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--stop", &pos));) {
        if (!*v || c->n_stop_sequences == MAX_STOPS) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, *v ? "at most %d --stop sequences" : "--stop is empty",
                          MAX_STOPS);
            return -1;
        }
        r->stops[c->n_stop_sequences++] = (char *)v;
    }
    c->stop_sequences = r->stops;
    return 0;
}

static void build_contents(const aia_cli_sub *s, llm_request *r)
{
    aia__v1__part__init(&r->part);
    r->part.data_case = AIA__V1__PART__DATA_TEXT;
    r->part.text = (char *)s->args[0];
    r->parts[0] = &r->part;
    aia__v1__content__init(&r->content);
    r->content.role = "user";
    r->content.parts = r->parts;
    r->content.n_parts = 1;
    r->contents[0] = &r->content;
    aia__v1__content__init(&r->system);
    const char *sys = aia_cli_opt(s, "--system");
    if (sys) {
        aia__v1__part__init(&r->sys_part);
        r->sys_part.data_case = AIA__V1__PART__DATA_TEXT;
        r->sys_part.text = (char *)sys;
        r->sys_parts[0] = &r->sys_part;
        r->system.parts = r->sys_parts;
        r->system.n_parts = 1;
    }
}

/* The end fields GenerateResponse and the last StreamGenerateResponse share. */
typedef struct llm_end {
    int finish;
    const char *finish_message;
    size_t n_ratings;
    Aia__V1__SafetyRating **ratings;
    const Aia__V1__TokenUsage *usage;
    const char *model, *provider;
} llm_end;

#define LLM_END_OF(m) \
    ((llm_end){(m)->finish_reason, (m)->finish_message, (m)->n_safety_ratings, (m)->safety_ratings, (m)->usage, \
               (m)->model, (m)->provider})

/* "finish SAFETY (why; blocked: HARASSMENT HIGH); tokens: ...; model M (provider)" on stderr. */
static void print_summary(FILE *errf, const llm_end *e)
{
    char buf[48];
    const Aia__V1__TokenUsage *u = e->usage;
    fprintf(errf, "finish %s",
            aia_cli_enum_name(&aia__v1__finish_reason__descriptor, e->finish, "FINISH_REASON_", buf, sizeof buf));
    const char *sep = " (";
    if (e->finish_message && e->finish_message[0]) {
        fprintf(errf, "%s%s", sep, e->finish_message);
        sep = "; ";
    }
    for (size_t i = 0; i < e->n_ratings; i++) {
        if (!e->ratings[i]->blocked) continue;
        char cat[48], prob[48];
        fprintf(errf, "%sblocked: %s %s", sep,
                aia_cli_enum_name(&aia__v1__harm_category__descriptor, e->ratings[i]->category, "HARM_CATEGORY_", cat,
                                  sizeof cat),
                aia_cli_enum_name(&aia__v1__harm_probability__descriptor, e->ratings[i]->probability,
                                  "HARM_PROBABILITY_", prob, sizeof prob));
        sep = "; ";
    }
    fprintf(errf, "%s; ", sep[0] == ';' ? ")" : "");
    if (u)
        fprintf(errf, "tokens: prompt %d, output %d, total %d", u->prompt_tokens, u->output_tokens, u->total_tokens);
    if (u && u->reasoning_tokens) fprintf(errf, " (reasoning %d)", u->reasoning_tokens);
    fprintf(errf, "; model %s (%s)\n", e->model, e->provider);
}

/* ---- generate --stream ------------------------------------------------------- */

typedef struct stream_print {
    const aia_cli_args *a;
    FILE *out;
    int ended_with_newline;
    Aia__V1__StreamGenerateResponse *last; /* unpacked copy of the final message */
    aia_status print_status;
    aia_error print_err;
} stream_print;

static int on_piece(const ProtobufCMessage *msg, void *user)
{
    stream_print *p = user;
    const Aia__V1__StreamGenerateResponse *m = (const Aia__V1__StreamGenerateResponse *)msg;
    if (p->a->json) {
        p->print_status = aia_cli_write_json(p->out, msg, p->a->pretty, &p->print_err);
        return p->print_status != AIA_OK;
    }
    size_t n = strlen(m->text);
    if (n) {
        fwrite(m->text, 1, n, p->out);
        fflush(p->out);
        p->ended_with_newline = m->text[n - 1] == '\n';
    }
    if (m->usage) { /* the last message: keep what the summary needs */
        uint8_t *buf = malloc(protobuf_c_message_get_packed_size(msg) + 1);
        if (buf) {
            size_t len = protobuf_c_message_pack(msg, buf);
            if (p->last) protobuf_c_message_free_unpacked(&p->last->base, NULL);
            p->last = aia__v1__stream_generate_response__unpack(NULL, len, buf);
            free(buf);
        }
    }
    return 0;
}

static int generate_stream(const aia_cli_args *a, Aia__V1__StreamGenerateRequest *req, FILE *out, FILE *errf)
{
    stream_print p = {.a = a, .out = out, .ended_with_newline = 1};
    aia_error err;
    aia_status st = aia_cli_rpc_stream(a, LLM_SERVICE, "StreamGenerate", &req->base,
                                       a->timeout_set ? a->timeout_seconds : 0, on_piece, &p, &err);
    if (!a->json && !p.ended_with_newline) fputc('\n', out);
    fflush(out);
    int rc = AIA_CLI_EXIT_OK;
    if (p.print_status != AIA_OK) {
        aia_cli_print_status_error(errf, p.print_status, p.print_err.message);
        rc = AIA_CLI_EXIT_FAILED;
    } else if (st != AIA_OK) {
        aia_cli_print_status_error(errf, st, err.message);
        rc = AIA_CLI_EXIT_FAILED;
    } else if (!a->json && p.last) {
        print_summary(errf, &LLM_END_OF(p.last));
    }
    if (p.last) protobuf_c_message_free_unpacked(&p.last->base, NULL);
    return rc;
}

static int cmd_generate(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    llm_request r;
    aia_error err;
    if (build_config(&a->sub, &r, &err) != 0) return aia_cli_usage_failed(errf, &err);
    build_contents(&a->sub, &r);
    const char *model = aia_cli_opt_or(&a->sub, "--model", "");
    if (aia_cli_flag(&a->sub, "--stream")) {
        Aia__V1__StreamGenerateRequest req = AIA__V1__STREAM_GENERATE_REQUEST__INIT;
        req.model = (char *)model;
        req.contents = r.contents;
        req.n_contents = 1;
        req.system_instruction = r.system.n_parts ? &r.system : NULL;
        req.generation_config = &r.config;
        return generate_stream(a, &req, out, errf);
    }
    Aia__V1__GenerateRequest req = AIA__V1__GENERATE_REQUEST__INIT;
    req.model = (char *)model;
    req.contents = r.contents;
    req.n_contents = 1;
    req.system_instruction = r.system.n_parts ? &r.system : NULL;
    req.generation_config = &r.config;
    ProtobufCMessage *resp = NULL;
    if (aia_cli_rpc_unary(a, LLM_SERVICE, "Generate", &req.base, &resp, errf) != 0) return AIA_CLI_EXIT_FAILED;
    int rc = AIA_CLI_EXIT_OK;
    const Aia__V1__GenerateResponse *g = (const Aia__V1__GenerateResponse *)resp;
    if (a->json) {
        rc = aia_cli_rpc_write_json(a, out, errf, resp);
    } else {
        size_t n = strlen(g->text);
        fprintf(out, "%s%s", g->text, n && g->text[n - 1] == '\n' ? "" : "\n");
        print_summary(errf, &LLM_END_OF(g));
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- models, count ------------------------------------------------------------ */

static void view_models(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__ListLLMModelsResponse *r = (const Aia__V1__ListLLMModelsResponse *)msg;
    static const char *const headers[] = {"NAME", "PROVIDER", "AVAILABLE", "CONTEXT", "MAX OUTPUT", "NOTE", NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < r->n_models; i++) {
        const Aia__V1__LLMModel *m = r->models[i];
        aia_cli_table_cell(t, "%s", m->name);
        aia_cli_table_cell(t, "%s", m->provider);
        aia_cli_table_cell(t, "%s", m->available ? "yes" : "no");
        if (m->context_window) aia_cli_table_cell(t, "%d", m->context_window);
        else aia_cli_table_cell(t, "-");
        if (m->max_output_tokens) aia_cli_table_cell(t, "%d", m->max_output_tokens);
        else aia_cli_table_cell(t, "-");
        aia_cli_table_cell(t, "%s", m->available ? (m->n_input_mime_types ? "text, images" : "text")
                                                 : m->unavailable_reason);
    }
    aia_cli_table_done(out, t, r->next_page_token);
}

static int cmd_models(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__ListLLMModelsRequest req = AIA__V1__LIST_LLMMODELS_REQUEST__INIT;
    aia_error err;
    const char *token;
    if (aia_cli_page_options(&a->sub, &req.page_size, &token, &err) != 0) return aia_cli_usage_failed(errf, &err);
    if (token) req.page_token = (char *)token;
    req.provider = (char *)aia_cli_opt_or(&a->sub, "--provider", "");
    return aia_cli_rpc_show(a, LLM_SERVICE, "ListLLMModels", &req.base, view_models, out, errf);
}

static void view_count(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__CountTokensResponse *r = (const Aia__V1__CountTokensResponse *)msg;
    fprintf(out, "%d\n", r->total_tokens);
}

static int cmd_count(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    llm_request r;
    build_contents(&a->sub, &r);
    Aia__V1__CountTokensRequest req = AIA__V1__COUNT_TOKENS_REQUEST__INIT;
    req.model = (char *)aia_cli_opt_or(&a->sub, "--model", "");
    req.contents = r.contents;
    req.n_contents = 1;
    req.system_instruction = r.system.n_parts ? &r.system : NULL;
    return aia_cli_rpc_show(a, LLM_SERVICE, "CountTokens", &req.base, view_count, out, errf);
}

/* ---- the table ------------------------------------------------------------------ */

static const aia_cli_option k_generate_options[] = {
    {"--model", AIA_CLI_VALUE}, {"--stream", AIA_CLI_FLAG},     {"--system", AIA_CLI_VALUE},
    {"--temperature", AIA_CLI_VALUE}, {"--top-p", AIA_CLI_VALUE}, {"--top-k", AIA_CLI_VALUE},
    {"--max-tokens", AIA_CLI_VALUE}, {"--stop", AIA_CLI_REPEAT}, {"--seed", AIA_CLI_VALUE},
    {NULL, 0},
};
static const aia_cli_option k_models_options[] = {{"--provider", AIA_CLI_VALUE}, AIA_CLI_PAGE_OPTIONS, {NULL, 0}};
static const aia_cli_option k_count_options[] = {{"--model", AIA_CLI_VALUE}, {"--system", AIA_CLI_VALUE},
                                                 {NULL, 0}};

static const aia_cli_subcommand k_commands[] = {
    {"generate", "PROMPT", "generate text from a prompt",
     "options:\n"
     "  --model M             model to call, e.g. gemini-2.5-flash, openai/gpt-4o-mini,\n"
     "                        local/smollm2-135m-instruct (default: the server's)\n"
     "  --stream              print the text as it is generated\n"
     "  --system TEXT         system instruction\n"
     "  --temperature X       sampling temperature (0 = greedy)\n"
     "  --top-p X             nucleus sampling, 0-1\n"
     "  --top-k N             sample among the N most likely tokens\n"
     "  --max-tokens N        most tokens to generate\n"
     "  --stop S              stop before S (repeatable)\n"
     "  --seed N              sampling seed, where the provider allows\n"
     "\n"
     "Prints the generated text on stdout; the finish reason, token usage, model\n"
     "and provider on stderr at the end. With --json the GenerateResponse (or, with\n"
     "--stream, one StreamGenerateResponse per line).\n",
     1, 1, k_generate_options, cmd_generate},
    {"models", "", "list the models the server can route to",
     "options:\n"
     "  --provider P          only vertex, gemini-api, openai or local\n" AIA_CLI_PAGE_HELP("models")
     "\n"
     "Prints a table: NAME, PROVIDER, AVAILABLE, CONTEXT, MAX OUTPUT, NOTE (what\n"
     "the model takes, or why it is unavailable); with --json the\n"
     "ListLLMModelsResponse.\n",
     0, 0, k_models_options, cmd_models},
    {"count", "PROMPT", "count the tokens a prompt takes with a model",
     "options:\n"
     "  --model M             model whose tokenizer counts (default: the server's)\n"
     "  --system TEXT         system instruction, counted with the prompt\n"
     "\n"
     "Prints the token count; with --json the CountTokensResponse.\n",
     1, 1, k_count_options, cmd_count},
};

const aia_cli_group aia_cli_llm_group = {
    "llm",
    "Large language models: generate (streaming), list models, count tokens.",
    k_commands,
    sizeof k_commands / sizeof k_commands[0],
};
