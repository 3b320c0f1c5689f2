/* server/listen_addr.c — see listen_addr.h. */
#include "server/listen_addr.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static aia_status parse_port(const char *s, const char *text, int *port, aia_error *err)
{
    char *end = NULL;
    errno = 0;
    long p = strtol(s, &end, 10);
    if (!*s || errno || *end || p < 0 || p > 65535)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': port must be 0..65535", text);
    *port = (int)p;
    return AIA_OK;
}

static aia_status split_host_port(const char *text, aia_listen_addr *out, aia_error *err)
{
    const char *colon;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': expected [ipv6]:port", text);
        if ((size_t)(close - text - 1) >= sizeof out->host)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': host too long", text);
        memcpy(out->host, text + 1, (size_t)(close - text - 1));
        out->host[close - text - 1] = '\0';
        out->ipv6 = 1;
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon) return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': expected host:port", text);
        if (memchr(text, ':', (size_t)(colon - text)))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': write IPv6 hosts as [addr]:port",
                                 text);
        if ((size_t)(colon - text) >= sizeof out->host)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': host too long", text);
        memcpy(out->host, text, (size_t)(colon - text));
        out->host[colon - text] = '\0';
    }
    return parse_port(colon + 1, text, &out->port, err);
}

aia_status aia_listen_addr_parse(const char *text, aia_listen_addr *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (split_host_port(text, out, err) != AIA_OK) return err->code;
    if (out->host[0] == '\0') return AIA_OK; /* ":port" — every interface */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(out->host, NULL, &hints, &res);
    if (rc != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad address '%s': host '%s' does not resolve: %s", text,
                             out->host, gai_strerror(rc));
    freeaddrinfo(res);
    return AIA_OK;
}

void aia_listen_addr_explain_bind_failure(const aia_listen_addr *addr, const char *text, aia_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", addr->port);
    if (getaddrinfo(addr->host[0] ? addr->host : NULL, port, &hints, &res) != 0 || !res) {
        aia_error_set(err, AIA_UNAVAILABLE, "cannot listen on %s: address does not resolve", text);
        return;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int saved = 0;
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) saved = errno;
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    if (saved == EADDRINUSE)
        aia_error_set(err, AIA_UNAVAILABLE, "cannot listen on %s: address already in use", text);
    else if (saved)
        aia_error_set(err, AIA_UNAVAILABLE, "cannot listen on %s: %s", text, strerror(saved));
    else
        aia_error_set(err, AIA_UNAVAILABLE, "cannot listen on %s: gRPC refused the address", text);
}
