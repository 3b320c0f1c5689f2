/* lib/train/fetch.c — data URIs made local files, with the SHA-256 of
 * their bytes for the lineage. http(s) downloads go through libcurl into
 * the scratch directory, capped in size and time, and abortable.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/sha256.h"
#include "lib/train/train_internal.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* file://PATH or file://localhost/PATH, percent-decoded. */
static aia_status decode_file_uri(const char *field, const char *uri, char *out, size_t size, aia_error *err)
{
    const char *p = uri + strlen("file://");
    if (strncmp(p, "localhost/", 10) == 0) p += 9;
    if (*p != '/')
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: \"%s\": a file:// URI needs an absolute path (file:///data/x.csv)", field, uri);
    size_t n = 0;
    for (; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
            if (h < 0 || l < 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: \"%s\": bad percent escape", field, uri);
            c = h * 16 + l;
            if (c == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: \"%s\": %%00 in a path", field, uri);
            p += 2;
        }
        if (n + 1 >= size) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: path too long", field);
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return AIA_OK;
}

aia_status train_uri_classify(const char *field, const char *uri, int *kind, char *path_out, size_t size,
                              aia_error *err)
{
    if (!uri || !*uri) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: empty", field);
    const char *colon = strstr(uri, "://");
    if (!colon) {
        *kind = 0;
        if (strlen(uri) >= size) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: path too long", field);
        snprintf(path_out, size, "%s", uri);
        return AIA_OK;
    }
    if (strncmp(uri, "file://", 7) == 0) {
        *kind = 1;
        return decode_file_uri(field, uri, path_out, size, err);
    }
    if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0) {
        *kind = 2;
        return AIA_OK;
    }
    if (strncmp(uri, "gs://", 5) == 0)
        return aia_error_set(err, AIA_UNIMPLEMENTED,
                             "%s: gs:// data needs the GCS backend, which is not built yet; use a local path, "
                             "file:// or http(s)://",
                             field);
    if (strncmp(uri, "s3://", 5) == 0)
        return aia_error_set(err, AIA_UNIMPLEMENTED,
                             "%s: s3:// data needs the S3 backend, which is not built yet; use a local path, "
                             "file:// or http(s)://",
                             field);
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "%s: unsupported scheme in \"%.*s\" (use a local path, file://, http:// or https://)", field,
                         (int)(colon - uri + 3), uri);
}

/* ---- http(s) -------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct download {
    FILE *f;
    int64_t bytes, cap;
    int over_cap, write_failed;
    int (*stop)(void *);
    void *stop_arg;
    int stopped;
} download;

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    download *d = arg;
    size_t n = size * nmemb;
    if (d->bytes + (int64_t)n > d->cap) {
        d->over_cap = 1;
        return 0;
    }
    if (fwrite(data, 1, n, d->f) != n) {
        d->write_failed = 1;
        return 0;
    }
    d->bytes += (int64_t)n;
    return n;
}

static int on_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    download *d = arg;
    if (d->stop && d->stop(d->stop_arg)) d->stopped = 1;
    return d->stopped;
}

static aia_status curl_status(const char *field, const char *uri, CURLcode rc, const download *d, long timeout_ms,
                              aia_error *err)
{
    if (d->stopped) return aia_error_set(err, AIA_CANCELLED, "%s: fetching %s: cancelled", field, uri);
    if (d->over_cap)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: fetching %s: larger than the %lld-byte limit", field,
                             uri, (long long)d->cap);
    if (d->write_failed)
        return aia_error_set(err, AIA_INTERNAL, "%s: fetching %s: writing the download failed", field, uri);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return aia_error_set(err, AIA_DEADLINE_EXCEEDED, "%s: fetching %s: no complete answer within %ld ms", field,
                             uri, timeout_ms);
    return aia_error_set(err, AIA_UNAVAILABLE, "%s: fetching %s: %s", field, uri, curl_easy_strerror(rc));
}

static aia_status http_get(const char *field, const char *uri, FILE *f, const aia_train_options *opt,
                           int (*stop)(void *), void *stop_arg, aia_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (!c) return aia_error_set(err, AIA_INTERNAL, "%s: libcurl failed to start", field);
    long timeout_ms = opt && opt->http_timeout_ms > 0 ? opt->http_timeout_ms : 300000;
    download d = {.f = f,
                  .cap = opt && opt->max_download_bytes > 0 ? opt->max_download_bytes : (int64_t)1 << 30,
                  .stop = stop,
                  .stop_arg = stop_arg};
    curl_easy_setopt(c, CURLOPT_URL, uri);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 30000 ? timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "aia-train/1");
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    /* Only a 2xx is data: a final 3xx (no Location, 304) would hand an
     * HTML page or nothing to the CSV reader. */
    if ((rc == CURLE_OK || d.over_cap) && code != 0 && (code < 200 || code > 299)) { /* a big error page too */
        aia_status st = code == 404                  ? AIA_NOT_FOUND
                        : code == 401 || code == 403 ? AIA_PERMISSION_DENIED
                                                     : AIA_UNAVAILABLE;
        return aia_error_set(err, st, "%s: fetching %s: HTTP %ld", field, uri, code);
    }
    if (rc != CURLE_OK) return curl_status(field, uri, rc, &d, timeout_ms, err);
    return AIA_OK;
}

static aia_status download_to_scratch(const char *field, const char *uri, const aia_train_options *opt,
                                      const char *tag, int (*stop)(void *), void *stop_arg, train_local_file *out,
                                      aia_error *err)
{
    const char *dir = opt && opt->scratch_dir && *opt->scratch_dir ? opt->scratch_dir : "/tmp";
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return aia_error_set(err, AIA_INTERNAL, "scratch directory %s: %s", dir, strerror(errno));
    int w = snprintf(out->path, sizeof out->path, "%s/%s-XXXXXX", dir, tag);
    if (w < 0 || (size_t)w >= sizeof out->path) return aia_error_set(err, AIA_INTERNAL, "scratch path too long");
    int fd = mkstemp(out->path);
    if (fd < 0) return aia_error_set(err, AIA_INTERNAL, "%s: %s", out->path, strerror(errno));
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(out->path);
        return aia_error_set(err, AIA_INTERNAL, "%s: %s", out->path, strerror(errno));
    }
    aia_status st = http_get(field, uri, f, opt, stop, stop_arg, err);
    if (fclose(f) != 0 && st == AIA_OK) st = aia_error_set(err, AIA_INTERNAL, "%s: write failed", out->path);
    if (st != AIA_OK) {
        unlink(out->path);
        return st;
    }
    out->downloaded = 1;
    return AIA_OK;
}

aia_status train_fetch(const char *field, const char *uri, const aia_train_options *opt, const char *tag,
                       int (*stop)(void *), void *stop_arg, train_local_file *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    int kind = 0;
    if (train_uri_classify(field, uri, &kind, out->path, sizeof out->path, err) != AIA_OK) return err->code;
    if (kind == 2 && download_to_scratch(field, uri, opt, tag, stop, stop_arg, out, err) != AIA_OK) return err->code;
    if (aia_sha256_file(out->path, out->sha256, err) != AIA_OK) {
        if (out->downloaded) unlink(out->path);
        out->downloaded = 0;
        aia_error_prefix(err, "%s", field);
        return err->code;
    }
    return AIA_OK;
}
