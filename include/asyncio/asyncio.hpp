#pragma once
// asyncio for C++20: the whole library. Where each name lives (MicroPython's asyncio/__init__.py
// keeps the same map):
//
//   core/task.hpp              Task<T>, TaskRef, run, create_task, current_task
//   core/loop.hpp              EventLoop (call_soon, call_later, introspection), get_event_loop
//   core/sleep.hpp             sleep, sleep_ms
//   core/timeout.hpp           wait_for, wait_for_ms, timeout, timeout_at / Timeout
//   core/wait.hpp              wait (one task, or a set with return_when and a timeout),
//                              try_wait_for (no exceptions)
//   core/shield.hpp            shield
//   core/as_completed.hpp      as_completed
//   core/run_coroutine_threadsafe.hpp  run_coroutine_threadsafe, ThreadsafeFuture
//   core/gather.hpp            gather, return_exceptions
//   core/task_group.hpp        TaskGroup, task_group
//   core/exception_group.hpp   ExceptionGroup
//   core/event.hpp             Event
//   core/lock.hpp              Lock, LockGuard
//   core/semaphore.hpp         Semaphore, BoundedSemaphore
//   core/condition.hpp         Condition
//   core/barrier.hpp           Barrier, BrokenBarrierError
//   core/queue.hpp             Queue<T>, LifoQueue<T>, PriorityQueue<T>
//   core/thread_safe_flag.hpp  ThreadSafeFlag
//   core/topic.hpp             Topic<T> (one publisher, many bounded subscribers)
//   core/to_thread.hpp         to_thread
//   core/errors.hpp            CancelledError, TimeoutError, QueueFull, QueueEmpty, QueueShutDown,
//                              IncompleteReadError, LimitOverrunError, InvalidStateError
//   core/virtual_clock.hpp     VirtualClock (instant, deterministic timers for tests)
//   core/frame_allocator.hpp   set_frame_allocator, frame_stats
//   core/frame_pool.hpp        FramePool, StaticFramePool (coroutine frames with no heap)
//   core/fatal_error.hpp       fatal_error, set_fatal_error_handler (the -fno-exceptions profile)
//   core/config.hpp            ASYNCIO_EXCEPTIONS
//   io/stream.hpp              Stream, open_connection
//   io/server.hpp              Server, start_server
//   io/datagram.hpp            DatagramEndpoint, open_datagram
//   io/signals.hpp             add_signal_handler
//   io/connection_error.hpp    is_connection_error (CPython's ConnectionError)
//   io/tls.hpp                 ServerTls, ClientTls, start_tls, TlsError (asyncio::tls; not
//                              included here: it needs mbedTLS)
//   http/router.hpp            Router, Handler, AsyncHandler, StreamHandler, ServerRequest,
//                              OwnedRequest
//   http/server.hpp            HttpServer, ServerOptions, ServerStats, AccessLogEntry
//   http/response.hpp          Response, reason_phrase, http_date
//   http/event_stream.hpp      EventStream (Server-Sent Events)
//   http/websocket.hpp         WebSocket, OriginPolicy, Message, close codes
//   http/test_client.hpp       TestClient, TestResponse (requests in process, no port)
//   http/request_parser.hpp    parse_request, Request, Limits (the parser on its own)
//   http/chunked_decoder.hpp   ChunkedDecoder
//   http/conditional.hpp       if_none_match
//   http/websocket_frame.hpp, websocket_handshake.hpp, websocket_message.hpp: the WebSocket
//                              protocol without I/O (frames, the opening handshake, messages)
//   mqtt/mqtt.hpp              the MQTT client: mqtt::Client, connect, Options, Message,
//                              Subscription, QoS, and its errors (mqtt/tls.hpp: over_tls)

#include <asyncio/core/as_completed.hpp>
#include <asyncio/core/barrier.hpp>
#include <asyncio/core/condition.hpp>
#include <asyncio/core/config.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/exception_group.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/frame_pool.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/semaphore.hpp>
#include <asyncio/core/shield.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/thread_safe_flag.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/core/topic.hpp>
#include <asyncio/core/virtual_clock.hpp>
#include <asyncio/core/wait.hpp>
#if __has_include(<thread>) && !defined(ASYNCIO_NO_THREADS)
#include <asyncio/core/to_thread.hpp>
// std::mutex needs threads: a bare-metal libstdc++ has the header but not the type.
#if !defined(__GLIBCXX__) || defined(_GLIBCXX_HAS_GTHREADS)
#include <asyncio/core/run_coroutine_threadsafe.hpp>
#endif
#endif
#if __has_include(<asyncio/io/stream.hpp>)
#include <asyncio/io/datagram.hpp>
#include <asyncio/io/server.hpp>
#include <asyncio/io/signals.hpp>
#include <asyncio/io/stream.hpp>
#include <asyncio/io/connection_error.hpp>
#endif
#if __has_include(<asyncio/http/server.hpp>)
#include <asyncio/http/event_stream.hpp>
#include <asyncio/http/response.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/http/websocket.hpp>
#endif
#if __has_include(<asyncio/mqtt/mqtt.hpp>)
#include <asyncio/mqtt/mqtt.hpp>
#endif
