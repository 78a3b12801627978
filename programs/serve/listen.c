/* The listening socket. The server binds it itself (and hands it to libmicrohttpd) so that a
 * host name such as "localhost" can be resolved with getaddrinfo, and so that a failure is one
 * line saying what to do ("the address is already in use") instead of libmicrohttpd's own
 * text. The first address of the name that binds is used. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

static int is_loopback(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
            return 1;
        return memcmp(a6->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
               a6->sin6_addr.s6_addr[12] == 127;
    }
    return 0;
}

static const char *why(int e)
{
    switch (e) {
    case EADDRINUSE:
        return "the address is already in use (is another server running on this port?)";
    case EACCES:
        return "permission denied (ports below 1024 need privileges)";
    case EADDRNOTAVAIL:
        return "no such local address on this machine";
    default:
        return strerror(e);
    }
}

int serve_listen(const serve_config *c, int *loopback, int *ipv6)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int fd = -1, last = 0, rc;
    const char *host = c->listen_addr;

    *loopback = 0;
    *ipv6 = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", c->port);
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        hints.ai_flags = AI_NUMERICSERV; /* "localhost" on a host without a configured IPv6 */
        rc = getaddrinfo(host, port, &hints, &res);
    }
    if (rc != 0) {
        fprintf(stderr, "childguard serve: cannot listen on %s:%u: the host name does not resolve"
                        " (%s)\n", host, c->port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        const int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            (ai->ai_family == AF_INET6 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
            last = errno;
            close(fd);
            fd = -1;
            continue;
        }
        *loopback = is_loopback(ai->ai_addr);
        *ipv6 = ai->ai_family == AF_INET6;
        break;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "childguard serve: cannot listen on %s:%u: %s\n", host, c->port,
                why(last));
    return fd;
}
