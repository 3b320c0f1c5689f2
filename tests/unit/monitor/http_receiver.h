/* tests/unit/monitor/http_receiver.h — a tiny HTTP/1.1 server for tests.
 *
 * Listens on 127.0.0.1 with a kernel-chosen port, serves one connection at
 * a time on its own thread, and answers the i-th request with the i-th
 * scripted reply (200 once the script runs out), always with
 * "Connection: close". Each request's method, path, headers, body and
 * arrival time are recorded. A reply may "hold": the receiver then sends
 * nothing until rcv_release() or rcv_stop(), to play a hanging server.
 *
 * Thread-safety: the rcv_* accessors may be called from any thread while
 * the receiver runs; rcv_start/rcv_stop from the test's main thread.
 */
#ifndef TESTS_UNIT_MONITOR_HTTP_RECEIVER_H
#define TESTS_UNIT_MONITOR_HTTP_RECEIVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define RCV_MAX_SCRIPT 16
#define RCV_MAX_REQUESTS 64

typedef struct rcv_reply {
    int status;
    const char *extra_header; /* e.g. "Retry-After: 1"; NULL = none */
    int hold;                 /* answer only after rcv_release() */
} rcv_reply;

typedef struct rcv_request {
    char method[16];
    char path[256];
    char content_type[128];
    char user_agent[128];
    char *body; /* NUL-terminated copy */
    size_t body_len;
    int64_t at_ns; /* monotonic arrival time */
} rcv_request;

typedef struct rcv {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, released;
    rcv_reply script[RCV_MAX_SCRIPT];
    size_t n_script;
    rcv_request req[RCV_MAX_REQUESTS];
    size_t n_req;
} rcv;

/* Starts the receiver with a script of n replies (n <= RCV_MAX_SCRIPT).
 * Returns 0, or -1 when the socket or thread cannot be set up. */
int rcv_start(rcv *r, const rcv_reply *script, size_t n);
/* Stops, joins and frees the recorded bodies. */
void rcv_stop(rcv *r);
/* Lets held replies go out. */
void rcv_release(rcv *r);
/* Requests seen so far. */
size_t rcv_count(rcv *r);
/* Waits until at least n requests arrived; 0, or -1 after timeout_ms. */
int rcv_wait(rcv *r, size_t n, int timeout_ms);
/* "http://127.0.0.1:PORT/hook" into buf. */
void rcv_url(const rcv *r, char *buf, size_t size);

#endif
