# The two commands of the README: `make run` and `make test`. Everything else is for CI and
# for measuring.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
HOST       ?= 127.0.0.1
PORT       ?= 8080
CMAKE_FLAGS ?=
CTEST_ARGS ?=
# A test that has not finished after this long has hung: it fails instead of holding up the
# suite (the end-to-end and soak suites set longer limits of their own).
TEST_TIMEOUT ?= 120
# ccache, when installed, compiles a source once for every build directory that compiles it with
# the same flags (CI builds the tree four ways). Paths are made relative to the checkout and the
# build directory is left out of the hash, so build/ and build-poll/ share their objects.
CCACHE := $(shell command -v ccache 2>/dev/null)
ifneq ($(CCACHE),)
CMAKE_LAUNCHER := -DCMAKE_C_COMPILER_LAUNCHER=$(CCACHE) -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
endif

.PHONY: all build run test test-asan test-poll test-uring soak bench fuzz embedded-test device-build device-run tls-footprint test-mbedtls3 install-check docs clean

all: build

build:
	@scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_LAUNCHER) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

## Builds everything and serves the dashboard on http://127.0.0.1:8080 with the simulated sensor.
run: build
	./$(BUILD)/apps/sensor-server/sensor-server --host $(HOST) --port $(PORT) --sensor sim

## Builds and runs the whole test suite (unit, socket, end-to-end and browser tests).
test: build
	@scripts/deps.sh test
	ctest --test-dir $(BUILD) --output-on-failure --timeout $(TEST_TIMEOUT) $(CTEST_ARGS)

## The same suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=Debug CMAKE_FLAGS="-DASYNCIO_SANITIZE=ON -DASYNCIO_BUILD_BENCH=OFF -DASYNCIO_BUILD_EXAMPLES=OFF"

## Two minutes of mixed load on the ASan+UBSan build (tests/soak/soak.py): memory flat after the
## warm-up, descriptors back to their start, no leak at exit.
soak:
	$(MAKE) test-asan CTEST_ARGS="-L soak --verbose"

## The same suite on the portable poll() back-end.
test-poll:
	$(MAKE) test BUILD=build-poll CMAKE_FLAGS="-DASYNCIO_POLLER=poll -DASYNCIO_BUILD_BENCH=OFF -DASYNCIO_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS)"

## The whole suite with every loop on the io_uring back-end (the same build as `make test`;
## the environment variable picks the back-end, and a test fails if the loops are not on it).
test-uring: build
	@scripts/deps.sh test
	ASYNCIO_POLLER=uring ctest --test-dir $(BUILD) --output-on-failure --timeout $(TEST_TIMEOUT) $(CTEST_ARGS)

## Micro-benchmarks and the HTTP comparison (see bench/RESULTS.md).
bench: build
	@scripts/deps.sh bench
	bench/run.sh $(BUILD)

## The HTML API reference (Doxygen) from the public headers, in build-docs/html/index.html. An
## undocumented public name, or a broken doc comment, is a warning, and a warning fails it.
docs:
	@scripts/deps.sh docs
	mkdir -p build-docs
	DOCS_OUTPUT=$(CURDIR)/build-docs doxygen docs/api/Doxyfile
	@echo "API reference: build-docs/html/index.html"

## libFuzzer harnesses, longer than CI runs them (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 300
fuzz:
	@scripts/deps.sh fuzz
	fuzz/run.sh $(FUZZ_SECONDS)

## The core on Cortex-M boards under QEMU.
embedded-test:
	@scripts/deps.sh embedded
	embedded/run-tests.sh

## sensor-server on an emulated Cortex-M3 board (QEMU mps2-an385, lwIP): builds the image and
## boots it with the board's port 80 forwarded to http://127.0.0.1:$(DEVICE_PORT)/. Ctrl-C stops it.
DEVICE_PORT  ?= 8081
DEVICE_BUILD ?= embedded/build-mps2-an385
device-build:
	@scripts/deps.sh embedded
	cmake -S embedded -B $(DEVICE_BUILD) -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/embedded/cmake/arm-none-eabi.cmake \
	  -DASYNCIO_BOARD=mps2-an385 -DASYNCIO_EXCEPTIONS=ON
	cmake --build $(DEVICE_BUILD) -j$(JOBS) --target sensor_server

## asyncio::tls against mbedTLS 3.6 (ESP-IDF 5's major version; built from Debian trixie's source):
## the TLS and MQTT-over-TLS suites and the end-to-end HTTPS tests. `make test` uses Debian's 2.28.
MBEDTLS3_BUILD ?= build-mbedtls3
test-mbedtls3:
	@scripts/deps.sh build test
	cmake -S . -B $(MBEDTLS3_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_LAUNCHER) -DASYNCIO_BUILD_BENCH=OFF -DASYNCIO_BUILD_EXAMPLES=OFF \
	  -DCMAKE_PREFIX_PATH=$$(scripts/build-mbedtls3.sh $(MBEDTLS3_BUILD)/mbedtls) $(CMAKE_FLAGS)
	grep -q '^MBEDTLS_TLS_LIBRARY:FILEPATH=$(CURDIR)/$(MBEDTLS3_BUILD)/mbedtls/' $(MBEDTLS3_BUILD)/CMakeCache.txt \
	  || { echo "test-mbedtls3: CMake did not pick the mbedTLS 3 build" >&2; exit 1; }
	cmake --build $(MBEDTLS3_BUILD) -j$(JOBS) --target tls_tests mqtt_tls_tests sensor-server
	ctest --test-dir $(MBEDTLS3_BUILD) --output-on-failure --timeout $(TEST_TIMEOUT) -L tls
	/usr/bin/python3 tests/e2e/run_e2e.py $(MBEDTLS3_BUILD)/apps/sensor-server/sensor-server -q -k 'test_tls.'

## What TLS adds to a board program (flash, static RAM), with mbedTLS 2.28 from Debian's source.
tls-footprint:
	@scripts/deps.sh embedded
	embedded/tls/footprint.sh

device-run: device-build
	@echo "sensor-server on the board: http://127.0.0.1:$(DEVICE_PORT)/ (Ctrl-C stops it)"
	qemu-system-arm -M mps2-an385 -cpu cortex-m3 -display none -monitor none -serial null \
	  -semihosting-config enable=on,target=native \
	  -nic user,hostfwd=tcp:127.0.0.1:$(DEVICE_PORT)-:80 -kernel $(DEVICE_BUILD)/device/sensor_server.elf

## Installs the library and builds a consumer with find_package(asyncio).
install-check: build
	rm -rf $(BUILD)/install $(BUILD)/consumer
	cmake --install $(BUILD) --prefix $(BUILD)/install
	cmake -S tests/consumer -B $(BUILD)/consumer -DCMAKE_PREFIX_PATH=$(CURDIR)/$(BUILD)/install
	cmake --build $(BUILD)/consumer -j$(JOBS)
	./$(BUILD)/consumer/consumer

clean:
	rm -rf build build-asan build-poll build-docs build-mbedtls3
