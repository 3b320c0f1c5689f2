/* server/listen_addr.h — parsing and probing of "host:port" listen addresses.
 * Thread-safe; no allocation. */
#ifndef AIA_SERVER_LISTEN_ADDR_H
#define AIA_SERVER_LISTEN_ADDR_H

#include "lib/base/status.h"

typedef struct aia_listen_addr {
    char host[256]; /* without IPv6 brackets */
    int port;       /* 0..65535; 0 = any free port */
    int ipv6;       /* host was written as [v6] */
} aia_listen_addr;

/* Accepts "host:port", "[v6addr]:port" and ":port" (all interfaces). The
 * host must resolve (numeric addresses and /etc/hosts names do so locally).
 * Errors say which part is wrong. */
aia_status aia_listen_addr_parse(const char *text, aia_listen_addr *out, aia_error *err);

/* Explains why binding `addr` fails by trying it with a plain socket:
 * fills err with e.g. "127.0.0.1:50051: address already in use". Used after
 * gRPC refused the port, because gRPC does not say why. */
void aia_listen_addr_explain_bind_failure(const aia_listen_addr *addr, const char *text, aia_error *err);

#endif
