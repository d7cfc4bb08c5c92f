#pragma once
// The BSD socket vocabulary (types and constants only) for a bare-metal build whose network stack
// is lwIP's raw API: newlib has no socket headers, and lwIP's own (lwip/sockets.h) exist only with
// its socket layer, which needs an RTOS. The io layer's public headers speak this vocabulary
// (Address is a sockaddr_storage); src/io/lwip/socket_ops_lwip.cpp gives it meaning over pcbs.
// Only IPv4 is carried.

#include <stdint.h>
#include <sys/types.h>

/// These headers are in use (not a C library's own): socket_ops_lwip.cpp then also defines the
/// few functions they declare (inet_pton, inet_ntop) and fcntl() for sockets.
#define ASYNCIO_LWIP_POSIX_VOCABULARY 1

#ifdef __cplusplus
extern "C" {
#endif

typedef uint8_t sa_family_t;
typedef uint32_t socklen_t;

struct sockaddr {
    uint8_t sa_len;
    sa_family_t sa_family;
    char sa_data[14];
};

struct sockaddr_storage {
    uint8_t s2_len;
    sa_family_t ss_family;
    char s2_data1[2];
    uint32_t s2_data2[3];
    uint32_t s2_data3[3];
};

#define AF_UNSPEC 0
#define AF_INET 2
#define AF_INET6 10
#define PF_INET AF_INET
#define PF_INET6 AF_INET6

#define SOCK_STREAM 1
#define SOCK_DGRAM 2

#define SOL_SOCKET 0xfff
#define SO_REUSEADDR 0x0004
#define SO_KEEPALIVE 0x0008
#define SO_SNDBUF 0x1001
#define SO_ERROR 0x1007

#define SOMAXCONN 32
#define MSG_NOSIGNAL 0

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#ifdef __cplusplus
}
#endif
