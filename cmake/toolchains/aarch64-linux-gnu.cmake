# Cross build for linux-arm64 with Debian's cross compiler (apt-get install g++-aarch64-linux-gnu).
#   cmake -S . -B build/native-linux-arm64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
# Tests run under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR) when qemu-user is installed; no binfmt needed.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_adj_triple aarch64-linux-gnu)
find_program(CMAKE_CXX_COMPILER NAMES ${_adj_triple}-g++ REQUIRED)
find_program(CMAKE_C_COMPILER NAMES ${_adj_triple}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${_adj_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(ADJOINT_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(ADJOINT_QEMU_AARCH64)
  # -L: where the target's dynamic loader and libc live.
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ADJOINT_QEMU_AARCH64};-L;/usr/${_adj_triple}")
endif()
