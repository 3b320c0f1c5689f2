/* Unit tests for lib/llm/route: the default table (the seed's Gemini, PaLM
 * and Codey names to Vertex, local/ to the embedded model), longest-match
 * and literal-over-prefix precedence, prefix stripping, configured routes
 * overriding defaults, and every malformed spec named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/llm/route.h"

static aia_llm_route route_of(const aia_llm_routes *r, const char *model)
{
    aia_llm_route out;
    aia_error err;
    aia_status st = aia_llm_route_find(r, model, &out, &err);
    if (st != AIA_OK) fail_msg("%s: %s", model, err.message);
    return out;
}

static void default_table(void **state)
{
    (void)state;
    aia_llm_routes *r = NULL;
    aia_error err;
    assert_int_equal(aia_llm_routes_create(NULL, &r, &err), AIA_OK);
    static const char *const vertex[] = {"gemini-1.5-pro", "gemini-2.5-flash", "text-bison@002", "chat-bison",
                                         "code-bison-32k", "codechat-bison@001", "code-gecko", "text-unicorn"};
    for (size_t i = 0; i < sizeof vertex / sizeof vertex[0]; i++) {
        aia_llm_route rt = route_of(r, vertex[i]);
        assert_int_equal(rt.provider, AIA_LLM_PROVIDER_VERTEX);
        assert_string_equal(rt.upstream_name, vertex[i]); /* sent as given */
    }
    aia_llm_route rt = route_of(r, "local/smollm2-135m-instruct");
    assert_int_equal(rt.provider, AIA_LLM_PROVIDER_LOCAL);
    assert_string_equal(rt.upstream_name, "smollm2-135m-instruct");
    rt = route_of(r, "openai/llama3.1:8b");
    assert_int_equal(rt.provider, AIA_LLM_PROVIDER_OPENAI);
    assert_string_equal(rt.upstream_name, "llama3.1:8b");
    rt = route_of(r, "gemini-api/gemini-2.0-flash");
    assert_int_equal(rt.provider, AIA_LLM_PROVIDER_GEMINI_API); /* longer than "gemini-*" */
    assert_string_equal(rt.upstream_name, "gemini-2.0-flash");

    aia_llm_route none;
    assert_int_equal(aia_llm_route_find(r, "gpt-4o", &none, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "gpt-4o"));
    assert_non_null(strstr(err.message, "gemini-*"));
    assert_int_equal(aia_llm_route_find(r, "", &none, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_llm_route_find(r, "local/", &none, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no model name after \"local/\""));
    assert_true(aia_llm_routes_count(r) >= 10);
    assert_string_equal(aia_llm_routes_pattern(r, 0), "local/*");
    assert_null(aia_llm_routes_pattern(r, 1000));
    aia_llm_routes_free(r);
}

static void configured_routes(void **state)
{
    (void)state;
    aia_llm_routes *r = NULL;
    aia_error err;
    assert_int_equal(aia_llm_routes_create(" my-llm = openai , acme/*=openai:strip,gemini-*=gemini-api", &r, &err),
                     AIA_INVALID_ARGUMENT); /* spaces around '=' are part of the names */
    assert_int_equal(aia_llm_routes_create("my-llm=openai, acme/*=openai:strip ,gemini-*=gemini-api,gemini-1.5-pro=vertex",
                                           &r, &err),
                     AIA_OK);
    aia_llm_route rt = route_of(r, "my-llm");
    assert_int_equal(rt.provider, AIA_LLM_PROVIDER_OPENAI);
    assert_string_equal(rt.upstream_name, "my-llm");
    aia_llm_route none;
    assert_int_equal(aia_llm_route_find(r, "my-llm-2", &none, &err), AIA_NOT_FOUND); /* a literal is exact */
    rt = route_of(r, "acme/big");
    assert_string_equal(rt.upstream_name, "big");
    assert_int_equal(route_of(r, "gemini-2.5-flash").provider, AIA_LLM_PROVIDER_GEMINI_API); /* overridden */
    assert_int_equal(route_of(r, "gemini-1.5-pro").provider, AIA_LLM_PROVIDER_VERTEX);     /* literal wins */
    aia_llm_routes_free(r);
}

static void malformed_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"nothing", "expected pattern=provider"},
        {"=local", "expected pattern=provider"},
        {"a*b=local", "'*' may only end the pattern"},
        {"x=ollama", "unknown provider \"ollama\""},
        {"x=local:keep", "unknown option \"keep\""},
        {"x=local,y=vertex,x=openai", "pattern \"x\" given twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aia_llm_routes *r = (aia_llm_routes *)1;
        aia_error err;
        assert_int_equal(aia_llm_routes_create(bad[i].spec, &r, &err), AIA_INVALID_ARGUMENT);
        assert_null(r);
        if (!strstr(err.message, bad[i].says)) fail_msg("%s: '%s' lacks '%s'", bad[i].spec, err.message, bad[i].says);
    }
    assert_int_equal(aia_llm_provider_parse("vertex"), AIA_LLM_PROVIDER_VERTEX);
    assert_int_equal(aia_llm_provider_parse("nope"), 0);
    assert_string_equal(aia_llm_provider_name(AIA_LLM_PROVIDER_GEMINI_API), "gemini-api");
    assert_null(aia_llm_provider_name(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_table),
        cmocka_unit_test(configured_routes),
        cmocka_unit_test(malformed_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
