# CMake toolchain file: bare-metal Arm Cortex-M with Debian's gcc-arm-none-eabi, newlib and
# libstdc++ (packages gcc-arm-none-eabi, libnewlib-arm-none-eabi, libstdc++-arm-none-eabi-newlib).
#
#   cmake -S embedded -B embedded/build-mps2-an385 \
#         -DCMAKE_TOOLCHAIN_FILE=embedded/cmake/arm-none-eabi.cmake -DASYNCIO_BOARD=mps2-an385
#
# The CPU flags (-mcpu, -mfloat-abi) come from the board, chosen in embedded/CMakeLists.txt, so
# this file only names the tools.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(ARM_NONE_EABI_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the cross tools")
find_program(CMAKE_C_COMPILER ${ARM_NONE_EABI_PREFIX}gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER ${ARM_NONE_EABI_PREFIX}g++ REQUIRED)
find_program(CMAKE_ASM_COMPILER ${ARM_NONE_EABI_PREFIX}gcc REQUIRED)
find_program(CMAKE_OBJCOPY ${ARM_NONE_EABI_PREFIX}objcopy REQUIRED)
find_program(CMAKE_SIZE ${ARM_NONE_EABI_PREFIX}size REQUIRED)

# A bare-metal link needs a linker script and start-up code, which the compiler checks do not
# have: test the compilers by building a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
