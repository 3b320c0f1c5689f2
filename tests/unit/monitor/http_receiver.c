/* tests/unit/monitor/http_receiver.c — see http_receiver.h. */
#include "tests/unit/monitor/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/base/timeutil.h"

#define HEAD_MAX 16384

/* Copies the value of header `name` (case-insensitive) into out, "" if absent. */
static void header_value(const char *head, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':') continue;
        const char *v = line + nl + 1;
        while (*v == ' ') v++;
        const char *e = strstr(v, "\r\n");
        size_t n = e ? (size_t)(e - v) : strlen(v);
        if (n >= size) n = size - 1;
        memcpy(out, v, n);
        out[n] = '\0';
        return;
    }
}

/* Reads up to and including the blank line; returns the bytes read (some
 * may be body), 0 on failure. head gets NUL-terminated. */
static size_t read_head(int c, char *head, size_t size, size_t *head_len)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t k = recv(c, head + n, size - 1 - n, 0);
        if (k <= 0) return 0;
        n += (size_t)k;
        head[n] = '\0';
        char *end = strstr(head, "\r\n\r\n");
        if (end) {
            *head_len = (size_t)(end - head) + 4;
            return n;
        }
    }
    return 0;
}

static int read_request(int c, rcv_request *q)
{
    char head[HEAD_MAX];
    size_t head_len = 0, n = read_head(c, head, sizeof head, &head_len);
    if (!n) return -1;
    q->at_ns = aia_time_mono_ns();
    if (sscanf(head, "%15s %255s", q->method, q->path) != 2) return -1;
    char cl[32];
    header_value(head, "Content-Length", cl, sizeof cl);
    header_value(head, "Content-Type", q->content_type, sizeof q->content_type);
    header_value(head, "User-Agent", q->user_agent, sizeof q->user_agent);
    size_t len = cl[0] ? (size_t)strtoul(cl, NULL, 10) : 0;
    q->body = malloc(len + 1);
    if (!q->body) return -1;
    size_t have = n - head_len < len ? n - head_len : len;
    memcpy(q->body, head + head_len, have);
    while (have < len) {
        ssize_t k = recv(c, q->body + have, len - have, 0);
        if (k <= 0) break;
        have += (size_t)k;
    }
    q->body[have] = '\0';
    q->body_len = have;
    return 0;
}

static rcv_reply reply_for(rcv *r, size_t i) { return i < r->n_script ? r->script[i] : (rcv_reply){.status = 200}; }

static void wait_release(rcv *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->released && !r->stop) pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

static void serve_one(rcv *r, int c)
{
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    rcv_request q;
    memset(&q, 0, sizeof q);
    if (read_request(c, &q) != 0) {
        free(q.body);
        return;
    }
    pthread_mutex_lock(&r->mu);
    size_t i = r->n_req;
    if (i < RCV_MAX_REQUESTS) r->req[r->n_req++] = q;
    else free(q.body);
    pthread_mutex_unlock(&r->mu);
    rcv_reply rp = reply_for(r, i);
    if (rp.hold) wait_release(r);
    char out[512];
    int k = snprintf(out, sizeof out, "HTTP/1.1 %d Scripted\r\nContent-Length: 2\r\nConnection: close\r\n%s%s\r\nok",
                     rp.status, rp.extra_header ? rp.extra_header : "", rp.extra_header ? "\r\n" : "");
    if (send(c, out, (size_t)k, MSG_NOSIGNAL) < 0) return;
}

static int stopping(rcv *r)
{
    pthread_mutex_lock(&r->mu);
    int s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void *serve(void *arg)
{
    rcv *r = arg;
    while (!stopping(r)) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0) continue;
        int c = accept(r->fd, NULL, NULL);
        if (c < 0) continue;
        serve_one(r, c);
        close(c);
    }
    return NULL;
}

int rcv_start(rcv *r, const rcv_reply *script, size_t n)
{
    memset(r, 0, sizeof *r);
    if (n > RCV_MAX_SCRIPT) return -1;
    if (n) memcpy(r->script, script, n * sizeof *script);
    r->n_script = n;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (r->fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    socklen_t al = sizeof a;
    if (bind(r->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->fd, 16) != 0 ||
        getsockname(r->fd, (struct sockaddr *)&a, &al) != 0) {
        close(r->fd);
        return -1;
    }
    r->port = ntohs(a.sin_port);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, serve, r) != 0) {
        close(r->fd);
        return -1;
    }
    return 0;
}

void rcv_stop(rcv *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    close(r->fd);
    for (size_t i = 0; i < r->n_req; i++) free(r->req[i].body);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

void rcv_release(rcv *r)
{
    pthread_mutex_lock(&r->mu);
    r->released = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

size_t rcv_count(rcv *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n_req;
    pthread_mutex_unlock(&r->mu);
    return n;
}

int rcv_wait(rcv *r, size_t n, int timeout_ms)
{
    int64_t until = aia_time_mono_ns() + (int64_t)timeout_ms * 1000000;
    while (rcv_count(r) < n) {
        if (aia_time_mono_ns() > until) return -1;
        usleep(5000);
    }
    return 0;
}

void rcv_url(const rcv *r, char *buf, size_t size) { snprintf(buf, size, "http://127.0.0.1:%d/hook", r->port); }
