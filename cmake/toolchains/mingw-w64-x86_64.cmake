# Cross build for win-x64 with Debian's mingw-w64 (apt-get install g++-mingw-w64-x86-64).
#   cmake -S . -B build/native-win-x64 --toolchain cmake/toolchains/mingw-w64-x86_64.cmake
# Tests run under wine (CMAKE_CROSSCOMPILING_EMULATOR) when wine is installed.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_adj_triple x86_64-w64-mingw32)
# The posix thread model: the win32 one has no std::mutex / std::thread, which the thread pool needs.
find_program(CMAKE_CXX_COMPILER NAMES ${_adj_triple}-g++-posix REQUIRED)
find_program(CMAKE_C_COMPILER NAMES ${_adj_triple}-gcc-posix ${_adj_triple}-gcc)
find_program(CMAKE_RC_COMPILER NAMES ${_adj_triple}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${_adj_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The Windows x64 ABI aligns the stack to 16 bytes only; GCC still spills ymm/zmm registers with aligned moves.
# Letting the assembler turn aligned vector moves into unaligned ones keeps AVX2/AVX-512 code from faulting.
set(CMAKE_CXX_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
set(CMAKE_C_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
# Everything static (libstdc++, libgcc, winpthread): the DLL and the test .exe need only Windows' own DLLs.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

find_program(ADJOINT_WINE NAMES wine wine64)
if(ADJOINT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ADJOINT_WINE}")
endif()
