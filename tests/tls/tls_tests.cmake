# Included by tests/CMakeLists.txt: the TLS tests (label tls), only when asyncio::tls is built
# (mbedTLS found). They run openssl, curl and python3 as peers; a missing one skips its tests.
if(TARGET asyncio_tls)
  asyncio_layer_tests(tls asyncio::tls)
endif()
