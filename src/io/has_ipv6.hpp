#pragma once
// ASYNCIO_HAS_IPV6 for the io layer's sources (include it after the socket headers): IPv6 where
// the socket headers have it. lwIP built without IPv6 (ESP-IDF's CONFIG_LWIP_IPV6=n)
// has no sockaddr_in6, INET6_ADDRSTRLEN or IPV6_V6ONLY, and its AF_INET6 is AF_UNSPEC: the build
// then takes IPv4 only, and an IPv6 address is an EAFNOSUPPORT error at run time.
#ifndef ASYNCIO_HAS_IPV6
#if defined(INET6_ADDRSTRLEN) && defined(IPV6_V6ONLY)
#define ASYNCIO_HAS_IPV6 1
#else
#define ASYNCIO_HAS_IPV6 0
#endif
#endif
