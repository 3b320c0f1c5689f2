/* server/internal.h — structures shared by server.c (lifecycle, method
 * table) and call.c (per-call state machine). Not an API: nothing outside
 * server/ includes this. */
#ifndef AIA_SERVER_INTERNAL_H
#define AIA_SERVER_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "lib/base/arena.h"
#include "lib/base/pool.h"
#include "server/health.h"
#include "server/server.h"

/* Every completion-queue event's tag is one of these, embedded in the
 * object it belongs to; the CQ thread just calls fn. */
typedef struct aia_tag {
    void (*fn)(struct aia_tag *tag, int ok);
} aia_tag;

#define AIA_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define AIA_REQUEST_ID_MAX 64

struct aia_rpc {
    aia_server *server;
    const aia_method *method; /* NULL for the unknown-method catch-all */
    size_t row;               /* metrics row */
    grpc_call *call;
    grpc_call_details details; /* filled for the catch-all only */
    gpr_timespec deadline;
    grpc_metadata_array request_md;
    grpc_byte_buffer *payload;
    aia_arena arena;
    ProtobufCAllocator alloc; /* arena-backed, for protobuf-c unpack */
    int64_t start_ns;
    char request_id[AIA_REQUEST_ID_MAX + 1];
    char caller[AIA_REQUEST_ID_MAX + 1];
    grpc_metadata initial_md[2]; /* x-request-id; aia-stream-open from aia_rpc_send_headers */

    aia_tag t_request, t_close, t_send, t_status, t_recv;
    int close_cancelled;        /* written by RECV_CLOSE_ON_SERVER */
    grpc_byte_buffer *recv_buf; /* written by RECV_MESSAGE (bidi) */
    grpc_byte_buffer *sending;  /* the send in flight */

    aia_status code;
    char message[AIA_ERROR_MESSAGE_MAX];
    grpc_slice status_details;

    /* Stream state, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    grpc_byte_buffer **queue;
    size_t q_head, q_len, q_cap;
    int close_started, send_in_flight, initial_md_sent, finish_requested, status_started;
    int closed, cancelled, stop_notified;
    aia_stop_fn stop_fn;
    void *stop_arg;

    _Atomic int refs; /* outstanding batches + the handler's hold */
    struct aia_rpc *active_prev, *active_next; /* live streams, for draining */
    struct aia_rpc *free_next;
};

struct aia_server {
    aia_server_options opts;
    grpc_server *grpc;
    grpc_completion_queue *cq;
    int port;
    aia_method *methods;
    size_t n_methods;
    aia_descriptor_index *descriptors;
    aia_metrics *metrics;
    aia_health *health;
    aia_pool *pool;
    pthread_t *threads;
    int n_threads;
    int64_t start_time_ns;
    _Atomic int draining;

    pthread_mutex_t mu; /* guards the lists and shutdown_done below */
    pthread_cond_t cv;
    aia_rpc *free_list;
    size_t n_free;
    aia_rpc *active; /* streams not yet handed back; s->cv is signalled when it empties */
    int shutdown_done;
    aia_tag t_shutdown;
};

/* call.c */
aia_status aia_call_post_request(aia_server *s, const aia_method *m);
void aia_call_free_all(aia_server *s);
void aia_call_notify_draining(aia_server *s);

#endif
