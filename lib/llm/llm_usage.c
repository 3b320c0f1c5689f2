/* lib/llm/llm_usage.c — per-caller concurrency limits and token usage per
 * model and caller, rendered for SystemService.GetMetrics. One lock: every
 * critical section is a short list walk (callers and models are few). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "lib/llm/llm_internal.h"

static llm_caller *caller_locked(aia_llm *l, const char *name)
{
    llm_caller *c = l->callers;
    while (c && strcmp(c->name, name) != 0) c = c->next;
    if (!c && (c = calloc(1, sizeof *c))) {
        snprintf(c->name, sizeof c->name, "%s", name);
        c->next = l->callers;
        l->callers = c;
    }
    return c;
}

aia_status llm_call_begin(aia_llm *l, const char *caller, aia_error *err)
{
    pthread_mutex_lock(&l->mu);
    llm_caller *c = caller_locked(l, caller);
    aia_status st = AIA_OK;
    if (!c) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    else if (c->in_flight >= l->max_per_caller)
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                           "caller \"%s\" already has %d LLM calls in flight (the limit per caller)",
                           caller[0] ? caller : "(anonymous)", l->max_per_caller);
    else c->in_flight++;
    pthread_mutex_unlock(&l->mu);
    return st;
}

void llm_call_refused(aia_llm *l, const char *caller)
{
    pthread_mutex_lock(&l->mu);
    llm_caller *c = caller_locked(l, caller);
    if (c && c->in_flight > 0) c->in_flight--;
    pthread_mutex_unlock(&l->mu);
}

static llm_usage_row *row_locked(aia_llm *l, const char *model, const char *caller)
{
    llm_usage_row *r = l->usage;
    while (r && (strcmp(r->model, model) != 0 || strcmp(r->caller, caller) != 0)) r = r->next;
    if (!r && (r = calloc(1, sizeof *r))) {
        snprintf(r->model, sizeof r->model, "%s", model);
        snprintf(r->caller, sizeof r->caller, "%s", caller);
        r->next = l->usage;
        l->usage = r;
    }
    return r;
}

void llm_call_ended(aia_llm *l, const char *caller, const char *model, aia_status status, const aia_llm_usage *usage)
{
    pthread_mutex_lock(&l->mu);
    llm_caller *c = caller_locked(l, caller);
    if (c && c->in_flight > 0) c->in_flight--;
    llm_usage_row *r = row_locked(l, model, caller);
    if (r) {
        if (usage) {
            r->prompt_tokens += usage->prompt_tokens;
            r->output_tokens += usage->output_tokens;
        }
        if ((unsigned)status < sizeof r->calls / sizeof r->calls[0]) r->calls[status]++;
    }
    pthread_mutex_unlock(&l->mu);
}

void llm_usage_free(aia_llm *l)
{
    for (llm_caller *c = l->callers, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    for (llm_usage_row *r = l->usage, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    l->callers = NULL;
    l->usage = NULL;
}

/* Label values are ours or the caller's metadata: escape for Prometheus. */
static void label(aia_strbuf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') aia_strbuf_putc(out, '\\');
        if (*v == '\n') {
            aia_strbuf_puts(out, "\\n");
            continue;
        }
        aia_strbuf_putc(out, *v);
    }
}

static void row_labels(aia_strbuf *out, const char *metric, const llm_usage_row *r)
{
    aia_strbuf_printf(out, "%s{model=\"", metric);
    label(out, r->model);
    aia_strbuf_puts(out, "\",caller=\"");
    label(out, r->caller);
}

/* Each family's samples come together after its HELP and TYPE, as the
 * Prometheus text format requires. */
void aia_llm_metrics_render(aia_llm *l, aia_strbuf *out)
{
    static const char *const kinds[] = {"prompt", "output"};
    pthread_mutex_lock(&l->mu);
    aia_strbuf_puts(out, "# HELP aia_llm_tokens_total LLM tokens by model, caller and kind (prompt, output).\n"
                         "# TYPE aia_llm_tokens_total counter\n");
    for (const llm_usage_row *r = l->usage; r; r = r->next) {
        int64_t values[] = {r->prompt_tokens, r->output_tokens};
        for (int k = 0; k < 2; k++) {
            row_labels(out, "aia_llm_tokens_total", r);
            aia_strbuf_printf(out, "\",kind=\"%s\"} %lld\n", kinds[k], (long long)values[k]);
        }
    }
    aia_strbuf_puts(out, "# HELP aia_llm_calls_total LLM calls by model, caller and final status.\n"
                         "# TYPE aia_llm_calls_total counter\n");
    for (const llm_usage_row *r = l->usage; r; r = r->next)
        for (size_t s = 0; s < sizeof r->calls / sizeof r->calls[0]; s++) {
            if (!r->calls[s]) continue;
            row_labels(out, "aia_llm_calls_total", r);
            aia_strbuf_printf(out, "\",status=\"%s\"} %lld\n", aia_status_name((aia_status)s),
                              (long long)r->calls[s]);
        }
    pthread_mutex_unlock(&l->mu);
}
