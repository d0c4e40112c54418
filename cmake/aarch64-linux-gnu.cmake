# Cross-building the device runtime (libslmrt, libslmtok, slmrun) for 64-bit
# Arm Linux with Debian's cross toolchain (gcc-aarch64-linux-gnu) and the
# arm64 builds of its two libraries (libnanopb-dev:arm64, libutf8proc-dev:arm64;
# scripts/setup.sh installs them):
#
#   cmake -S . -B build/aarch64 -G Ninja -DSLMC_DEVICE_ONLY=ON \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# The binaries run on a board, or here under qemu-aarch64 -L /usr/aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Target libraries and headers from the cross sysroot and Debian's multiarch
# directories; programs (nanopb's generator) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
