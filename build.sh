#!/usr/bin/env bash
# One entry point for Adjoint: native (CMake) + managed (.NET) build, tests, benchmarks, packages, demo.
# Usage: ./build.sh <verb> [args]    verbs: build test test-native-isa test-asan bench pack demo clean help
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

CONFIG="${CONFIG:-Release}"
JOBS="${JOBS:-2}"
NATIVE_BUILD_DIR="build/native"
ASAN_BUILD_DIR="build/native-asan"
SOLUTION="Interop.sln"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

native_rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=osx ;;
    MINGW* | MSYS* | CYGWIN*) os=win ;;
    *) die "unsupported OS $(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
  echo "$os-$arch"
}

native_lib() {
  case "$(native_rid)" in
    win-*) echo "artifacts/native/$(native_rid)/adjoint_kernels.dll" ;;
    osx-*) echo "artifacts/native/$(native_rid)/libadjoint_kernels.dylib" ;;
    *) echo "artifacts/native/$(native_rid)/libadjoint_kernels.so" ;;
  esac
}

# Installs what a fresh Debian machine lacks; a no-op when everything is present.
ensure_tools() {
  local missing=()
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 || missing+=(make)
  if ! [ -f /usr/include/gtest/gtest.h ] && ! dpkg -s libgtest-dev >/dev/null 2>&1; then
    missing+=(libgtest-dev)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "installing ${missing[*]}"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK 10 is required (dotnet not on PATH); see https://dot.net"
}

build_native() {
  ensure_tools
  log "native: configure + build ($CONFIG, $NATIVE_BUILD_DIR)"
  cmake -S . -B "$NATIVE_BUILD_DIR" -DCMAKE_BUILD_TYPE="$CONFIG"
  cmake --build "$NATIVE_BUILD_DIR" -j"$JOBS"
  [ -f "$(native_lib)" ] || die "native build finished but $(native_lib) is missing"
}

build_managed() {
  log "managed: dotnet build $SOLUTION ($CONFIG)"
  dotnet build "$SOLUTION" -c "$CONFIG" -nologo
}

test_native() {
  log "native: ctest ${ADJOINT_ISA:+(ADJOINT_ISA=$ADJOINT_ISA)}"
  ctest --test-dir "$NATIVE_BUILD_DIR" --output-on-failure -j"$JOBS"
}

test_managed() {
  log "managed: dotnet test $SOLUTION ($CONFIG)"
  dotnet test "$SOLUTION" -c "$CONFIG" --no-build -nologo "$@"
}

# The ISA tiers this CPU and OS can run, lowest first (the library's own dispatch makes the final call).
supported_isas() {
  local isas="scalar"
  if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
    isas="$isas avx2"
    if grep -qw avx512f /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
      isas="$isas avx512"
    fi
  fi
  echo "$isas"
}

test_native_isa() {
  local isa status=0
  for isa in $(supported_isas); do
    ADJOINT_ISA="$isa" test_native || status=1
  done
  return "$status"
}

test_asan() {
  ensure_tools
  log "native: sanitizer build ($ASAN_BUILD_DIR)"
  cmake -S . -B "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DADJOINT_SANITIZE=ON
  cmake --build "$ASAN_BUILD_DIR" -j"$JOBS"
  ctest --test-dir "$ASAN_BUILD_DIR" --output-on-failure -j"$JOBS"
}

usage() {
  cat <<'USAGE'
Usage: ./build.sh <verb> [args]

  build            native library (CMake, Release) + every .NET project (Release)
  test             build, then ctest (native) and dotnet test (managed)
  test-native-isa  ctest once per ISA tier this CPU supports (ADJOINT_ISA=scalar|avx2|avx512)
  test-asan        native tests under AddressSanitizer + UBSan (build/native-asan)
  bench [args]     BenchmarkDotNet (Release); args pass through, e.g. --filter '*Gemm*' --job short
  pack             NuGet packages into artifacts/packages
  demo             build, then run `adjoint demo`
  clean            remove build/, artifacts/ and .NET outputs

Environment: CONFIG (default Release), JOBS (default 2).
USAGE
}

verb="${1:-help}"
[ "$#" -gt 0 ] && shift
case "$verb" in
  build)
    build_native
    build_managed
    ;;
  test)
    build_native
    build_managed
    status=0
    test_native || status=1
    test_managed "$@" || status=1
    exit "$status"
    ;;
  test-native-isa)
    build_native
    test_native_isa
    ;;
  test-asan)
    test_asan
    ;;
  bench)
    build_native
    log "benchmarks (Release)"
    dotnet run -c Release --project benchmarks/Adjoint.Benchmarks -- "$@"
    ;;
  pack)
    build_native
    log "pack into artifacts/packages"
    dotnet pack bindings/Adjoint.Interop -c Release -o artifacts/packages -nologo
    dotnet pack managed/Adjoint -c Release -o artifacts/packages -nologo
    ;;
  demo)
    build_native
    build_managed
    dotnet run -c Release --no-build --project managed/Adjoint.Cli -- demo "$@"
    ;;
  clean)
    log "clean"
    dotnet clean "$SOLUTION" -c "$CONFIG" -nologo >/dev/null 2>&1 || true
    rm -rf build artifacts BenchmarkDotNet.Artifacts TestResults
    find . -path ./.git -prune -o -type d \( -name bin -o -name obj \) -print -prune | xargs -r rm -rf
    ;;
  help | -h | --help)
    usage
    ;;
  *)
    usage >&2
    die "unknown verb '$verb'"
    ;;
esac
