#pragma once
// TCP socket options for the bare-metal lwIP build (see sys/socket.h).
#define TCP_NODELAY 0x01
