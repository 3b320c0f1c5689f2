/* lib/llm/auth_jwt.c — the RS256 JWT assertion of a service-account key. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/auth.h"

/* base64url without padding (RFC 7515 section 2). */
static void b64url(aia_strbuf *out, const unsigned char *bytes, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)bytes[i] << 16 | (unsigned)bytes[i + 1] << 8 | bytes[i + 2];
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
        aia_strbuf_append(out, q, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)bytes[i] << 16;
        char q[2] = {tab[v >> 18], tab[(v >> 12) & 63]};
        aia_strbuf_append(out, q, 2);
    } else if (n - i == 2) {
        unsigned v = (unsigned)bytes[i] << 16 | (unsigned)bytes[i + 1] << 8;
        char q[3] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63]};
        aia_strbuf_append(out, q, 3);
    }
}

static aia_status sign_rs256(const char *pem, const char *msg, size_t len, aia_strbuf *out, aia_error *err) {
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) return aia_error_set(err, AIA_INVALID_ARGUMENT, "private_key: not a PEM private key");
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "private_key: not an RSA key (RS256 needs one)");
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = 0;
    unsigned char *sig = NULL;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)msg, len) == 1 &&
             (sig = malloc(sig_len)) != NULL &&
             EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)msg, len) == 1;
    if (ok) b64url(out, sig, sig_len);
    free(sig);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) return aia_error_set(err, AIA_INTERNAL, "JWT: RS256 signing failed (OpenSSL)");
    return out->oom ? aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "JWT: out of memory") : AIA_OK;
}

aia_status aia_auth_service_account_jwt(const char *client_email, const char *private_key_pem,
                                        const char *token_uri, int64_t iat, aia_strbuf *out, aia_error *err) {
    static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    aia_strbuf claims = AIA_STRBUF_INIT;
    aia_strbuf_puts(&claims, "{\"iss\":");
    aia_strbuf_json_string(&claims, client_email, strlen(client_email));
    aia_strbuf_puts(&claims, ",\"scope\":\"" AIA_AUTH_SCOPE "\",\"aud\":");
    aia_strbuf_json_string(&claims, token_uri, strlen(token_uri));
    aia_strbuf_printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", (long long)iat, (long long)iat + 3600);
    size_t start = out->len;
    b64url(out, (const unsigned char *)header, sizeof header - 1);
    aia_strbuf_putc(out, '.');
    b64url(out, (const unsigned char *)claims.data, claims.len);
    int oom = claims.oom || out->oom;
    aia_strbuf_free(&claims);
    if (oom) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "JWT: out of memory");
    /* The signing input is everything appended so far; copy it, since
     * appending the signature may move the buffer. */
    size_t n = out->len - start;
    char *input = malloc(n + 1);
    if (!input) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "JWT: out of memory");
    memcpy(input, out->data + start, n);
    aia_strbuf_putc(out, '.');
    aia_status st = sign_rs256(private_key_pem, input, n, out, err);
    free(input);
    return st;
}
