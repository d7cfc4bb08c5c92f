#pragma once
// IPv4 socket addresses for the bare-metal lwIP build (see sys/socket.h beside this file). No
// IPv6 types: the io layer then builds IPv4 only (src/io/has_ipv6.hpp).

#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t in_addr_t;
typedef uint16_t in_port_t;

struct in_addr {
    in_addr_t s_addr;
};

struct sockaddr_in {
    uint8_t sin_len;
    sa_family_t sin_family;
    in_port_t sin_port;
    struct in_addr sin_addr;
    char sin_zero[8];
};

#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define INADDR_ANY ((in_addr_t)0x00000000UL)
#define INADDR_LOOPBACK ((in_addr_t)0x7f000001UL)
#define INET_ADDRSTRLEN 16

// Cortex-M is little-endian; lwIP's def.h may define these as macros of its own first.
#ifndef htons
static inline uint16_t htons(uint16_t value) { return (uint16_t)((value << 8) | (value >> 8)); }
#endif
#ifndef ntohs
static inline uint16_t ntohs(uint16_t value) { return (uint16_t)((value << 8) | (value >> 8)); }
#endif
#ifndef htonl
static inline uint32_t htonl(uint32_t value) { return __builtin_bswap32(value); }
#endif
#ifndef ntohl
static inline uint32_t ntohl(uint32_t value) { return __builtin_bswap32(value); }
#endif

#ifdef __cplusplus
}
#endif
