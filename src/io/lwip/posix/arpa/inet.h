#pragma once
// Address text for the bare-metal lwIP build (see sys/socket.h): IPv4 only, implemented in
// src/io/lwip/socket_ops_lwip.cpp over lwIP's own parser and formatter.
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif
int inet_pton(int family, const char* text, void* address);
const char* inet_ntop(int family, const void* address, char* text, socklen_t size);
#ifdef __cplusplus
}
#endif
