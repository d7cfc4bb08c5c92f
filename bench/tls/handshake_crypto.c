/* The public-key operations of a TLS 1.3 server's full handshake, through mbedTLS 3's PSA API as
 * its TLS 1.3 code calls them: an ephemeral key exchange (generate a key pair, export the public
 * key, agree with the client's share) with X25519 and with P-256, and an ECDSA P-256 signature
 * (the CertificateVerify). Prints microseconds per operation, the median of 5 rounds of 200, so
 * that an mbedTLS configuration can be compared with another, and with `openssl speed ecdhx25519
 * ecdsap256` (what nginx's handshake does).
 *
 *   scripts/build-mbedtls3.sh build-mbedtls3/mbedtls
 *   M=build-mbedtls3/mbedtls/install
 *   cc -O2 -I$M/include bench/tls/handshake_crypto.c $M/lib/libmbedcrypto.a $M/lib/libeverest.a \
 *      $M/lib/libp256m.a -lpthread -o /tmp/handshake_crypto && /tmp/handshake_crypto
 */
#include <psa/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kRounds = 5, kPerRound = 200 };

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void check(psa_status_t status, const char* what) {
    if (status != PSA_SUCCESS) {
        fprintf(stderr, "handshake_crypto: %s failed (%d)\n", what, (int)status);
        exit(1);
    }
}

static psa_key_id_t new_key(psa_ecc_family_t family, size_t bits, psa_key_usage_t usage, psa_algorithm_t algorithm) {
    psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(family));
    psa_set_key_bits(&attributes, bits);
    psa_set_key_usage_flags(&attributes, usage);
    psa_set_key_algorithm(&attributes, algorithm);
    psa_key_id_t key = 0;
    check(psa_generate_key(&attributes, &key), "psa_generate_key");
    return key;
}

/* One key exchange as the server makes it: a new key pair, its public key for the ServerHello,
 * the shared secret with the client's public key. */
static void exchange(psa_ecc_family_t family, size_t bits, const unsigned char* peer, size_t peer_length) {
    const psa_key_id_t key = new_key(family, bits, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
    unsigned char public_key[65];
    size_t public_length = 0;
    check(psa_export_public_key(key, public_key, sizeof public_key, &public_length), "psa_export_public_key");
    unsigned char secret[32];
    size_t secret_length = 0;
    check(psa_raw_key_agreement(PSA_ALG_ECDH, key, peer, peer_length, secret, sizeof secret, &secret_length),
          "psa_raw_key_agreement");
    psa_destroy_key(key);
}

static int by_value(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

static void time_exchange(const char* name, psa_ecc_family_t family, size_t bits) {
    const psa_key_id_t client = new_key(family, bits, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
    unsigned char peer[65];
    size_t peer_length = 0;
    check(psa_export_public_key(client, peer, sizeof peer, &peer_length), "psa_export_public_key");
    double rounds[kRounds];
    for (int round = 0; round < kRounds; ++round) {
        const double start = seconds_now();
        for (int i = 0; i < kPerRound; ++i) exchange(family, bits, peer, peer_length);
        rounds[round] = (seconds_now() - start) / kPerRound * 1e6;
    }
    psa_destroy_key(client);
    qsort(rounds, kRounds, sizeof rounds[0], by_value);
    printf("%-28s %8.0f us\n", name, rounds[kRounds / 2]);
}

static void time_signature(void) {
    const psa_algorithm_t ecdsa = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    const psa_key_id_t key = new_key(PSA_ECC_FAMILY_SECP_R1, 256, PSA_KEY_USAGE_SIGN_HASH, ecdsa);
    const unsigned char hash[32] = {1};
    unsigned char signature[64];
    size_t length = 0;
    double rounds[kRounds];
    for (int round = 0; round < kRounds; ++round) {
        const double start = seconds_now();
        for (int i = 0; i < kPerRound; ++i) {
            check(psa_sign_hash(key, ecdsa, hash, sizeof hash, signature, sizeof signature, &length), "psa_sign_hash");
        }
        rounds[round] = (seconds_now() - start) / kPerRound * 1e6;
    }
    psa_destroy_key(key);
    qsort(rounds, kRounds, sizeof rounds[0], by_value);
    printf("%-28s %8.0f us\n", "ECDSA P-256 signature", rounds[kRounds / 2]);
}

int main(void) {
    check(psa_crypto_init(), "psa_crypto_init");
    time_exchange("X25519 key exchange", PSA_ECC_FAMILY_MONTGOMERY, 255);
    time_exchange("P-256 key exchange", PSA_ECC_FAMILY_SECP_R1, 256);
    time_signature();
    return 0;
}
