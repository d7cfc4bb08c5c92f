# Included by tests/CMakeLists.txt: the TLS tests (label tls), only when asyncio::tls is built
# (mbedTLS found). They run openssl, curl and python3 as peers; a missing one skips its tests.
if(TARGET asyncio_tls)
  asyncio_layer_tests(tls asyncio::tls)
endif()

# MQTT over TLS (tests/mqtt/tls/): the mqtt client with asyncio::tls's connection, against
# mosquitto with a TLS listener. A program of its own, because mqtt_tests must build without
# mbedTLS. Label mqtt_tls: ctest -L takes a regular expression, so -L mqtt and -L tls both select
# it (gtest_discover_tests cannot give a test two labels in CMake 3.25).
if(TARGET asyncio_tls)
  add_executable(mqtt_tls_tests ${CMAKE_CURRENT_SOURCE_DIR}/mqtt/tls/mqtt_tls_test.cpp)
  target_link_libraries(mqtt_tls_tests PRIVATE asyncio::asyncio asyncio::tls GTest::gtest GTest::gtest_main)
  target_include_directories(mqtt_tls_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  asyncio_warnings(mqtt_tls_tests)
  gtest_discover_tests(mqtt_tls_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS mqtt_tls)
endif()
