// mbedTLS 2.28 for a Cortex-M board: what asyncio::tls (src/tls/tls.cpp) needs for an HTTPS
// server (and its client side, which the same file holds), nothing more. TLS 1.2 only (2.28 has
// no TLS 1.3 in its stable API); ECDHE-ECDSA with ChaCha20-Poly1305 or AES-128-GCM; X25519 and
// P-256 (the certificate's curve); PEM certificates and keys. Used by embedded/tls/footprint.sh.
#ifndef ASYNCIO_BOARD_MBEDTLS_CONFIG_H
#define ASYNCIO_BOARD_MBEDTLS_CONFIG_H

// Platform: no OS entropy; the board supplies mbedtls_hardware_poll() (a TRNG).
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_ENTROPY_FORCE_SHA256
#define MBEDTLS_CTR_DRBG_C

// Symmetric cryptography and hashes of the two cipher suites.
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES  // the tables in flash, not built in RAM at start-up
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C

// Public keys: ECDHE and ECDSA on X25519 and P-256.
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

// TLS 1.2, both ends (the library's ClientTls is in the same file as ServerTls).
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES                                                                  \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
// A client may send records of 16 KiB (TLS's maximum; browsers do not negotiate less); what the
// server sends it cuts into records of 4 KiB.
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

// Error texts: mbedtls_strerror() prints the code only (the full table is about 10 KB of text).
#define MBEDTLS_ERROR_STRERROR_DUMMY

#include "mbedtls/check_config.h"

#endif
