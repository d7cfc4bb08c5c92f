/* lwIP 2.1.3 options for the MPS2 AN385 board under QEMU (LAN9118 Ethernet, user networking):
   the raw API only, no OS, one thread, IPv4 with DHCP, sized for an HTTP server with up to
   8 client connections.

   Threading: NO_SYS=1. lwIP is only ever called from the main loop (board_net::poll(), the io
   back-end, the application's callbacks); the Ethernet interrupt handler touches the controller's
   registers and a flag, never a pbuf or a pool, so no lightweight protection is needed.

   RAM budget, all static (.bss), as measured in net_probe.elf's map (arm-none-eabi-gcc 12, -Os):
     PBUF_POOL   10 x 1,532 B   15,323 B  received frames, one whole frame per pbuf (1,516 B of
                                          payload: 1,514 + the 2 pad bytes, and a struct pbuf)
     MEM_SIZE                   16,403 B  the heap: tcp_write(COPY) data, headers of every sent
                                          segment and ACK, the ARP queue, struct dhcp
     TCP pcbs    16 x 156 B      2,499 B  8 live connections, the rest for TIME_WAIT
     TCP segs    48 x 16 B         771 B  queued segments of all connections together
     PBUF_REF    32 x 16 B         515 B  data written without COPY
     the rest                    1,098 B  listen and UDP pcbs, timeouts, ARP table, DNS, stats
   36,609 B (35.8 KiB) for lwIP, plus ~100 B for the driver: well inside the 60 KiB the network
   may take. The pool needs only a few pbufs at once (the driver hands each frame to lwIP as it
   is read, and the controller's own RX FIFO holds 10 KiB more); the heap is what runs short.

   What the heap means for 8 connections: each may queue TCP_SND_BUF (5,840 B) of copied data,
   but the 16 KiB are shared, so about two connections can have a full send buffer at a time;
   beyond that tcp_write() answers ERR_MEM and the writer waits for the sent callback (data
   written without TCP_WRITE_FLAG_COPY is not copied into the heap: only its headers are). */
#ifndef ASYNCIO_LWIPOPTS_H
#define ASYNCIO_LWIPOPTS_H

/* ---- system ---- */
#define NO_SYS                      1
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define SYS_LIGHTWEIGHT_PROT        0   /* no interrupt handler calls lwIP (see above) */
#define LWIP_TIMERS                 1   /* sys_check_timeouts(); sys_now() is the board's tick */
/* LWIP_NO_CTYPE_H is in arch/cc.h: lwip/arch.h reads it before this file is included. */

/* ---- memory ---- */
#define MEM_ALIGNMENT               4
#define MEM_SIZE                    (16 * 1024)
#define MEMP_NUM_PBUF               32  /* PBUF_REF/ROM: one per segment written without COPY */
#define MEMP_NUM_UDP_PCB            4   /* DHCP, DNS, two spare */
#define MEMP_NUM_TCP_PCB            16  /* 8 live connections, the rest for TIME_WAIT (120 s) */
#define MEMP_NUM_TCP_PCB_LISTEN     2
#define MEMP_NUM_TCP_SEG            48  /* >= TCP_SND_QUEUELEN; 8 connections x ~6 queued */
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)  /* + the link check */
#define PBUF_POOL_SIZE              10  /* full-frame RX pbufs; TCP_WND must fit (init.c) */

/* ---- link layer ---- */
#define LWIP_ARP                    1
#define ARP_TABLE_SIZE              8
/* Every packet to a host whose address is being resolved waits (not only the last one): the
   answers to a burst of connections from a new peer are not lost to retransmission. */
#define ARP_QUEUEING                1
#define MEMP_NUM_ARP_QUEUE          16
#define ETH_PAD_SIZE                2   /* with the LAN9118's RXDOFF=2: IP header word-aligned */
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    0
#define LWIP_NETIF_HOSTNAME         1   /* DHCP sends it (option 12) */
#define LWIP_SINGLE_NETIF           1
#define LWIP_NETIF_LOOPBACK         0

/* ---- IP ---- */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define IP_REASSEMBLY               0   /* slirp never fragments towards the guest (MTU 1500) */
#define IP_FRAG                     0   /* TCP_MSS keeps every segment within the MTU */
#define LWIP_ICMP                   1
#define LWIP_RAW                    0
#define LWIP_IGMP                   0
#define LWIP_AUTOIP                 0

/* ---- DHCP and DNS ---- */
#define LWIP_DHCP                   1
#define DHCP_DOES_ARP_CHECK         0   /* saves the 2 x 500 ms probe before BOUND */
#define LWIP_DNS                    1   /* so the DNS server DHCP offers is kept (dns_getserver) */
#define DNS_TABLE_SIZE              1
#define DNS_MAX_NAME_LENGTH         64
#define LWIP_UDP                    1

/* ---- TCP ---- */
#define LWIP_TCP                    1
#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (4 * TCP_MSS)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)  /* 16 pbufs per connection */
#define TCP_QUEUE_OOSEQ             1
#define TCP_OOSEQ_MAX_PBUFS         2   /* one connection cannot hold the whole RX pool */
#define TCP_LISTEN_BACKLOG          1   /* honour tcp_listen_with_backlog()'s argument */
#define SO_REUSE                    1   /* SOF_REUSEADDR: rebind while TIME_WAIT pcbs remain */
#define LWIP_TCP_KEEPALIVE          0
#define LWIP_ALTCP                  0

/* ---- checksums: the LAN9118 offloads nothing and slirp drops bad ones ---- */
#define CHECKSUM_GEN_IP             1
#define CHECKSUM_GEN_UDP            1
#define CHECKSUM_GEN_TCP            1
#define CHECKSUM_GEN_ICMP           1
#define CHECKSUM_CHECK_IP           1
#define CHECKSUM_CHECK_UDP          1
#define CHECKSUM_CHECK_TCP          1
#define CHECKSUM_CHECK_ICMP         1

/* ---- statistics: lwip_stats.memp[i]->err and lwip_stats.mem.err count failed allocations ---- */
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define LINK_STATS                  1
#define TCP_STATS                   1
#define SYS_STATS                   0

#endif
