/* lib/llm/http.c — the client's HTTP thread around a curl multi handle.
 *
 * Requests move through three places:
 *   incoming (any thread appends under the mutex) → waiting (HTTP thread
 *   only: delayed, or over max_active) → active (attached to the multi).
 * The thread sleeps in epoll_wait on the sockets libcurl reports through
 * CURLMOPT_SOCKETFUNCTION plus an eventfd for wake-ups, and drives libcurl
 * with curl_multi_socket_action, so each wake touches only ready sockets.
 * Cancellation only sets a flag and wakes the thread, which finds flagged
 * requests by scanning its lists: cancels are rare, and this keeps every
 * list owned by one thread. */
#include "lib/llm/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/base/timeutil.h"

enum { ST_INCOMING, ST_WAITING, ST_ACTIVE, ST_DONE };

struct aia_http_request {
    atomic_int refs;
    atomic_int cancel_requested;
    atomic_int done; /* on_done is running or ran: cancel is a no-op */
    aia_http_client *client;
    aia_http_callbacks cb;
    char *method, *url, *body;
    size_t body_len;
    struct curl_slist *headers;
    int64_t timeout_ms;
    int64_t start_at_ns; /* monotonic */
    CURL *easy;
    int state;
    int response_seen;
    long http_status;
    int aborted; /* a callback stopped the transfer: abort_status/err say why */
    aia_status abort_status;
    aia_error abort_err;
    char curl_err[CURL_ERROR_SIZE];
    aia_http_request *prev, *next;
};

typedef struct req_list {
    aia_http_request *head, *tail;
    size_t n;
} req_list;

struct aia_http_client {
    aia_http_options opts;
    CURLM *multi;
    int epfd;            /* the sockets libcurl asked for, and wakefd */
    int wakefd;          /* eventfd: submit, cancel and free wake the thread */
    int64_t timer_at_ns; /* libcurl's timeout (monotonic), -1 = none; HTTP thread */
    pthread_t thread;
    pthread_mutex_t mu;
    req_list incoming;  /* under mu */
    int cancel_pending; /* under mu */
    int stopping;       /* under mu */
    size_t queued;      /* incoming + waiting, under mu */
    req_list waiting;   /* HTTP thread */
    req_list active;    /* HTTP thread */
    atomic_size_t n_active;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void list_push(req_list *l, aia_http_request *r) {
    r->prev = l->tail;
    r->next = NULL;
    if (l->tail) l->tail->next = r;
    else l->head = r;
    l->tail = r;
    l->n++;
}

static void list_remove(req_list *l, aia_http_request *r) {
    if (r->prev) r->prev->next = r->next;
    else l->head = r->next;
    if (r->next) r->next->prev = r->prev;
    else l->tail = r->prev;
    r->prev = r->next = NULL;
    l->n--;
}

static void request_free(aia_http_request *r) {
    if (r->easy) curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->method);
    free(r->url);
    free(r->body);
    free(r);
}

void aia_http_request_release(aia_http_request *r) {
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) request_free(r);
}

/* ---- finishing ------------------------------------------------------------------ */

static aia_status status_from_curl(CURLcode rc) {
    switch (rc) {
    case CURLE_OK: return AIA_OK;
    case CURLE_OPERATION_TIMEDOUT: return AIA_DEADLINE_EXCEEDED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY: return AIA_UNAVAILABLE;
    default: return AIA_INTERNAL;
    }
}

/* Detaches r from wherever it is, reports the outcome and drops the
 * client's reference. HTTP thread only. */
static void finish(aia_http_client *c, aia_http_request *r, aia_status st, const aia_error *err) {
    if (r->state == ST_ACTIVE) {
        curl_multi_remove_handle(c->multi, r->easy);
        list_remove(&c->active, r);
        atomic_store(&c->n_active, c->active.n);
    } else if (r->state == ST_WAITING) {
        list_remove(&c->waiting, r);
        pthread_mutex_lock(&c->mu);
        c->queued--;
        pthread_mutex_unlock(&c->mu);
    }
    /* Cleaning up the easy handle of an unfinished transfer closes its
     * connection now, which is what makes cancel visible upstream. */
    if (r->easy) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    r->state = ST_DONE;
    atomic_store(&r->done, 1);
    r->cb.on_done(r->cb.user, st, r->http_status, err);
    aia_http_request_release(r);
}

static void finish_cancelled(aia_http_client *c, aia_http_request *r) {
    aia_error e;
    aia_error_set(&e, AIA_CANCELLED, "HTTP %s %s: cancelled", r->method, r->url);
    finish(c, r, AIA_CANCELLED, &e);
}

static void finish_transfer(aia_http_client *c, aia_http_request *r, CURLcode rc) {
    aia_error e;
    aia_error_clear(&e);
    if (r->aborted) {
        finish(c, r, r->abort_status, &r->abort_err);
        return;
    }
    if (atomic_load(&r->cancel_requested)) {
        finish_cancelled(c, r);
        return;
    }
    aia_status st = status_from_curl(rc);
    if (st != AIA_OK)
        aia_error_set(&e, st, "HTTP %s %s: %s", r->method, r->url,
                      r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc));
    finish(c, r, st, &e);
}

/* ---- libcurl callbacks ------------------------------------------------------------ */

static void report_response(aia_http_request *r) {
    r->response_seen = 1;
    if (!r->cb.on_response) return;
    char *ct = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
    aia_error e;
    aia_error_clear(&e);
    aia_status st = r->cb.on_response(r->cb.user, r->http_status, ct, &e);
    if (st != AIA_OK) {
        r->aborted = 1;
        r->abort_status = st;
        r->abort_err = e;
    }
}

static size_t on_header(char *line, size_t size, size_t n, void *user) {
    aia_http_request *r = user;
    size_t len = size * n;
    if (r->aborted || atomic_load(&r->cancel_requested)) return 0;
    /* The blank line ends a header block; 1xx blocks are interim. */
    if (len <= 2 && (line[0] == '\r' || line[0] == '\n')) {
        long code = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && !r->response_seen) {
            r->http_status = code;
            report_response(r);
            if (r->aborted) return 0;
        }
    }
    return len;
}

static size_t on_write(char *bytes, size_t size, size_t n, void *user) {
    aia_http_request *r = user;
    size_t len = size * n;
    if (r->aborted || atomic_load(&r->cancel_requested)) return 0;
    if (!r->cb.on_data || len == 0) return len;
    aia_error e;
    aia_error_clear(&e);
    aia_status st = r->cb.on_data(r->cb.user, bytes, len, &e);
    if (st != AIA_OK) {
        r->aborted = 1;
        r->abort_status = st;
        r->abort_err = e;
        return 0;
    }
    return len;
}

/* ---- starting transfers ----------------------------------------------------------- */

static int configure(aia_http_client *c, aia_http_request *r) {
    CURL *h = r->easy;
    int bad = 0;
    bad |= curl_easy_setopt(h, CURLOPT_URL, r->url) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PRIVATE, r) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curl_err) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, r) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, r) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    if (r->timeout_ms > 0) bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms) != CURLE_OK;
    if (strcmp(r->method, "POST") == 0) {
        bad |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "") != CURLE_OK;
    } else {
        bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
    }
    return bad ? -1 : 0;
}

static void start(aia_http_client *c, aia_http_request *r) {
    aia_error e;
    list_remove(&c->waiting, r);
    pthread_mutex_lock(&c->mu);
    c->queued--;
    pthread_mutex_unlock(&c->mu);
    r->state = ST_INCOMING; /* detached: finish() touches no list */
    r->easy = curl_easy_init();
    if (!r->easy || configure(c, r) != 0) {
        aia_error_set(&e, AIA_INTERNAL, "HTTP %s %s: cannot set up the libcurl transfer", r->method, r->url);
        finish(c, r, AIA_INTERNAL, &e);
        return;
    }
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        aia_error_set(&e, AIA_INTERNAL, "HTTP %s %s: curl_multi_add_handle failed", r->method, r->url);
        finish(c, r, AIA_INTERNAL, &e);
        return;
    }
    r->state = ST_ACTIVE;
    list_push(&c->active, r);
    atomic_store(&c->n_active, c->active.n);
}

/* Starts what may start; returns the ms until the next delayed start (or
 * 1000 when nothing is delayed). */
static int start_ready(aia_http_client *c) {
    int64_t now = aia_time_mono_ns();
    int64_t next = now + 1000 * 1000000LL;
    aia_http_request *r = c->waiting.head;
    while (r && c->active.n < c->opts.max_active) {
        aia_http_request *nx = r->next;
        if (r->start_at_ns <= now) start(c, r);
        else if (r->start_at_ns < next) next = r->start_at_ns;
        r = nx;
    }
    int64_t ms = (next - now) / 1000000 + 1;
    return ms < 1 ? 1 : (int)ms;
}

/* ---- the HTTP thread ------------------------------------------------------------------ */

/* libcurl tells us which sockets to watch for what; epoll keeps that set, so
 * a wake costs O(ready sockets) rather than a poll over every open stream
 * (curl_multi_poll rebuilds and scans a pollfd array of all of them, and
 * curl_multi_perform visits every transfer, on every wake). */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *user, void *socketp) {
    (void)easy;
    (void)socketp;
    aia_http_client *c = user;
    if (what == CURL_POLL_REMOVE) {
        /* libcurl may already have closed s: ENOENT/EBADF are fine. */
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {.data.fd = s};
    if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

/* libcurl's single timeout: -1 removes it, 0 means "act now". */
static int on_timer(CURLM *multi, long timeout_ms, void *user) {
    (void)multi;
    aia_http_client *c = user;
    c->timer_at_ns = timeout_ms < 0 ? -1 : aia_time_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    return 0;
}

static void wake(aia_http_client *c) {
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: a wake is pending anyway. */
    while (write(c->wakefd, &one, sizeof one) < 0 && errno == EINTR) {}
}

static void take_wake(aia_http_client *c) {
    uint64_t v;
    while (read(c->wakefd, &v, sizeof v) < 0 && errno == EINTR) {}
}

static void scan_cancels(aia_http_client *c, req_list *l) {
    aia_http_request *r = l->head;
    while (r) {
        aia_http_request *nx = r->next;
        if (atomic_load(&r->cancel_requested)) finish_cancelled(c, r);
        r = nx;
    }
}

static void drain_done(aia_http_client *c) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        aia_http_request *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode rc = m->data.result;
        if (r->http_status == 0) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
        if (rc == CURLE_OK && !r->response_seen && r->http_status >= 200) report_response(r);
        finish_transfer(c, r, rc);
    }
}

/* Moves incoming requests to the waiting list; returns non-zero to stop. */
static int take_commands(aia_http_client *c, int *cancels) {
    pthread_mutex_lock(&c->mu);
    aia_http_request *r = c->incoming.head;
    c->incoming.head = c->incoming.tail = NULL;
    c->incoming.n = 0;
    *cancels = c->cancel_pending;
    c->cancel_pending = 0;
    int stop = c->stopping;
    pthread_mutex_unlock(&c->mu);
    while (r) {
        aia_http_request *nx = r->next;
        r->state = ST_WAITING;
        list_push(&c->waiting, r);
        r = nx;
    }
    return stop;
}

static void cancel_everything(aia_http_client *c) {
    int dummy;
    take_commands(c, &dummy);
    while (c->active.head) finish_cancelled(c, c->active.head);
    while (c->waiting.head) finish_cancelled(c, c->waiting.head);
}

/* How long epoll may sleep: until libcurl's timer or the next delayed start
 * (start_ready's answer). Slots that finished transfers free are used at the
 * top of the next loop, which runs right after them. */
static int wait_ms(aia_http_client *c, int start_ms) {
    if (c->timer_at_ns < 0) return start_ms;
    int64_t left = c->timer_at_ns - aia_time_mono_ns();
    if (left <= 0) return 0;
    int64_t ms = (left + 999999) / 1000000; /* round up: never spin before it is due */
    return ms < start_ms ? (int)ms : start_ms;
}

static void run_ready(aia_http_client *c, const struct epoll_event *evs, int n) {
    int running;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.fd == c->wakefd) {
            take_wake(c);
            continue;
        }
        int mask = 0;
        if (evs[i].events & EPOLLIN) mask |= CURL_CSELECT_IN;
        if (evs[i].events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
        curl_multi_socket_action(c->multi, evs[i].data.fd, mask, &running);
    }
    if (c->timer_at_ns >= 0 && c->timer_at_ns <= aia_time_mono_ns()) {
        c->timer_at_ns = -1;
        curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    drain_done(c);
}

static void *http_thread(void *arg) {
    aia_http_client *c = arg;
    struct epoll_event evs[256];
    for (;;) {
        int cancels = 0;
        if (take_commands(c, &cancels)) break;
        if (cancels) {
            scan_cancels(c, &c->active);
            scan_cancels(c, &c->waiting);
        }
        int start_ms = start_ready(c);
        int n = epoll_wait(c->epfd, evs, (int)(sizeof evs / sizeof evs[0]), wait_ms(c, start_ms));
        run_ready(c, evs, n < 0 ? 0 : n);
    }
    cancel_everything(c);
    return NULL;
}

/* ---- public API ------------------------------------------------------------------------ */

/* Closes what client_setup opened; safe on a partly set-up client. The
 * multi handle goes first: its cleanup may still report sockets to remove. */
static void client_teardown(aia_http_client *c) {
    if (c->multi) curl_multi_cleanup(c->multi);
    if (c->epfd >= 0) close(c->epfd);
    if (c->wakefd >= 0) close(c->wakefd);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static aia_status client_setup(aia_http_client *c, aia_error *err) {
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    c->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->epfd < 0 || c->wakefd < 0)
        return aia_error_set(err, AIA_INTERNAL, "HTTP client: epoll/eventfd: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->wakefd};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->wakefd, &ev) != 0)
        return aia_error_set(err, AIA_INTERNAL, "HTTP client: epoll_ctl: %s", strerror(errno));
    c->timer_at_ns = -1;
    c->multi = curl_multi_init();
    if (!c->multi) return aia_error_set(err, AIA_INTERNAL, "HTTP client: curl_multi_init failed");
    int bad = 0;
    bad |= curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK;
    bad |= curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK;
    bad |= curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK;
    bad |= curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK;
    /* Keep idle connections for every concurrent stream, so bursts reuse them. */
    bad |= curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->opts.max_active) != CURLM_OK;
    if (bad) return aia_error_set(err, AIA_INTERNAL, "HTTP client: curl_multi_setopt failed");
    return AIA_OK;
}

aia_status aia_http_client_new(const aia_http_options *opts, aia_http_client **out, aia_error *err) {
    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return aia_error_set(err, AIA_INTERNAL, "curl_global_init: %s", curl_easy_strerror(curl_init_rc));
    aia_http_client *c = calloc(1, sizeof *c);
    if (!c) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "HTTP client: out of memory");
    if (opts) c->opts = *opts;
    if (!c->opts.max_active) c->opts.max_active = 1024;
    if (!c->opts.max_queued) c->opts.max_queued = 65536;
    if (!c->opts.connect_timeout_ms) c->opts.connect_timeout_ms = 10000;
    c->epfd = c->wakefd = -1;
    pthread_mutex_init(&c->mu, NULL);
    aia_status st = client_setup(c, err);
    if (st == AIA_OK && pthread_create(&c->thread, NULL, http_thread, c) != 0)
        st = aia_error_set(err, AIA_INTERNAL, "HTTP client: cannot start the HTTP thread");
    if (st != AIA_OK) {
        client_teardown(c);
        return st;
    }
    *out = c;
    return AIA_OK;
}

void aia_http_client_free(aia_http_client *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_mutex_unlock(&c->mu);
    wake(c);
    pthread_join(c->thread, NULL);
    client_teardown(c);
}

static aia_status copy_call(aia_http_request *r, const aia_http_call *call, aia_error *err) {
    r->method = strdup(call->method);
    r->url = strdup(call->url);
    if (call->body_len) {
        r->body = malloc(call->body_len);
        if (r->body) memcpy(r->body, call->body, call->body_len);
    }
    r->body_len = call->body_len;
    int oom = !r->method || !r->url || (call->body_len && !r->body);
    for (size_t i = 0; i < call->n_headers && !oom; i++) {
        struct curl_slist *l = curl_slist_append(r->headers, call->headers[i]);
        if (!l) oom = 1;
        else r->headers = l;
    }
    /* No "Expect: 100-continue" round trip before POST bodies. */
    struct curl_slist *l = oom ? NULL : curl_slist_append(r->headers, "Expect:");
    if (!l) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "HTTP submit: out of memory");
    r->headers = l;
    return AIA_OK;
}

static aia_status check_call(const aia_http_call *call, const aia_http_callbacks *cb, aia_error *err) {
    if (!call || !call->method || !call->url || !call->url[0])
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "HTTP submit: method and url are required");
    if (strcmp(call->method, "GET") != 0 && strcmp(call->method, "POST") != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "HTTP submit: method '%s' unsupported (GET or POST)",
                             call->method);
    if (!cb || !cb->on_done)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "HTTP submit: on_done callback is required");
    if (call->body_len && !call->body)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "HTTP submit: body_len %zu without a body",
                             call->body_len);
    return AIA_OK;
}

static aia_status enqueue(aia_http_client *c, aia_http_request *r, aia_error *err) {
    pthread_mutex_lock(&c->mu);
    aia_status st = AIA_OK;
    if (c->stopping) st = aia_error_set(err, AIA_FAILED_PRECONDITION, "HTTP submit: client is shutting down");
    else if (c->queued >= c->opts.max_queued)
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "HTTP submit: %zu requests already queued (limit)",
                           c->queued);
    else {
        list_push(&c->incoming, r);
        c->queued++;
    }
    pthread_mutex_unlock(&c->mu);
    return st;
}

aia_status aia_http_submit(aia_http_client *c, const aia_http_call *call, const aia_http_callbacks *cb,
                           aia_http_request **out, aia_error *err) {
    if (out) *out = NULL;
    aia_status st = check_call(call, cb, err);
    if (st != AIA_OK) return st;
    aia_http_request *r = calloc(1, sizeof *r);
    if (!r) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "HTTP submit: out of memory");
    r->client = c;
    r->cb = *cb;
    r->timeout_ms = call->timeout_ms;
    r->start_at_ns = aia_time_mono_ns() + (call->delay_ms > 0 ? call->delay_ms * 1000000LL : 0);
    atomic_init(&r->refs, out ? 2 : 1);
    atomic_init(&r->cancel_requested, 0);
    atomic_init(&r->done, 0);
    st = copy_call(r, call, err);
    if (st == AIA_OK) st = enqueue(c, r, err);
    if (st != AIA_OK) {
        request_free(r);
        return st;
    }
    if (out) *out = r;
    wake(c);
    return AIA_OK;
}

void aia_http_cancel(aia_http_request *r) {
    if (!r || atomic_load(&r->done) || atomic_exchange(&r->cancel_requested, 1)) return;
    aia_http_client *c = r->client;
    pthread_mutex_lock(&c->mu);
    c->cancel_pending = 1;
    pthread_mutex_unlock(&c->mu);
    wake(c);
}

size_t aia_http_active(aia_http_client *c) { return atomic_load(&c->n_active); }
