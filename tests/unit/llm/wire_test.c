/* tests/unit/llm/wire_test.c — lib/llm/wire: Gemini and OpenAI-compatible
 * request bodies, response and chunk parsing (over SSE and Gemini's JSON
 * array, split at every byte), upstream error mapping, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "lib/base/arena.h"
#include "lib/base/strbuf.h"
#include "lib/llm/sse.h"
#include "lib/llm/wire.h"
#include "lib/pbjson/json.h"
#include "tests/unit/llm/test_files.h"

static void expect_error(aia_status s, aia_status code, const aia_error *err, const char *fragment)
{
    if (s != code)
        fail_msg("status %s, wanted %s (message: %s)", aia_status_name(s), aia_status_name(code), err->message);
    if (fragment && !strstr(err->message, fragment))
        fail_msg("message \"%s\" does not mention \"%s\"", err->message, fragment);
}

/* ---- a stream consumer as the providers will use it -------------------------- */

typedef enum { GEMINI, OPENAI } provider;

typedef struct collected {
    provider prov;
    aia_arena arena;
    aia_strbuf text;
    aia_llm_finish finish;
    const char *finish_raw;
    int has_usage;
    aia_llm_usage usage;
    int done;
    int chunks;
} collected;

static aia_status take_chunk(collected *c, const char *json, size_t len, aia_error *err)
{
    aia_llm_chunk ch;
    aia_status st = c->prov == GEMINI ? aia_llm_gemini_parse_response(json, len, &c->arena, &ch, err)
                                      : aia_llm_openai_parse_chunk(json, len, &c->arena, &ch, err);
    if (st != AIA_OK) return st;
    c->chunks++;
    aia_strbuf_append(&c->text, ch.text, ch.text_len);
    if (ch.finish != AIA_LLM_FINISH_NONE) {
        c->finish = ch.finish;
        c->finish_raw = ch.finish_raw;
    }
    if (ch.has_usage) { /* running totals: the last one wins */
        c->has_usage = 1;
        c->usage = ch.usage;
    }
    if (ch.done) c->done = 1;
    return AIA_OK;
}

static aia_status on_sse(void *user, const aia_sse_event *ev, aia_error *err)
{
    return take_chunk(user, ev->data, ev->data_len, err);
}

static aia_status on_element(void *user, const char *json, size_t len, aia_error *err)
{
    return take_chunk(user, json, len, err);
}

static void collected_init(collected *c, provider p)
{
    memset(c, 0, sizeof *c);
    c->prov = p;
    aia_arena_init(&c->arena, 0);
    aia_strbuf_init(&c->text);
}

static void collected_free(collected *c)
{
    aia_arena_destroy(&c->arena);
    aia_strbuf_free(&c->text);
}

/* Feeds `s` over SSE cut at `cut` (n for none); the stream must end cleanly. */
static void run_sse(collected *c, const char *s, size_t n, size_t cut)
{
    aia_sse_parser p;
    aia_sse_init(&p, 0, on_sse, c);
    aia_error err;
    if (aia_sse_feed(&p, s, cut, &err) != AIA_OK || aia_sse_feed(&p, s + cut, n - cut, &err) != AIA_OK)
        fail_msg("cut at %zu: %s", cut, err.message);
    assert_false(aia_sse_truncated(&p));
    aia_sse_free(&p);
}

static void check_gemini_stream(const collected *c, size_t cut)
{
    if (strcmp(aia_strbuf_cstr(&c->text), "The capital of France is \"Paris\" [sic] {ok}.\n") != 0)
        fail_msg("cut at %zu: text \"%s\"", cut, aia_strbuf_cstr(&c->text));
    assert_int_equal(c->chunks, 3);
    assert_int_equal(c->finish, AIA_LLM_FINISH_STOP);
    assert_string_equal(c->finish_raw, "STOP");
    assert_true(c->has_usage);
    assert_int_equal(c->usage.prompt_tokens, 9);
    assert_int_equal(c->usage.output_tokens, 10);
    assert_int_equal(c->usage.total_tokens, 19);
}

static void test_gemini_sse_every_split(void **state)
{
    (void)state;
    size_t n;
    char *s = wire_fixture("gemini_stream.sse", &n);
    for (size_t cut = 0; cut <= n; cut++) {
        collected c;
        collected_init(&c, GEMINI);
        run_sse(&c, s, n, cut);
        check_gemini_stream(&c, cut);
        collected_free(&c);
    }
    free(s);
}

static void test_gemini_running_usage_totals(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_llm_chunk ch;
    aia_error err;
    const char *first = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],"
                        "\"usageMetadata\":{\"promptTokenCount\":9,\"totalTokenCount\":9}}";
    assert_int_equal(aia_llm_gemini_parse_response(first, strlen(first), &a, &ch, &err), AIA_OK);
    assert_true(ch.has_usage);
    assert_int_equal(ch.usage.prompt_tokens, 9);
    assert_int_equal(ch.usage.output_tokens, 0); /* absent count is 0 */
    assert_int_equal(ch.usage.total_tokens, 9);
    assert_int_equal(ch.finish, AIA_LLM_FINISH_NONE);
    const char *none = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]}}]}";
    assert_int_equal(aia_llm_gemini_parse_response(none, strlen(none), &a, &ch, &err), AIA_OK);
    assert_false(ch.has_usage);
    /* thought parts are not answer text */
    const char *thought = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hmm\",\"thought\":true},"
                          "{\"text\":\"yes\"}]}}]}";
    assert_int_equal(aia_llm_gemini_parse_response(thought, strlen(thought), &a, &ch, &err), AIA_OK);
    assert_string_equal(ch.text, "yes");
    aia_arena_destroy(&a);
}

static void json_array_run(collected *c, const char *s, size_t n, const size_t *cuts, size_t n_cuts, int *complete)
{
    aia_llm_json_array_stream js;
    aia_llm_json_array_init(&js, 0, on_element, c);
    aia_error err;
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : n;
        if (aia_llm_json_array_feed(&js, s + at, end - at, &err) != AIA_OK) fail_msg("%s", err.message);
        at = end;
    }
    *complete = aia_llm_json_array_complete(&js);
    aia_llm_json_array_free(&js);
}

static void test_gemini_json_array_every_split(void **state)
{
    (void)state;
    size_t n;
    char *s = wire_fixture("gemini_stream.json", &n);
    int complete = 0;
    for (size_t cut = 0; cut <= n; cut++) {
        collected c;
        collected_init(&c, GEMINI);
        json_array_run(&c, s, n, &cut, 1, &complete);
        assert_true(complete);
        check_gemini_stream(&c, cut);
        collected_free(&c);
    }
    size_t *every = malloc(n * sizeof *every);
    for (size_t i = 0; i < n; i++) every[i] = i;
    collected c;
    collected_init(&c, GEMINI);
    json_array_run(&c, s, n, every, n, &complete);
    assert_true(complete);
    check_gemini_stream(&c, 1);
    collected_free(&c);
    /* cut short: elements so far arrived, the array is not complete */
    collected_init(&c, GEMINI);
    json_array_run(&c, s, n / 2, NULL, 0, &complete);
    assert_false(complete);
    assert_true(c.chunks >= 1 && c.chunks < 3);
    collected_free(&c);
    free(every);
    free(s);
}

static aia_status array_feed(const char *s, size_t max, int *elements, int *complete, aia_error *err)
{
    collected c;
    collected_init(&c, GEMINI);
    aia_llm_json_array_stream js;
    aia_llm_json_array_init(&js, max, on_element, &c);
    aia_status st = aia_llm_json_array_feed(&js, s, strlen(s), err);
    *elements = c.chunks;
    *complete = aia_llm_json_array_complete(&js);
    aia_llm_json_array_free(&js);
    collected_free(&c);
    return st;
}

static void test_json_array_bad_streams(void **state)
{
    (void)state;
    aia_error err;
    int n, complete;
    assert_int_equal(array_feed(" [ ] ", 0, &n, &complete, &err), AIA_OK);
    assert_true(complete);
    assert_int_equal(n, 0);
    expect_error(array_feed("{\"candidates\":[]}", 0, &n, &complete, &err), AIA_INTERNAL, &err,
                 "byte 0 (element 0): expected '[' opening the array");
    expect_error(array_feed("[{}, 3]", 0, &n, &complete, &err), AIA_INTERNAL, &err,
                 "byte 5 (element 1): expected an object element");
    expect_error(array_feed("[{},]", 0, &n, &complete, &err), AIA_INTERNAL, &err, "expected an object element");
    expect_error(array_feed("[{} {}]", 0, &n, &complete, &err), AIA_INTERNAL, &err,
                 "expected ',' or ']' after an element");
    expect_error(array_feed("[{}] x", 0, &n, &complete, &err), AIA_INTERNAL, &err, "bytes after the closing ']'");
    /* an element that is not JSON is caught by the strict parser */
    expect_error(array_feed("[{\"a\":tru}]", 0, &n, &complete, &err), AIA_INTERNAL, &err, "line 1, column");
    /* the bound */
    expect_error(array_feed("[{\"text\":\"0123456789012345678901234567890123456789\"}]", 32, &n, &complete, &err),
                 AIA_RESOURCE_EXHAUSTED, &err, "element larger than the configured maximum");
    /* brackets and escaped quotes inside strings do not end the element */
    assert_int_equal(array_feed("[{\"x\":\"}]\\\"}\"},{\"y\":[{}]}]", 0, &n, &complete, &err), AIA_OK);
    assert_int_equal(n, 2);
    assert_true(complete);
}

static void parse_gemini_file(const char *name, aia_arena *a, aia_llm_chunk *ch)
{
    size_t n;
    char *s = wire_fixture(name, &n);
    aia_error err;
    if (aia_llm_gemini_parse_response(s, n, a, ch, &err) != AIA_OK) fail_msg("%s: %s", name, err.message);
    free(s);
}

static void test_gemini_safety_and_other_stops(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_llm_chunk ch;
    aia_llm_result res;
    memset(&res, 0, sizeof res);
    parse_gemini_file("gemini_safety.json", &a, &ch);
    assert_int_equal(ch.finish, AIA_LLM_FINISH_SAFETY);
    assert_string_equal(ch.finish_raw, "SAFETY");
    assert_string_equal(ch.text, "I can");
    assert_int_equal(ch.usage.total_tokens, 14);
    assert_int_equal(ch.n_safety, 2);
    assert_string_equal(ch.safety[0].category, "HARM_CATEGORY_DANGEROUS_CONTENT");
    assert_string_equal(ch.safety[0].probability, "HIGH");
    assert_true(ch.safety[0].blocked && !ch.safety[1].blocked);
    assert_null(ch.finish_message);
    aia_llm_result_take(&res, &ch);
    assert_int_equal(res.finish, AIA_LLM_FINISH_SAFETY);
    assert_string_equal(res.finish_message, "SAFETY"); /* no message: the raw reason explains */
    assert_int_equal(res.n_safety, 2);
    assert_string_equal(res.safety[1].category, "HARM_CATEGORY_HATE_SPEECH");
    parse_gemini_file("gemini_prompt_blocked.json", &a, &ch);
    assert_int_equal(ch.finish, AIA_LLM_FINISH_SAFETY);
    assert_string_equal(ch.finish_raw, "PROHIBITED_CONTENT");
    assert_string_equal(ch.text, "");
    assert_int_equal(ch.usage.prompt_tokens, 7);
    assert_int_equal(ch.n_safety, 1); /* the prompt feedback's ratings */
    assert_string_equal(ch.safety[0].category, "HARM_CATEGORY_SEXUALLY_EXPLICIT");
    static const struct {
        const char *reason;
        aia_llm_finish want;
    } cases[] = {{"MAX_TOKENS", AIA_LLM_FINISH_MAX_TOKENS}, {"RECITATION", AIA_LLM_FINISH_OTHER},
                 {"LANGUAGE", AIA_LLM_FINISH_OTHER},        {"BLOCKLIST", AIA_LLM_FINISH_SAFETY},
                 {"SPII", AIA_LLM_FINISH_SAFETY},           {"MALFORMED_FUNCTION_CALL", AIA_LLM_FINISH_OTHER},
                 {"FINISH_REASON_UNSPECIFIED", AIA_LLM_FINISH_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[200];
        snprintf(buf, sizeof buf, "{\"candidates\":[{\"finishReason\":\"%s\"}]}", cases[i].reason);
        aia_error err;
        assert_int_equal(aia_llm_gemini_parse_response(buf, strlen(buf), &a, &ch, &err), AIA_OK);
        if (ch.finish != cases[i].want)
            fail_msg("%s gave %s", cases[i].reason, aia_llm_finish_name(ch.finish));
    }
    aia_arena_destroy(&a);
}

/* The end of a call folds chunk by chunk: finish and its message, the
 * last usage, the response id, the last ratings; long strings are cut on a
 * UTF-8 boundary. */
static void test_result_folds_chunks(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_llm_chunk ch;
    aia_llm_result res;
    aia_error err;
    memset(&res, 0, sizeof res);
    const char *first = "{\"responseId\":\"r-1\",\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},"
                        "\"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"probability\":\"LOW\"}]}],"
                        "\"usageMetadata\":{\"promptTokenCount\":3,\"totalTokenCount\":4}}";
    assert_int_equal(aia_llm_gemini_parse_response(first, strlen(first), &a, &ch, &err), AIA_OK);
    assert_string_equal(ch.response_id, "r-1");
    aia_llm_result_take(&res, &ch);
    const char *last = "{\"candidates\":[{\"finishReason\":\"RECITATION\",\"finishMessage\":\"recited \u00e9\"}],"
                       "\"usageMetadata\":{\"promptTokenCount\":3,\"totalTokenCount\":9}}";
    assert_int_equal(aia_llm_gemini_parse_response(last, strlen(last), &a, &ch, &err), AIA_OK);
    aia_llm_result_take(&res, &ch);
    assert_int_equal(res.finish, AIA_LLM_FINISH_OTHER);
    assert_string_equal(res.finish_message, "recited \xc3\xa9");
    assert_int_equal(res.usage.total_tokens, 9); /* running totals: the last */
    assert_string_equal(res.response_id, "r-1");
    assert_int_equal(res.n_safety, 1); /* a chunk without ratings keeps the earlier ones */
    assert_string_equal(res.safety[0].probability, "LOW");
    /* STOP carries no message; an over-long id is cut before a split character. */
    char big[600];
    memset(big, 0, sizeof big);
    strcpy(big, "{\"id\":\"");
    size_t n = strlen(big);
    for (int i = 0; i < 200; i++, n += 2) memcpy(big + n, "\xc3\xa9", 2);
    strcpy(big + n, "\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}");
    assert_int_equal(aia_llm_openai_parse_chunk(big, strlen(big), &a, &ch, &err), AIA_OK);
    aia_llm_result_take(&res, &ch);
    assert_int_equal(res.finish, AIA_LLM_FINISH_STOP);
    assert_string_equal(res.finish_message, "");
    assert_int_equal(strlen(res.response_id), sizeof res.response_id - 2); /* 126 bytes: 63 whole characters */
    assert_int_equal(aia_json_utf8_check(res.response_id, strlen(res.response_id)), strlen(res.response_id));
    aia_arena_destroy(&a);
}

/* ---- request bodies ---------------------------------------------------------------- */

static const unsigned char k_png[] = {0x89, 'P', 'N', 'G', 0x00, 0xfe, 0xff};
static const char *const k_stops[] = {"\n\nUser:", "say \"end\""};

static void full_request(aia_llm_request *req, aia_llm_content *contents, aia_llm_part *parts,
                         aia_llm_safety_setting *safety)
{
    memset(req, 0, sizeof *req);
    parts[0] = (aia_llm_part){.kind = AIA_LLM_PART_TEXT, .text = "What is in this image?", .text_len = 22};
    parts[1] = (aia_llm_part){.kind = AIA_LLM_PART_INLINE_DATA, .mime_type = "image/png", .data = k_png,
                              .data_len = sizeof k_png};
    parts[2] = (aia_llm_part){.kind = AIA_LLM_PART_TEXT, .text = "A cat.\t\"Meow\"", .text_len = 13};
    parts[3] = (aia_llm_part){.kind = AIA_LLM_PART_TEXT, .text = "And now? \xe2\x82\xac", .text_len = 12};
    contents[0] = (aia_llm_content){.role = "user", .parts = parts, .n_parts = 2};
    contents[1] = (aia_llm_content){.role = "model", .parts = parts + 2, .n_parts = 1};
    contents[2] = (aia_llm_content){.role = "user", .parts = parts + 3, .n_parts = 1};
    safety[0] = (aia_llm_safety_setting){"HARM_CATEGORY_HATE_SPEECH", "BLOCK_ONLY_HIGH"};
    req->model = "gemini-2.5-flash";
    req->contents = contents;
    req->n_contents = 3;
    req->system_instruction = "Be brief.";
    req->config = (aia_llm_generation_config){.has_temperature = 1, .temperature = 0.7, .has_top_p = 1,
                                              .top_p = 0.95, .has_top_k = 1, .top_k = 40,
                                              .has_max_output_tokens = 1, .max_output_tokens = 256,
                                              .has_seed = 1, .seed = 42, .stop_sequences = k_stops,
                                              .n_stop_sequences = 2};
    req->safety = safety;
    req->n_safety = 1;
}

static void assert_valid_json(const char *s)
{
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_json_value *v;
    aia_error err;
    if (aia_json_parse(s, strlen(s), 0, &a, &v, &err) != AIA_OK) fail_msg("invalid JSON %s: %s", s, err.message);
    aia_arena_destroy(&a);
}

static void test_gemini_request_encoding(void **state)
{
    (void)state;
    aia_llm_request req;
    aia_llm_content contents[3];
    aia_llm_part parts[4];
    aia_llm_safety_setting safety[1];
    full_request(&req, contents, parts, safety);
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_llm_gemini_build_request(&req, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb),
                        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"What is in this image?\"},"
                        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORwD+/w==\"}}]},"
                        "{\"role\":\"model\",\"parts\":[{\"text\":\"A cat.\\t\\\"Meow\\\"\"}]},"
                        "{\"role\":\"user\",\"parts\":[{\"text\":\"And now? \xe2\x82\xac\"}]}],"
                        "\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},"
                        "\"generationConfig\":{\"temperature\":0.7,\"topP\":0.95,\"topK\":40,"
                        "\"maxOutputTokens\":256,\"seed\":42,\"stopSequences\":[\"\\n\\nUser:\",\"say \\\"end\\\"\"]},"
                        "\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HATE_SPEECH\","
                        "\"threshold\":\"BLOCK_ONLY_HIGH\"}]}");
    assert_valid_json(aia_strbuf_cstr(&sb));
    /* base64 of 1 and 2 trailing bytes, and of nothing */
    aia_llm_part one = {.kind = AIA_LLM_PART_INLINE_DATA, .mime_type = "application/octet-stream",
                        .data = (const unsigned char *)"ab", .data_len = 2};
    aia_llm_content c1 = {.role = "user", .parts = &one, .n_parts = 1};
    aia_llm_request r1 = {.model = "m", .contents = &c1, .n_contents = 1};
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_gemini_build_request(&r1, &sb, &err), AIA_OK);
    assert_non_null(strstr(aia_strbuf_cstr(&sb), "\"data\":\"YWI=\""));
    one.data_len = 1;
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_gemini_build_request(&r1, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb), "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"inlineData\":"
                                              "{\"mimeType\":\"application/octet-stream\",\"data\":\"YQ==\"}}]}]}");
    /* Labels close the body; the OpenAI body ignores them. */
    const aia_llm_label labels[] = {{"team", "fraud-ml"}, {"r\xc3\xa9gion", ""}};
    r1.labels = labels;
    r1.n_labels = 2;
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_gemini_build_request(&r1, &sb, &err), AIA_OK);
    assert_non_null(strstr(aia_strbuf_cstr(&sb), "}]}],\"labels\":{\"team\":\"fraud-ml\",\"r\xc3\xa9gion\":\"\"}}"));
    assert_valid_json(aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
}

/* Vertex's label rules, with what is wrong named. */
static void test_label_rules(void **state)
{
    (void)state;
    char why[96];
    assert_int_equal(aia_llm_check_label("team", "fraud-ml_2", why, sizeof why), 0);
    assert_int_equal(aia_llm_check_label("\xc3\xa9t\xc3\xa9", "", why, sizeof why), 0); /* international */
    static const struct {
        const char *key, *value, *why;
    } bad[] = {
        {"", "v", "key is empty"},
        {"Team", "v", "key holds a character other than lowercase letters, digits, '_' and '-'"},
        {"1st", "v", "key does not start with a letter"},
        {"_x", "v", "key does not start with a letter"},
        {"k", "a b", "value holds a character other than lowercase letters, digits, '_' and '-'"},
        {"k", "\xff", "value is not UTF-8"},
        {"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "v", "key is longer than 63 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aia_llm_check_label(bad[i].key, bad[i].value, why, sizeof why), -1);
        assert_string_equal(why, bad[i].why);
    }
}

static void test_request_validation(void **state)
{
    (void)state;
    aia_llm_request req;
    aia_llm_content contents[3];
    aia_llm_part parts[4];
    aia_llm_safety_setting safety[1];
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_error err;

    full_request(&req, contents, parts, safety);
    contents[1].role = "assistant";
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "contents[1].role: must be \"user\" or \"model\", got \"assistant\"");
    full_request(&req, contents, parts, safety);
    parts[3].text = "bad \xc3\x28 utf8";
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "contents[2].parts[0].text: not valid UTF-8 at byte 4");
    contents[0].n_parts = 1; /* text only, so the OpenAI builder reaches contents[2] */
    expect_error(aia_llm_openai_build_request(&req, 1, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "contents[2].parts.text: not valid UTF-8 at byte 4");
    full_request(&req, contents, parts, safety);
    parts[1].mime_type = "";
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "contents[0].parts[1].inline_data.mime_type: required");
    full_request(&req, contents, parts, safety);
    contents[2].n_parts = 0;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "contents[2].parts: at least one part is required");
    full_request(&req, contents, parts, safety);
    req.n_contents = 0;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err, "contents: at least one");
    full_request(&req, contents, parts, safety);
    req.config.temperature = NAN;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "generation_config.temperature: must be finite");
    full_request(&req, contents, parts, safety);
    req.config.top_p = 1.5;
    contents[0].n_parts = 1;
    expect_error(aia_llm_openai_build_request(&req, 0, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "generation_config.top_p: must be in [0, 1], got 1.5");
    full_request(&req, contents, parts, safety);
    req.config.top_k = 0;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err, "top_k: must be >= 1");
    full_request(&req, contents, parts, safety);
    req.config.max_output_tokens = -3;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "max_output_tokens: must be >= 1, got -3");
    full_request(&req, contents, parts, safety);
    req.config.seed = 1LL << 40;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "generation_config.seed: Gemini takes a 32-bit seed");
    full_request(&req, contents, parts, safety);
    static const char *const empty_stop[] = {""};
    req.config.stop_sequences = empty_stop;
    req.config.n_stop_sequences = 1;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "generation_config.stop_sequences[0]: empty");
    full_request(&req, contents, parts, safety);
    safety[0].threshold = NULL;
    expect_error(aia_llm_gemini_build_request(&req, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "safety_settings[0]: category and threshold are required");
    full_request(&req, contents, parts, safety);
    expect_error(aia_llm_openai_build_request(&req, 1, &sb, &err), AIA_INVALID_ARGUMENT, &err,
                 "contents[0].parts[1]: OpenAI-compatible providers take text parts only");
    full_request(&req, contents, parts, safety);
    req.model = "";
    expect_error(aia_llm_openai_build_request(&req, 1, &sb, &err), AIA_INVALID_ARGUMENT, &err, "model: required");
    aia_strbuf_free(&sb);
}

static void test_gemini_count_tokens(void **state)
{
    (void)state;
    aia_llm_part part = {.kind = AIA_LLM_PART_TEXT, .text = "hi", .text_len = 2};
    aia_llm_content c = {.role = "user", .parts = &part, .n_parts = 1};
    aia_llm_request req = {.model = "gemini-2.5-flash", .contents = &c, .n_contents = 1};
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_llm_gemini_build_count_tokens(AIA_LLM_GEMINI_API, &req, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb), "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}");
    req.system_instruction = "sys";
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_gemini_build_count_tokens(AIA_LLM_GEMINI_VERTEX, &req, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb), "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
                                              "\"systemInstruction\":{\"parts\":[{\"text\":\"sys\"}]}}");
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_gemini_build_count_tokens(AIA_LLM_GEMINI_API, &req, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb),
                        "{\"generateContentRequest\":{\"model\":\"models/gemini-2.5-flash\","
                        "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
                        "\"systemInstruction\":{\"parts\":[{\"text\":\"sys\"}]}}}");
    assert_valid_json(aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);

    int64_t total = -1;
    const char *ok = "{\"totalTokens\": 31, \"totalBillableCharacters\": 80}";
    assert_int_equal(aia_llm_gemini_parse_count_tokens(ok, strlen(ok), &total, &err), AIA_OK);
    assert_int_equal(total, 31);
    const char *missing = "{}";
    expect_error(aia_llm_gemini_parse_count_tokens(missing, 2, &total, &err), AIA_INTERNAL, &err,
                 "field \"totalTokens\" missing");
    const char *frac = "{\"totalTokens\": 3.5}";
    expect_error(aia_llm_gemini_parse_count_tokens(frac, strlen(frac), &total, &err), AIA_INTERNAL, &err,
                 "field \"totalTokens\": 3.5 is not a token count");
    const char *e = "{\"error\":{\"code\":404,\"message\":\"Publisher Model `text-bison` not found.\","
                    "\"status\":\"NOT_FOUND\"}}";
    expect_error(aia_llm_gemini_parse_count_tokens(e, strlen(e), &total, &err), AIA_NOT_FOUND, &err,
                 "text-bison` not found");
}

/* ---- OpenAI-compatible ------------------------------------------------------------------ */

static void test_openai_stream_every_split(void **state)
{
    (void)state;
    size_t n;
    char *s = wire_fixture("openai_stream.sse", &n);
    for (size_t cut = 0; cut <= n; cut++) {
        collected c;
        collected_init(&c, OPENAI);
        run_sse(&c, s, n, cut);
        assert_string_equal(aia_strbuf_cstr(&c.text), "Paris is the capital.\n");
        assert_int_equal(c.chunks, 6);
        assert_int_equal(c.finish, AIA_LLM_FINISH_STOP);
        assert_string_equal(c.finish_raw, "stop");
        assert_true(c.has_usage);
        assert_int_equal(c.usage.prompt_tokens, 14);
        assert_int_equal(c.usage.output_tokens, 6);
        assert_int_equal(c.usage.total_tokens, 20);
        assert_true(c.done);
        collected_free(&c);
    }
    free(s);
}

static void test_openai_response_and_finishes(void **state)
{
    (void)state;
    size_t n;
    char *s = wire_fixture("openai_length.json", &n);
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_llm_chunk ch;
    aia_error err;
    assert_int_equal(aia_llm_openai_parse_response(s, n, &a, &ch, &err), AIA_OK);
    assert_string_equal(ch.text, "Once upon a");
    assert_int_equal(ch.finish, AIA_LLM_FINISH_MAX_TOKENS);
    assert_string_equal(ch.finish_raw, "length");
    assert_true(ch.has_usage);
    assert_int_equal(ch.usage.prompt_tokens, 5);
    assert_int_equal(ch.usage.output_tokens, 3);
    assert_int_equal(ch.usage.total_tokens, 8);
    free(s);
    static const struct {
        const char *reason;
        aia_llm_finish want;
    } cases[] = {{"stop", AIA_LLM_FINISH_STOP},
                 {"length", AIA_LLM_FINISH_MAX_TOKENS},
                 {"content_filter", AIA_LLM_FINISH_SAFETY},
                 {"tool_calls", AIA_LLM_FINISH_OTHER}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[200];
        snprintf(buf, sizeof buf, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"%s\"}]}",
                 cases[i].reason);
        assert_int_equal(aia_llm_openai_parse_chunk(buf, strlen(buf), &a, &ch, &err), AIA_OK);
        assert_int_equal(ch.finish, cases[i].want);
        assert_false(ch.done);
    }
    /* a usage-only final chunk: empty choices */
    const char *u = "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}";
    assert_int_equal(aia_llm_openai_parse_chunk(u, strlen(u), &a, &ch, &err), AIA_OK);
    assert_int_equal(ch.finish, AIA_LLM_FINISH_NONE);
    assert_int_equal(ch.text_len, 0);
    assert_true(ch.has_usage);
    assert_int_equal(ch.usage.total_tokens, 7);
    assert_int_equal(aia_llm_openai_parse_chunk("[DONE]", 6, &a, &ch, &err), AIA_OK);
    assert_true(ch.done);
    aia_arena_destroy(&a);
}

static void test_openai_request_encoding(void **state)
{
    (void)state;
    aia_llm_request req;
    aia_llm_content contents[3];
    aia_llm_part parts[4];
    aia_llm_safety_setting safety[1];
    full_request(&req, contents, parts, safety);
    contents[0].n_parts = 1; /* text only */
    req.model = "smollm2";
    req.config.temperature = 0.1;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_llm_openai_build_request(&req, 1, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb),
                        "{\"model\":\"smollm2\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        "{\"role\":\"user\",\"content\":\"What is in this image?\"},"
                        "{\"role\":\"assistant\",\"content\":\"A cat.\\t\\\"Meow\\\"\"},"
                        "{\"role\":\"user\",\"content\":\"And now? \xe2\x82\xac\"}],"
                        "\"temperature\":0.1,\"top_p\":0.95,\"top_k\":40,\"max_tokens\":256,\"seed\":42,"
                        "\"stop\":[\"\\n\\nUser:\",\"say \\\"end\\\"\"],"
                        "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assert_valid_json(aia_strbuf_cstr(&sb));
    /* proto floats widened to double print as the float's shortest decimal */
    full_request(&req, contents, parts, safety);
    contents[0].n_parts = 1;
    req.config.temperature = (double)0.7f;
    req.config.top_p = 0.123456789012345; /* not a float: full double precision */
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_openai_build_request(&req, 0, &sb, &err), AIA_OK);
    assert_non_null(strstr(aia_strbuf_cstr(&sb), "\"temperature\":0.7,\"top_p\":0.123456789012345,"));
    /* two text parts of one content are joined; no options, no stream */
    aia_llm_part two[2] = {{.kind = AIA_LLM_PART_TEXT, .text = "ab", .text_len = 2},
                           {.kind = AIA_LLM_PART_TEXT, .text = "cd", .text_len = 2}};
    aia_llm_content c = {.role = "user", .parts = two, .n_parts = 2};
    aia_llm_request r = {.model = "m", .contents = &c, .n_contents = 1};
    aia_strbuf_reset(&sb);
    assert_int_equal(aia_llm_openai_build_request(&r, 0, &sb, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&sb), "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}]}");
    aia_strbuf_free(&sb);
}

/* ---- upstream errors ------------------------------------------------------------------- */

static void test_http_status_mapping(void **state)
{
    (void)state;
    static const struct {
        long http;
        aia_status want;
        int retry;
        const char *google_status;
    } cases[] = {
        {400, AIA_INVALID_ARGUMENT, 0, "INVALID_ARGUMENT"}, {401, AIA_UNAUTHENTICATED, 0, "UNAUTHENTICATED"},
        {403, AIA_PERMISSION_DENIED, 0, "PERMISSION_DENIED"}, {404, AIA_NOT_FOUND, 0, "NOT_FOUND"},
        {429, AIA_RESOURCE_EXHAUSTED, 1, "RESOURCE_EXHAUSTED"}, {500, AIA_UNAVAILABLE, 1, "INTERNAL"},
        {502, AIA_UNAVAILABLE, 1, "UNAVAILABLE"},           {503, AIA_UNAVAILABLE, 1, "UNAVAILABLE"},
        {504, AIA_UNAVAILABLE, 1, "DEADLINE_EXCEEDED"},     {409, AIA_UNKNOWN, 0, "ABORTED"},
        {302, AIA_UNKNOWN, 0, "FOUND"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[300], want[300];
        aia_error err;
        int retry = -1;
        snprintf(body, sizeof body, "{\"error\":{\"code\":%ld,\"message\":\"google says %ld\",\"status\":\"%s\"}}",
                 cases[i].http, cases[i].http, cases[i].google_status);
        assert_int_equal(aia_llm_error_from_http(cases[i].http, body, strlen(body), &err, &retry), cases[i].want);
        assert_int_equal(err.code, cases[i].want);
        assert_int_equal(retry, cases[i].retry);
        assert_int_equal(aia_llm_http_retryable(cases[i].http), cases[i].retry);
        snprintf(want, sizeof want, "upstream HTTP %ld %s: google says %ld", cases[i].http, cases[i].google_status,
                 cases[i].http);
        assert_string_equal(err.message, want);

        snprintf(body, sizeof body,
                 "{\"error\":{\"message\":\"openai says %ld\",\"type\":\"server_error\",\"param\":null,\"code\":null}}",
                 cases[i].http);
        retry = -1;
        assert_int_equal(aia_llm_error_from_http(cases[i].http, body, strlen(body), &err, &retry), cases[i].want);
        assert_int_equal(retry, cases[i].retry);
        snprintf(want, sizeof want, "upstream HTTP %ld server_error: openai says %ld", cases[i].http, cases[i].http);
        assert_string_equal(err.message, want);
    }
}

static void test_error_bodies_not_json(void **state)
{
    (void)state;
    aia_error err;
    int retry;
    const char *html = "<html><body>502 Bad Gateway\r\n</body></html>";
    assert_int_equal(aia_llm_error_from_http(502, html, strlen(html), &err, &retry), AIA_UNAVAILABLE);
    assert_string_equal(err.message, "upstream HTTP 502: <html><body>502 Bad Gateway?\?</body></html>");
    assert_true(retry);
    assert_int_equal(aia_llm_error_from_http(503, NULL, 0, &err, NULL), AIA_UNAVAILABLE);
    assert_string_equal(err.message, "upstream HTTP 503: (empty body)");
    const char *bare = "{\"error\":\"model 'llama3' not found\"}"; /* Ollama's shape */
    assert_int_equal(aia_llm_error_from_http(404, bare, strlen(bare), &err, NULL), AIA_NOT_FOUND);
    assert_string_equal(err.message, "upstream HTTP 404: model 'llama3' not found");
    char big[1000];
    memset(big, 'z', sizeof big);
    assert_int_equal(aia_llm_error_from_http(400, big, sizeof big, &err, NULL), AIA_INVALID_ARGUMENT);
    assert_int_equal(strlen(err.message), strlen("upstream HTTP 400: ") + 200 + 3);
}

static void test_error_inside_stream(void **state)
{
    (void)state;
    const char *s = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\n"
                    "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\n\n";
    collected c;
    collected_init(&c, GEMINI);
    aia_sse_parser p;
    aia_sse_init(&p, 0, on_sse, &c);
    aia_error err;
    expect_error(aia_sse_feed(&p, s, strlen(s), &err), AIA_UNAVAILABLE, &err,
                 "upstream error 503 UNAVAILABLE: The model is overloaded.");
    assert_string_equal(aia_strbuf_cstr(&c.text), "a");
    aia_sse_free(&p);
    collected_free(&c);
    /* no HTTP code: the gRPC status name decides */
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_llm_chunk ch;
    const char *e = "{\"error\":{\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
    expect_error(aia_llm_openai_parse_chunk(e, strlen(e), &a, &ch, &err), AIA_RESOURCE_EXHAUSTED, &err,
                 "upstream error RESOURCE_EXHAUSTED: quota");
    const char *o = "{\"error\":{\"message\":\"context too long\",\"type\":\"invalid_request_error\"}}";
    expect_error(aia_llm_openai_parse_chunk(o, strlen(o), &a, &ch, &err), AIA_UNKNOWN, &err,
                 "upstream error invalid_request_error: context too long");
    aia_arena_destroy(&a);
}

/* ---- malformed upstream documents ------------------------------------------------------- */

static void test_malformed_documents(void **state)
{
    (void)state;
    aia_arena a;
    aia_arena_init(&a, 0);
    aia_llm_chunk ch;
    aia_error err;
    static const struct {
        provider prov;
        const char *doc;
        const char *fragment;
    } cases[] = {
        {GEMINI, "{\"candidates\": [", "upstream response: line 1, column 17: field \"candidates[0]\": unexpected end of input"},
        {GEMINI, "", "upstream response: line 1, column 1"},
        {GEMINI, "[]", "field \"(top level)\": expected an object"},
        {GEMINI, "{\"candidates\": {}}", "field \"candidates\": expected an array"},
        {GEMINI, "{\"candidates\": [3]}", "field \"candidates[0]\": expected an object"},
        {GEMINI, "{\"candidates\": [{\"content\": []}]}", "field \"candidates[0].content\": expected an object"},
        {GEMINI, "{\"candidates\": [{\"content\": {\"parts\": {}}}]}", "candidates[0].content.parts\": expected an array"},
        {GEMINI, "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": 5}]}}]}", "parts[].text\": expected a string"},
        {GEMINI, "{\"candidates\": [{\"finishReason\": 1}]}", "candidates[0].finishReason\": expected a string"},
        {GEMINI, "{\"usageMetadata\": {\"promptTokenCount\": \"9\"}}", "usageMetadata.promptTokenCount\": expected a number"},
        {GEMINI, "{\"usageMetadata\": {\"totalTokenCount\": -1}}", "usageMetadata.totalTokenCount\": -1 is not a token count"},
        {GEMINI, "{\"usageMetadata\": {\"totalTokenCount\": 99999999999999999999}}", "is not a token count"},
        {GEMINI, "{\"a\":1,\"a\":2}", "duplicate key"},
        {GEMINI, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\xff\"}]}}]}", "UTF-8"},
        {OPENAI, "{\"choices\": [{\"delta\": {\"content\": 1}}]}", "field \"choices[0].delta.content\": expected a string"},
        {OPENAI, "{\"choices\": [{\"delta\": []}]}", "field \"choices[0].delta\": expected an object"},
        {OPENAI, "{\"choices\": 1}", "field \"choices\": expected an array"},
        {OPENAI, "{\"usage\": []}", "field \"usage\": expected an object"},
        {OPENAI, "{\"usage\": {\"completion_tokens\": 1.5}}", "usage.completion_tokens\": 1.5 is not a token count"},
        {OPENAI, "[DONE] ", "upstream response: line 1, column 2"},
        {OPENAI, "{\"choices\": [{\"finish_reason\": true}]}", "choices[0].finish_reason\": expected a string"},
        {OPENAI, "{\"id\": 7}", "field \"id\": expected a string"},
        {GEMINI, "{\"responseId\": []}", "field \"responseId\": expected a string"},
        {GEMINI, "{\"candidates\": [{\"safetyRatings\": {}}]}", "candidates[0].safetyRatings\": expected an array"},
        {GEMINI, "{\"candidates\": [{\"safetyRatings\": [1]}]}", "expected an array of objects"},
        {GEMINI, "{\"candidates\": [{\"safetyRatings\": [{\"category\": 2}]}]}", "safetyRatings[].category\": expected a string"},
        {GEMINI, "{\"candidates\": [{\"finishMessage\": false}]}", "candidates[0].finishMessage\": expected a string"},
        {GEMINI, "{\"promptFeedback\": {\"blockReason\": \"SAFETY\", \"safetyRatings\": 3}}", "promptFeedback.safetyRatings\": expected an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aia_status st = cases[i].prov == GEMINI
                            ? aia_llm_gemini_parse_response(cases[i].doc, strlen(cases[i].doc), &a, &ch, &err)
                            : aia_llm_openai_parse_chunk(cases[i].doc, strlen(cases[i].doc), &a, &ch, &err);
        if (st != AIA_INTERNAL || !strstr(err.message, cases[i].fragment))
            fail_msg("case %zu (%s): %s \"%s\", wanted INTERNAL mentioning \"%s\"", i, cases[i].doc,
                     aia_status_name(st), err.message, cases[i].fragment);
    }
    aia_arena_destroy(&a);
}

/* Every prefix of every fixture: an error or a result, never a crash. */
static void test_prefixes_never_crash(void **state)
{
    (void)state;
    static const char *const files[] = {"gemini_stream.json", "gemini_safety.json", "gemini_prompt_blocked.json",
                                        "openai_length.json"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        char *s = wire_fixture(files[f], &n);
        for (size_t len = 0; len < n; len++) {
            aia_arena a;
            aia_arena_init(&a, 0);
            aia_llm_chunk ch;
            aia_error err;
            char *copy = malloc(len ? len : 1); /* exact size, so ASan sees any overread */
            memcpy(copy, s, len);
            (void)aia_llm_gemini_parse_response(copy, len, &a, &ch, &err);
            (void)aia_llm_openai_parse_response(copy, len, &a, &ch, &err);
            (void)aia_llm_error_from_http(500, copy, len, &err, NULL);
            free(copy);
            aia_arena_destroy(&a);
        }
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemini_sse_every_split),
        cmocka_unit_test(test_gemini_running_usage_totals),
        cmocka_unit_test(test_gemini_json_array_every_split),
        cmocka_unit_test(test_json_array_bad_streams),
        cmocka_unit_test(test_gemini_safety_and_other_stops),
        cmocka_unit_test(test_result_folds_chunks),
        cmocka_unit_test(test_label_rules),
        cmocka_unit_test(test_gemini_request_encoding),
        cmocka_unit_test(test_request_validation),
        cmocka_unit_test(test_gemini_count_tokens),
        cmocka_unit_test(test_openai_stream_every_split),
        cmocka_unit_test(test_openai_response_and_finishes),
        cmocka_unit_test(test_openai_request_encoding),
        cmocka_unit_test(test_http_status_mapping),
        cmocka_unit_test(test_error_bodies_not_json),
        cmocka_unit_test(test_error_inside_stream),
        cmocka_unit_test(test_malformed_documents),
        cmocka_unit_test(test_prefixes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
