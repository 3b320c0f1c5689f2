/* lib/llm/auth.h — Google OAuth2 access tokens for Vertex AI.
 *
 * Two sources:
 *   - a service-account key file (JSON with client_email, private_key as
 *     PEM, token_uri): we sign a JWT with RS256 (header {"alg":"RS256",
 *     "typ":"JWT"}; claims iss = client_email, scope = cloud-platform, aud =
 *     token_uri, iat = now, exp = iat + 3600) with OpenSSL and POST it as
 *     grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=...
 *     to token_uri;
 *   - the GCE/GKE metadata server (workload identity): GET
 *     http://{host}/computeMetadata/v1/instance/service-accounts/default/token
 *     with "Metadata-Flavor: Google", host from GCE_METADATA_HOST or
 *     metadata.google.internal.
 * Both answer {"access_token", "expires_in", "token_type"}.
 *
 * The token is cached and refreshed 5 minutes before it expires; callers
 * that ask while a refresh is in flight wait for that same refresh (one
 * request upstream however many callers).
 *
 * Requests go through an aia_http_client (borrowed: it must outlive the
 * aia_auth). aia_auth_get is asynchronous so that it can be used from the
 * HTTP thread itself (e.g. before a retry).
 *
 * Thread-safety: every function may be called from any thread, except
 * aia_auth_token (blocking) which must not run on the HTTP thread, and
 * aia_auth_free which must not race with other calls on the same object.
 */
#ifndef AIA_LLM_AUTH_H
#define AIA_LLM_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/llm/http.h"

typedef struct aia_auth aia_auth;

#define AIA_AUTH_SCOPE "https://www.googleapis.com/auth/cloud-platform"
#define AIA_AUTH_REFRESH_MARGIN_S 300
#define AIA_AUTH_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"

/* Reads and checks a service-account key file (the private key is parsed
 * now, so a bad key fails here). Errors: NOT_FOUND / PERMISSION_DENIED for
 * the file, INVALID_ARGUMENT naming the missing or bad field. */
aia_status aia_auth_new_service_account(const char *key_path, aia_http_client *http, aia_auth **out,
                                        aia_error *err);

/* Same, from the key file's bytes. */
aia_status aia_auth_new_service_account_json(const char *json, size_t len, aia_http_client *http,
                                             aia_auth **out, aia_error *err);

/* The metadata server at `host` ("host[:port]"; NULL → $GCE_METADATA_HOST,
 * else metadata.google.internal). */
aia_status aia_auth_new_metadata(const char *host, aia_http_client *http, aia_auth **out, aia_error *err);

/* Receives a token: on AIA_OK `token` is the access token (valid during the
 * call: copy it), else err says why (the token endpoint's HTTP error mapped
 * as in lib/llm/wire.h, UNAVAILABLE for network failures, INTERNAL for an
 * unreadable answer). */
typedef void (*aia_auth_token_fn)(void *user, aia_status status, const char *token, const aia_error *err);

/* Calls fn exactly once: inside this call when the cached token is fresh,
 * else later on the HTTP thread when the (shared) refresh ends. */
void aia_auth_get(aia_auth *a, aia_auth_token_fn fn, void *user);

/* Blocking form: copies the token into out. Not on the HTTP thread. */
aia_status aia_auth_token(aia_auth *a, aia_strbuf *out, aia_error *err);

/* Token requests sent so far (for tests and metrics). */
uint64_t aia_auth_refreshes(aia_auth *a);

/* Frees a; no aia_auth_get may be pending. NULL is a no-op. */
void aia_auth_free(aia_auth *a);

/* The signed JWT assertion for a key (exposed for tests): appends
 * base64url(header).base64url(claims).base64url(signature) to out. */
aia_status aia_auth_service_account_jwt(const char *client_email, const char *private_key_pem,
                                        const char *token_uri, int64_t iat, aia_strbuf *out, aia_error *err);

#endif
