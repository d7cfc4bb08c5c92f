#pragma once
// Forced in front of every source of the stand-in component build (-include, tests/io/CMakeLists.txt):
// the host's socket headers made to look like ESP-IDF's lwIP built with CONFIG_LWIP_IPV6=n, as far
// as the names the io layer could use go. Each name lwIP lacks is gone (a macro: undefined, so
// `#if defined(...)` still works) or poisoned (a function or type), so using one is a compile
// error here as it is one with ESP-IDF:
// - gai_strerror: lwIP's netdb.h has getaddrinfo() and EAI_* codes but no gai_strerror();
// - sockaddr_in6, INET6_ADDRSTRLEN, IPV6_V6ONLY: lwIP defines them only when LWIP_IPV6 is on;
// - AF_INET6 (and PF_INET6) is AF_UNSPEC there, as lwIP defines it without IPv6;
// - SOCK_NONBLOCK, SOCK_CLOEXEC, accept4: lwIP has none (flags are set with fcntl());
// - SOMAXCONN: lwIP 2.1.3's sockets.h does not define it.
// Not a model of lwIP's behaviour: the sockets still are Linux's.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define LWIP_IPV6 0

#undef INET6_ADDRSTRLEN
#undef IPV6_V6ONLY
#undef AF_INET6
#undef PF_INET6
#define AF_INET6 AF_UNSPEC
#define PF_INET6 AF_INET6
#undef SOCK_NONBLOCK
#undef SOCK_CLOEXEC
#undef SOMAXCONN

#pragma GCC poison gai_strerror sockaddr_in6 accept4
