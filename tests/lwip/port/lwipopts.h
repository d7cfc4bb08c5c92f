/* lwIP 2.1.3 options for the HOST test of the lwIP back-end (tests/lwip): the raw API, no OS, one
   thread, as on the board (embedded/net/lwip-port/lwipopts.h), but over lwIP's loopback interface
   (127.0.0.1) instead of an Ethernet driver, so the back-end runs under ASan and UBSan on Linux.

   TCP is sized as on the board (MSS, window, send buffer): flow control and back-pressure behave
   the same. Two things differ on purpose:
     - the heap is larger (every connection's two ends share it here, and the loopback copies
       each packet into it until the loop polls the interface);
     - ASYNCIO_LWIP_TEST_MALLOC (one of the two test programs) takes every lwIP allocation, pcbs
       and pbufs included, from malloc: AddressSanitizer then sees each one, so a pcb used after
       lwIP freed it is reported, where a static pool would hide it. */
#ifndef ASYNCIO_TEST_LWIPOPTS_H
#define ASYNCIO_TEST_LWIPOPTS_H

/* ---- system ---- */
#define NO_SYS                      1
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define SYS_LIGHTWEIGHT_PROT        0   /* one thread: the test's loop */
#define LWIP_TIMERS                 1   /* sys_check_timeouts(); sys_now() is steady_clock in ms */

/* ---- memory ---- */
#define MEM_ALIGNMENT               8
#define MEM_SIZE                    (64 * 1024)
#define MEMP_NUM_PBUF               32
#define MEMP_NUM_UDP_PCB            2
#define MEMP_NUM_TCP_PCB            16  /* as the board: live connections and TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN     4
#define MEMP_NUM_TCP_SEG            64  /* >= TCP_SND_QUEUELEN (init.c) */
#define PBUF_POOL_SIZE              32
#ifdef ASYNCIO_LWIP_TEST_MALLOC
#define MEM_LIBC_MALLOC             1   /* mem_malloc() is malloc() */
#define MEMP_MEM_MALLOC             1   /* and so is every pool (pcbs, segments, pbufs) */
#endif

/* ---- interfaces: the loopback only ---- */
#define LWIP_ARP                    0
#define LWIP_ETHERNET               0
#define LWIP_HAVE_LOOPIF            1   /* lwip_init() adds it: 127.0.0.1/8 */
#define LWIP_NETIF_LOOPBACK         1   /* queued by netif_loop_output(), delivered by netif_poll() */
#define LWIP_LOOPBACK_MAX_PBUFS     256 /* queued packets before the loopback drops (both ends' windows fit) */
#define LWIP_SINGLE_NETIF           0

/* ---- IP: IPv4 only ---- */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define IP_REASSEMBLY               0
#define IP_FRAG                     0
#define LWIP_ICMP                   1
#define LWIP_RAW                    0
#define LWIP_IGMP                   0
#define LWIP_AUTOIP                 0
#define LWIP_DHCP                   0
#define LWIP_DNS                    0
#define LWIP_UDP                    1

/* ---- TCP, as on the board ---- */
#define LWIP_TCP                    1
#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (4 * TCP_MSS)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)  /* >= 2 * TCP_SND_BUF / TCP_MSS */
#define TCP_QUEUE_OOSEQ             1
#define TCP_LISTEN_BACKLOG          1   /* honour tcp_listen_with_backlog()'s argument */
#define SO_REUSE                    1   /* SOF_REUSEADDR */
#define LWIP_TCP_KEEPALIVE          0
#define LWIP_ALTCP                  0

/* ---- byte order: glibc's htons() & co., not lwIP's macros of the same names ---- */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1

/* ---- statistics ---- */
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define TCP_STATS                   1
#define SYS_STATS                   0

#endif
