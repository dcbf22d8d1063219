#!/usr/bin/env bash
# Package consumer test: uses the packed Adjoint.<version>.nupkg the way a user meets it.
#   tests/package/run.sh [feed-folder]      (./build.sh test-package packs first, then runs this)
# In a temporary folder: a nuget.config whose sources are only the local feed and nuget.org, a fresh
# `dotnet new console` app and a fresh `dotnet new nunit` project that install the exact version, then
# framework-dependent, self-contained and single-file runs from another working directory, and the
# failure cases (native library removed, ADJOINT_BACKEND=native, ADJOINT_NATIVE_PATH pointing nowhere).
# Prints one line per check and ends with "package consumer: N passed, N failed"; exits 1 on any failure.
# KEEP_TEMP=1 keeps the temporary folder.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/package"
FEED="$(cd "${1:-$ROOT/artifacts/packages}" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset ADJOINT_NATIVE_PATH ADJOINT_BACKEND ADJOINT_ISA

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
check() { # check "description" command...
  local what="$1"
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() {
  echo "package consumer: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

# --- the package itself -----------------------------------------------------------------------------------
shopt -s nullglob
nupkgs=()
for f in "$FEED"/Adjoint.*.nupkg; do
  [[ "$f" == *.symbols.nupkg ]] || nupkgs+=("$f")
done
if [ "${#nupkgs[@]}" -ne 1 ]; then
  bad "exactly one Adjoint.<version>.nupkg in $FEED (found ${#nupkgs[@]}; run ./build.sh pack)"
  finish
fi
NUPKG="${nupkgs[0]}"
VERSION="$(basename "$NUPKG" .nupkg)"
VERSION="${VERSION#Adjoint.}"
echo "package: $NUPKG (version $VERSION)"
listing="$(unzip -Z1 "$NUPKG")"
for entry in lib/net10.0/Adjoint.dll lib/net10.0/Adjoint.Interop.dll lib/net10.0/Adjoint.xml \
  runtimes/linux-x64/native/libadjoint_kernels.so runtimes/win-x64/native/adjoint_kernels.dll \
  runtimes/linux-arm64/native/libadjoint_kernels.so README.md LICENSE; do
  check "package contains $entry" grep -qx "$entry" <<<"$listing"
done
nuspec="$(unzip -p "$NUPKG" Adjoint.nuspec)"
check "nuspec: MIT license expression" grep -q '<license type="expression">MIT</license>' <<<"$nuspec"
check "nuspec: readme" grep -q '<readme>README.md</readme>' <<<"$nuspec"
check "nuspec: description" grep -q '<description>.\+</description>' <<<"$nuspec"
check "nuspec: no dependency on Adjoint.Interop (folded into lib/)" bash -c '! grep -q "Adjoint.Interop" <<<"$1"' _ "$nuspec"
check "symbols package Adjoint.$VERSION.snupkg with both .pdb files" bash -c \
  'unzip -Z1 "$1" | grep -qx lib/net10.0/Adjoint.pdb && unzip -Z1 "$1" | grep -qx lib/net10.0/Adjoint.Interop.pdb' _ "$FEED/Adjoint.$VERSION.snupkg"
check "linux-arm64 library is an AArch64 ELF" bash -c \
  'unzip -p "$1" runtimes/linux-arm64/native/libadjoint_kernels.so | head -c 20 | od -An -tx1 | tr -d " \n" | grep -q "^7f454c46.*b700$"' _ "$NUPKG"
check "win-x64 library is a PE image (MZ)" bash -c \
  '[ "$(unzip -p "$1" runtimes/win-x64/native/adjoint_kernels.dll | head -c 2)" = MZ ]' _ "$NUPKG"

# --- a fresh consumer: nuget.config with the local feed and nuget.org only -------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/adjoint-package-test.XXXXXX")"
if [ "${KEEP_TEMP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
echo "work folder: $WORK"
mkdir -p "$WORK/packages" "$WORK/elsewhere" "$WORK/fallback"
# The usual registry is slow to re-download from: the user's package cache serves as a read-only fallback
# folder, minus any adjoint* entry, so the Adjoint package itself always comes fresh from the local feed.
if [ -d "$HOME/.nuget/packages" ]; then
  for d in "$HOME/.nuget/packages"/*; do
    case "$(basename "$d")" in adjoint*) ;; *) ln -s "$d" "$WORK/fallback/" ;; esac
  done
fi
cat >"$WORK/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Adjoint" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
  <config>
    <add key="globalPackagesFolder" value="$WORK/packages" />
  </config>
  <fallbackPackageFolders>
    <clear />
    <add key="cache" value="$WORK/fallback" />
  </fallbackPackageFolders>
</configuration>
EOF
cd "$WORK" || exit 1
LOGS="$WORK/logs"
mkdir -p "$LOGS"
run_logged() { # run_logged name command... : output into $LOGS/name.log, shown on failure
  local name="$1"
  shift
  if "$@" >"$LOGS/$name.log" 2>&1; then return 0; fi
  echo "---- $name failed: $*" >&2
  tail -40 "$LOGS/$name.log" >&2
  return 1
}

# --- console app ---------------------------------------------------------------------------------------
check "dotnet new console" run_logged new-console dotnet new console -n ConsumerApp -o app --framework net10.0
cp "$HERE/ConsumerApp/Program.cs" app/Program.cs
check "dotnet add package Adjoint --version $VERSION (local feed)" \
  run_logged add-console dotnet add app package Adjoint --version "$VERSION"
check "restored Adjoint $VERSION from the local feed" test -f "$WORK/packages/adjoint/$VERSION/adjoint.nuspec"
check "dotnet build (Release)" run_logged build-console dotnet build app -c Release -nologo
BIN="$WORK/app/bin/Release/net10.0"

# run_app name env... -- exe : runs from $WORK/elsewhere, stdout in $LOGS/name.out, stderr in name.err, rc in $rc
run_app() {
  local name="$1"
  shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  (cd "$WORK/elsewhere" && env "${envs[@]}" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err")
  rc=$?
  sed "s/^/  [$name] /" "$LOGS/$name.out"
  sed "s/^/  [$name stderr] /" "$LOGS/$name.err"
}
has() { grep -q -- "$2" "$LOGS/$1"; }

run_app fdd ADJOINT_X=1 -- "$BIN/ConsumerApp"
check "framework-dependent app exits 0" test "$rc" -eq 0
check "... runs on the native backend" has fdd.out '^backend: native'
check "... prints the ABI version" has fdd.out '^abi: [0-9]'
check "... prints the ISA" has fdd.out '^isa: '
check "... loaded the library from runtimes/linux-x64/native" has fdd.out "^native: $BIN/runtimes/linux-x64/native/libadjoint_kernels.so\$"
check "... prints no warning" test ! -s "$LOGS/fdd.err"
check "deps.json lists runtimes/linux-x64/native/libadjoint_kernels.so as a native asset" \
  grep -qF '"runtimes/linux-x64/native/libadjoint_kernels.so"' "$BIN/ConsumerApp.deps.json"
grep -A3 -F '"runtimes/linux-x64/native/libadjoint_kernels.so"' "$BIN/ConsumerApp.deps.json" | grep -q '"assetType": "native"' \
  && ok "... with assetType native and rid linux-x64" || bad "... with assetType native and rid linux-x64"
check "deps.json lists the win-x64 and linux-arm64 native assets too" bash -c \
  'grep -qF "\"runtimes/win-x64/native/adjoint_kernels.dll\"" "$1" && grep -qF "\"runtimes/linux-arm64/native/libadjoint_kernels.so\"" "$1"' _ "$BIN/ConsumerApp.deps.json"

# Self-contained (the library lands beside the app) and single-file (beside it, or bundled and extracted).
check "dotnet publish -r linux-x64 --self-contained" \
  run_logged publish-sc dotnet publish app -c Release -r linux-x64 --self-contained -o "$WORK/pub-sc" -nologo
run_app sc ADJOINT_X=1 -- "$WORK/pub-sc/ConsumerApp"
check "self-contained app exits 0 on the native backend" has sc.out '^backend: native'
check "... loaded $WORK/pub-sc/libadjoint_kernels.so" has sc.out "^native: $WORK/pub-sc/libadjoint_kernels.so\$"

check "dotnet publish -p:PublishSingleFile=true" \
  run_logged publish-single dotnet publish app -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
  -o "$WORK/pub-single" -nologo
run_app single ADJOINT_X=1 -- "$WORK/pub-single/ConsumerApp"
check "single-file app exits 0 on the native backend" has single.out '^backend: native'
check "... loaded the library beside the executable" has single.out "^native: $WORK/pub-single/libadjoint_kernels.so\$"

check "dotnet publish single-file with IncludeNativeLibrariesForSelfExtract" \
  run_logged publish-bundle dotnet publish app -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
  -p:IncludeNativeLibrariesForSelfExtract=true -o "$WORK/pub-bundle" -nologo
rm -f "$WORK/pub-bundle"/*.pdb
check "... is one file" test "$(ls "$WORK/pub-bundle" | wc -l)" -eq 1
run_app bundle DOTNET_BUNDLE_EXTRACT_BASE_DIR="$WORK/extract" -- "$WORK/pub-bundle/ConsumerApp"
check "... runs on the native backend" has bundle.out '^backend: native'
check "... loaded the library extracted under DOTNET_BUNDLE_EXTRACT_BASE_DIR" has bundle.out "^native: $WORK/extract/.*/libadjoint_kernels.so\$"

# --- failure cases on a copy of the framework-dependent build --------------------------------------------
cp -r "$BIN" "$WORK/nonative"
rm "$WORK/nonative/runtimes/linux-x64/native/libadjoint_kernels.so"
run_app nonative ADJOINT_X=1 -- "$WORK/nonative/ConsumerApp"
check "native library removed: still exits 0" test "$rc" -eq 0
check "... falls back to the managed backend" has nonative.out '^backend: managed'
check "... and warns once on stderr" bash -c '[ "$(grep -c "Adjoint: warning: native kernels unavailable, using the managed backend" "$1")" = 1 ]' _ "$LOGS/nonative.err"

run_app forced ADJOINT_BACKEND=native -- "$WORK/nonative/ConsumerApp"
check "native library removed + ADJOINT_BACKEND=native: exit code 2" test "$rc" -eq 2
check "... NativeLibraryNotFoundException" has forced.out '^error: Adjoint.Interop.NativeLibraryNotFoundException: '
check "... lists the probed paths, runtimes/linux-x64/native among them" \
  has forced.out "  - $WORK/nonative/runtimes/linux-x64/native/libadjoint_kernels.so: does not exist"
check "... and the normal-probing attempt" has forced.out "  - 'adjoint_kernels' by normal probing: "

run_app nowhere ADJOINT_NATIVE_PATH="$WORK/no/such/libadjoint_kernels.so" -- "$BIN/ConsumerApp"
check "ADJOINT_NATIVE_PATH pointing nowhere: the warning names the variable and the path" \
  has nowhere.err "ADJOINT_NATIVE_PATH is set to '$WORK/no/such/libadjoint_kernels.so', but no native kernel library is there"
check "... and the app still runs (managed backend)" has nowhere.out '^backend: managed'
run_app nowhere-forced ADJOINT_NATIVE_PATH="$WORK/no/such/libadjoint_kernels.so" ADJOINT_BACKEND=native -- "$BIN/ConsumerApp"
check "ADJOINT_NATIVE_PATH pointing nowhere + ADJOINT_BACKEND=native: exit code 2" test "$rc" -eq 2
check "... NativeLibraryNotFoundException naming ADJOINT_NATIVE_PATH" \
  has nowhere-forced.out "^error: Adjoint.Interop.NativeLibraryNotFoundException: ADJOINT_NATIVE_PATH is set to '$WORK/no/such/libadjoint_kernels.so'"

# --- NUnit project ---------------------------------------------------------------------------------------
check "dotnet new nunit" run_logged new-nunit dotnet new nunit -n ConsumerTests -o nunit --framework net10.0
rm -f nunit/UnitTest1.cs
cp "$HERE/ConsumerTests/PackageTests.cs" nunit/
check "dotnet add package Adjoint --version $VERSION (NUnit project)" \
  run_logged add-nunit dotnet add nunit package Adjoint --version "$VERSION"
dotnet test nunit -c Release -nologo >"$LOGS/nunit.log" 2>&1
nunit_rc=$?
grep -E "(Passed|Failed)! |error" "$LOGS/nunit.log" | sed 's/^/  [nunit] /'
[ "$nunit_rc" -eq 0 ] || tail -40 "$LOGS/nunit.log"
np="$(sed -nE 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+),.*/\3/p' "$LOGS/nunit.log" | head -1)"
nf="$(sed -nE 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+),.*/\2/p' "$LOGS/nunit.log" | head -1)"
check "dotnet test of the consumer NUnit project passes (${np:-0} passed, ${nf:-?} failed)" \
  bash -c '[ "$1" -eq 0 ] && [ "${2:-0}" -ge 3 ] && [ "${3:-1}" -eq 0 ]' _ "$nunit_rc" "${np:-0}" "${nf:-1}"

finish
