/* server/main.c — aia-server: configuration, start-up, and a signal wait
 * that turns SIGTERM/SIGINT into a graceful shutdown with exit status 0.
 *
 * Exit status: 0 after a graceful stop, 1 when the server cannot start
 * (e.g. the port is in use), 2 for a bad configuration. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/log.h"
#include "server/build_info.h"
#include "server/config.h"
#include "server/engine.h"
#include "server/descriptor_set.h"
#include "server/listen_addr.h"
#include "server/server.h"
#include "server/services/services.h"

/* The address clients should dial: the configured host with the bound port. */
static void bound_address(const aia_config *cfg, int port, char *out, size_t size)
{
    aia_listen_addr addr;
    aia_error err;
    if (aia_listen_addr_parse(cfg->listen, &addr, &err) != AIA_OK) {
        snprintf(out, size, "%s", cfg->listen);
        return;
    }
    snprintf(out, size, addr.ipv6 ? "[%s]:%d" : "%s:%d", addr.host, port);
}

static int run(const aia_config *cfg, const sigset_t *signals)
{
    size_t n_services;
    const aia_service_impl *const *services = aia_all_services(&n_services);
    aia_server_options opts = {
        .listen = cfg->listen,
        .threads = cfg->threads,
        .max_recv_message_bytes = cfg->max_recv_message_bytes,
        .max_send_message_bytes = cfg->max_send_message_bytes,
        .keepalive_time_ms = cfg->keepalive_time_ms,
        .keepalive_timeout_ms = cfg->keepalive_timeout_ms,
        .shutdown_grace_ms = cfg->shutdown_grace_ms,
        .stream_queue_depth = cfg->stream_queue_depth,
        .services = services,
        .n_services = n_services,
        .descriptor_set = aia_descriptor_set,
        .descriptor_set_len = aia_descriptor_set_len,
        .data_dir = cfg->data_dir,
    };
    aia_server *server = NULL;
    aia_engine *engine = NULL;
    aia_error err;
    /* Bind the port first: a second server on a busy port must fail before
     * it touches the data directory (job recovery would requeue the first
     * server's running jobs). */
    if (aia_server_create(&opts, &server, &err) != AIA_OK || aia_engine_open(cfg, &engine, &err) != AIA_OK ||
        aia_server_start(server, &err) != AIA_OK) {
        fprintf(stderr, "aia-server: %s\n", err.message);
        aia_server_destroy(server);
        aia_engine_close(engine);
        return 1;
    }
    char address[AIA_CONFIG_STR_MAX + 16];
    bound_address(cfg, aia_server_port(server), address, sizeof address);
    const aia_build_info *b = aia_build_info_get();
    aia_log_field fields[] = {
        AIA_LOG_STR("address", address),          AIA_LOG_INT("threads", cfg->threads),
        AIA_LOG_STR("data_dir", cfg->data_dir),   AIA_LOG_STR("config_file", cfg->config_file),
        AIA_LOG_STR("version", b->version),       AIA_LOG_STR("git_commit", b->git_commit),
        AIA_LOG_STR("allocator", b->allocator),
    };
    aia_log_event(AIA_LOG_INFO, "listening", fields, sizeof fields / sizeof fields[0]);
    int sig = 0;
    sigwait(signals, &sig);
    aia_logf(AIA_LOG_INFO, "signal", "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    aia_server_shutdown(server);
    aia_server_destroy(server);
    aia_engine_close(engine); /* after the server: no call may be in flight */
    return 0;
}

int main(int argc, char **argv)
{
    /* Block the shutdown signals before any thread exists (gRPC's included),
     * so that only sigwait() in run() ever sees them. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    aia_config cfg;
    aia_config_action action;
    aia_error err;
    if (aia_config_load(&cfg, argc, argv, &action, &err) != AIA_OK) {
        fprintf(stderr, "aia-server: %s\n", err.message);
        return 2;
    }
    if (action == AIA_CONFIG_HELP) {
        aia_config_print_usage(argv[0]);
        return 0;
    }
    if (action == AIA_CONFIG_VERSION) {
        printf("aia-server %s (%s)\n", AIA_VERSION, aia_build_info_get()->git_commit);
        return 0;
    }
    aia_log_configure(cfg.log_level, cfg.log_format, 2);
    if (aia_config_validate(&cfg, &err) != AIA_OK) {
        fprintf(stderr, "aia-server: %s\n", err.message);
        return 2;
    }
    return run(&cfg, &signals);
}
