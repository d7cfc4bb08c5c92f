// What TLS costs a board: an echo server on port 443 over TLS (FOOTPRINT_TLS=1) or on port 80 in
// plain TCP (FOOTPRINT_TLS=0), otherwise the same program; embedded/tls/footprint.sh builds both
// for the mps2-an385 (Cortex-M3) and subtracts their sizes. Built only for that measurement.
#include "board_network.hpp"
#include "tick_platform.hpp"

#include <asyncio/asyncio.hpp>
#include <asyncio/io/lwip.hpp>
#if FOOTPRINT_TLS
#include <asyncio/io/tls.hpp>

#include <mbedtls/entropy.h>
#endif

#include <memory>
#include <string>

namespace {

asyncio::Task<> echo_lines(asyncio::Stream stream) {
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;
        stream.write(line);
        co_await stream.drain();
    }
}

#if FOOTPRINT_TLS
// A throw-away self-signed ECDSA P-256 certificate (CN=board): the measurement needs a
// certificate to parse, not a secret.
constexpr const char* kCertificate =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdTCCARugAwIBAgIUTt0zFScZJ4iiAG/cix7CmGGeGwMwCgYIKoZIzj0EAwIw\n"
    "EDEOMAwGA1UEAwwFYm9hcmQwHhcNMjYxMjA0MDY0NTAzWhcNMzYxMjAxMDY0NTAz\n"
    "WjAQMQ4wDAYDVQQDDAVib2FyZDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABO5x\n"
    "ldCnQ5Eh7DLd6h4M+vjFEYKUre46c0XO8IW/aeZ85NvZcCG6YnL1xkEOhoLb5Bnc\n"
    "ctzds1OoT8b5ec5NB0WjUzBRMB0GA1UdDgQWBBRV+Hhp9S1lD5IEh23u20ak5iiX\n"
    "ETAfBgNVHSMEGDAWgBRV+Hhp9S1lD5IEh23u20ak5iiXETAPBgNVHRMBAf8EBTAD\n"
    "AQH/MAoGCCqGSM49BAMCA0gAMEUCIF7D+VUzoIcsw9IsJv/9PAPgkohFt7MyrLo9\n"
    "ozDgZr+0AiEAvVKkUmWBKHh6b5hyTyMauNTOEsRw5ZFSR5loJpwffb4=\n"
    "-----END CERTIFICATE-----\n";
constexpr const char* kKey =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgimdwD9qmTwszWeLQ\n"
    "i+ecppu+LYLTNg+xM5/qrOhrWvShRANCAATucZXQp0ORIewy3eoeDPr4xRGClK3u\n"
    "OnNFzvCFv2nmfOTb2XAhumJy9cZBDoaC2+QZ3HLc3bNTqE/G+XnOTQdF\n"
    "-----END PRIVATE KEY-----\n";
#endif

asyncio::Task<int> serve() {
    while (!board_net::has_address()) co_await asyncio::sleep(std::chrono::milliseconds(50));
#if FOOTPRINT_TLS
    const asyncio::ServerTls tls = asyncio::ServerTls::from_pem(kCertificate, kKey);
    asyncio::Server server = co_await asyncio::start_server(echo_lines, "0.0.0.0", 443, tls);
#else
    asyncio::Server server = co_await asyncio::start_server(echo_lines, "0.0.0.0", 80);
#endif
    co_await server.wait_closed();
    co_return 0;
}

}  // namespace

#if FOOTPRINT_TLS
/// mbedTLS's entropy source on a board (MBEDTLS_ENTROPY_HARDWARE_ALT): a real board reads its
/// TRNG here. The emulated mps2-an385 has none, so this one refuses, and ServerTls::from_pem()
/// fails with a TlsError instead of running on predictable randomness.
extern "C" int mbedtls_hardware_poll(void*, unsigned char*, std::size_t, std::size_t* length) {
    *length = 0;
    return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}
#endif

std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    return lwip::make_platform(std::make_unique<port::TickPlatform>(), {&board_net::poll, &board_net::set_irq_hook});
}

int main() {
    board_net::start("footprint");
    try {
        return asyncio::run(serve());
    } catch (const std::exception&) {
        return 1;
    }
}
