/* tests/unit/llm/auth_test.c — Google OAuth2 tokens against the test
 * upstream: the RS256 JWT (checked here with OpenSSL's verify and by the
 * upstream's own verifier with the test key's public half), token caching,
 * refresh 5 minutes before expiry, one shared refresh for concurrent
 * callers, the metadata server (GCE_METADATA_HOST), and bad keys. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/base/arena.h"
#include "lib/base/strbuf.h"
#include "lib/llm/auth.h"
#include "lib/llm/http.h"
#include "lib/pbjson/json.h"
#include "tests/llm_upstream/upstream_proc.h"

#define SA_EMAIL "aia-test@aia-test.iam.gserviceaccount.com"

static upstream up;
static aia_http_client *http;
static char *pem;

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    aia_strbuf sb = AIA_STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) aia_strbuf_append(&sb, buf, n);
    fclose(f);
    return aia_strbuf_release(&sb, NULL);
}

/* A key file's JSON for the test key, with this token_uri path. */
static char *key_json(const char *email, const char *uri_path, const char *private_key) {
    aia_strbuf sb = AIA_STRBUF_INIT;
    char uri[256];
    snprintf(uri, sizeof uri, "%s%s", up.base_url, uri_path);
    aia_strbuf_puts(&sb, "{\"type\": \"service_account\", \"client_email\": ");
    aia_strbuf_json_string(&sb, email, strlen(email));
    aia_strbuf_puts(&sb, ", \"private_key\": ");
    aia_strbuf_json_string(&sb, private_key, strlen(private_key));
    aia_strbuf_puts(&sb, ", \"token_uri\": ");
    aia_strbuf_json_string(&sb, uri, strlen(uri));
    aia_strbuf_puts(&sb, "}");
    return aia_strbuf_release(&sb, NULL);
}

static aia_auth *sa_auth(const char *uri_path) {
    char *json = key_json(SA_EMAIL, uri_path, pem);
    aia_auth *a = NULL;
    aia_error err;
    aia_status st = aia_auth_new_service_account_json(json, strlen(json), http, &a, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    free(json);
    return a;
}

static size_t b64url_decode(const char *s, size_t n, unsigned char *out) {
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *p = strchr(tab, s[i]);
        assert_non_null(p);
        v = v << 6 | (unsigned)(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return o;
}

static void test_jwt_signed_and_claims(void **state) {
    aia_strbuf jwt = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_auth_service_account_jwt(SA_EMAIL, pem, "https://oauth2.example/token", 1700000000, &jwt,
                                                  &err),
                     AIA_OK);
    const char *s = aia_strbuf_cstr(&jwt);
    const char *d1 = strchr(s, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    assert_non_null(d2);
    unsigned char buf[1024];
    size_t n = b64url_decode(s, (size_t)(d1 - s), buf);
    assert_memory_equal(buf, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", n);
    n = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf);
    buf[n] = 0;
    aia_arena a;
    aia_arena_init(&a, 1024);
    aia_json_value *claims;
    assert_int_equal(aia_json_parse((char *)buf, n, 0, &a, &claims, &err), AIA_OK);
    assert_string_equal(aia_json_object_get(claims, "iss")->u.str, SA_EMAIL);
    assert_string_equal(aia_json_object_get(claims, "scope")->u.str, "https://www.googleapis.com/auth/cloud-platform");
    assert_string_equal(aia_json_object_get(claims, "aud")->u.str, "https://oauth2.example/token");
    assert_string_equal(aia_json_object_get(claims, "iat")->u.str, "1700000000");
    assert_string_equal(aia_json_object_get(claims, "exp")->u.str, "1700003600");
    aia_arena_destroy(&a);
    /* The signature verifies with the key's public half. */
    unsigned char sig[512];
    size_t sig_len = b64url_decode(d2 + 1, strlen(d2 + 1), sig);
    assert_int_equal(sig_len, 256);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)s, (size_t)(d2 - s)), 1);
    sig[10] ^= 1; /* and a changed signature does not */
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_not_equal(EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)s, (size_t)(d2 - s)), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    aia_strbuf_free(&jwt);
}

static void test_service_account_token_cached(void **state) {
    double before = upstream_stat(&up, "token_requests", NULL);
    long jwt_errors = upstream_stat_len(&up, "jwt_errors");
    aia_auth *a = sa_auth("/token");
    aia_strbuf t1 = AIA_STRBUF_INIT, t2 = AIA_STRBUF_INIT;
    aia_error err;
    aia_status st = aia_auth_token(a, &t1, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    assert_int_equal(strncmp(aia_strbuf_cstr(&t1), "tok-", 4), 0);
    assert_int_equal(aia_auth_token(a, &t2, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&t1), aia_strbuf_cstr(&t2));
    assert_int_equal(aia_auth_refreshes(a), 1);
    /* The upstream verified the JWT (signature and claims) and issued one token. */
    assert_true(upstream_stat(&up, "token_requests", NULL) == before + 1);
    assert_int_equal(upstream_stat_len(&up, "jwt_errors"), jwt_errors);
    aia_strbuf_free(&t1);
    aia_strbuf_free(&t2);
    aia_auth_free(a);
}

/* expires_in 301 s: fresh for 1 s, then inside the 5-minute margin. */
static void test_refresh_before_expiry(void **state) {
    aia_auth *a = sa_auth("/token?expires_in=301");
    aia_strbuf t1 = AIA_STRBUF_INIT, t2 = AIA_STRBUF_INIT, t3 = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_auth_token(a, &t1, &err), AIA_OK);
    assert_int_equal(aia_auth_token(a, &t2, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&t1), aia_strbuf_cstr(&t2));
    assert_int_equal(aia_auth_refreshes(a), 1);
    usleep(1300 * 1000);
    assert_int_equal(aia_auth_token(a, &t3, &err), AIA_OK);
    assert_int_equal(aia_auth_refreshes(a), 2);
    assert_string_not_equal(aia_strbuf_cstr(&t1), aia_strbuf_cstr(&t3));
    aia_strbuf_free(&t1);
    aia_strbuf_free(&t2);
    aia_strbuf_free(&t3);
    aia_auth_free(a);
}

typedef struct caller {
    aia_auth *a;
    aia_strbuf token;
    aia_status st;
} caller;

static void *call_token(void *arg) {
    caller *c = arg;
    aia_error err;
    c->st = aia_auth_token(c->a, &c->token, &err);
    return NULL;
}

static void test_concurrent_callers_share_refresh(void **state) {
    enum { N = 16 };
    aia_auth *a = sa_auth("/token");
    caller c[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        c[i] = (caller){a, AIA_STRBUF_INIT, AIA_UNKNOWN};
        pthread_create(&th[i], NULL, call_token, &c[i]);
    }
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].st, AIA_OK);
        assert_string_equal(aia_strbuf_cstr(&c[i].token), aia_strbuf_cstr(&c[0].token));
    }
    for (int i = 0; i < N; i++) aia_strbuf_free(&c[i].token);
    assert_int_equal(aia_auth_refreshes(a), 1);
    aia_auth_free(a);
}

static void test_metadata_server(void **state) {
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", up.port);
    setenv("GCE_METADATA_HOST", host, 1);
    aia_auth *a = NULL;
    aia_error err;
    assert_int_equal(aia_auth_new_metadata(NULL, http, &a, &err), AIA_OK);
    unsetenv("GCE_METADATA_HOST");
    aia_strbuf t = AIA_STRBUF_INIT;
    aia_status st = aia_auth_token(a, &t, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    assert_int_equal(strncmp(aia_strbuf_cstr(&t), "meta-", 5), 0);
    aia_strbuf_reset(&t);
    assert_int_equal(aia_auth_token(a, &t, &err), AIA_OK);
    assert_int_equal(aia_auth_refreshes(a), 1);
    aia_strbuf_free(&t);
    aia_auth_free(a);
}

static void test_rejected_assertion(void **state) {
    char *json = key_json("intruder@example.com", "/token", pem);
    aia_auth *a = NULL;
    aia_error err;
    assert_int_equal(aia_auth_new_service_account_json(json, strlen(json), http, &a, &err), AIA_OK);
    free(json);
    aia_strbuf t = AIA_STRBUF_INIT;
    assert_int_equal(aia_auth_token(a, &t, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "token endpoint"));
    assert_non_null(strstr(err.message, "invalid_grant"));
    aia_strbuf_free(&t);
    aia_auth_free(a);
}

static void test_unreachable_token_endpoint(void **state) {
    const char *json = "{\"client_email\": \"a@b\", \"token_uri\": \"http://127.0.0.1:1/token\", \"private_key\": \"X\"}";
    aia_auth *a = NULL;
    aia_error err;
    /* A bad private key fails at configuration time. */
    assert_int_equal(aia_auth_new_service_account_json(json, strlen(json), http, &a, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "private_key"));
    char *good = key_json(SA_EMAIL, "/token", pem);
    char *p = strstr(good, up.base_url);
    assert_non_null(p);
    char *fixed = NULL;
    assert_true(asprintf(&fixed, "%.*shttp://127.0.0.1:1/token\"}", (int)(p - good), good) > 0);
    assert_int_equal(aia_auth_new_service_account_json(fixed, strlen(fixed), http, &a, &err), AIA_OK);
    aia_strbuf t = AIA_STRBUF_INIT;
    assert_int_equal(aia_auth_token(a, &t, &err), AIA_UNAVAILABLE);
    assert_non_null(strstr(err.message, "127.0.0.1:1"));
    aia_strbuf_free(&t);
    aia_auth_free(a);
    free(good);
    free(fixed);
}

static void test_bad_keys(void **state) {
    aia_auth *a = NULL;
    aia_error err;
    const char *no_email = "{\"private_key\": \"x\"}";
    assert_int_equal(aia_auth_new_service_account_json(no_email, strlen(no_email), http, &a, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "client_email"));
    const char *not_json = "{\"client_email\": ";
    assert_int_equal(aia_auth_new_service_account_json(not_json, strlen(not_json), http, &a, &err),
                     AIA_INVALID_ARGUMENT);
    const char *number = "{\"client_email\": 3, \"private_key\": \"x\"}";
    assert_int_equal(aia_auth_new_service_account_json(number, strlen(number), http, &a, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "client_email"));
    assert_int_equal(aia_auth_new_service_account("/nonexistent/key.json", http, &a, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/key.json"));
    assert_null(a);
}

static void test_key_file(void **state) {
    char path[600];
    snprintf(path, sizeof path, "%s/key.json", up.dir);
    char *json = key_json(SA_EMAIL, "/token", pem);
    FILE *f = fopen(path, "w");
    fputs(json, f);
    fclose(f);
    free(json);
    aia_auth *a = NULL;
    aia_error err;
    assert_int_equal(aia_auth_new_service_account(path, http, &a, &err), AIA_OK);
    aia_strbuf t = AIA_STRBUF_INIT;
    assert_int_equal(aia_auth_token(a, &t, &err), AIA_OK);
    assert_int_equal(strncmp(aia_strbuf_cstr(&t), "tok-", 4), 0);
    aia_strbuf_free(&t);
    aia_auth_free(a);
}

static int setup(void **state) {
    char path[1024];
    pem = read_file(upstream_file("test_key.pem", path, sizeof path));
    aia_error err;
    if (aia_http_client_new(NULL, &http, &err) != AIA_OK) return -1;
    return upstream_start(&up, NULL);
}

static int teardown(void **state) {
    aia_http_client_free(http);
    upstream_stop(&up);
    free(pem);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_signed_and_claims),
        cmocka_unit_test(test_service_account_token_cached),
        cmocka_unit_test(test_refresh_before_expiry),
        cmocka_unit_test(test_concurrent_callers_share_refresh),
        cmocka_unit_test(test_metadata_server),
        cmocka_unit_test(test_rejected_assertion),
        cmocka_unit_test(test_unreachable_token_endpoint),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
