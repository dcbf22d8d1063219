#!/usr/bin/env pwsh
# One entry point for Adjoint on PowerShell (Windows, Linux, macOS): the same verbs as build.sh.
# Usage: ./build.ps1 <verb> [args]    verbs: build test test-native-isa test-asan test-native-win test-managed-win
#                                            test-native-arm64 bench pack test-package demo clean help
# Not exercised by CI (no PowerShell on the CI machine); build.sh is the tested entry point.
[CmdletBinding()]
param(
    [Parameter(Position = 0)] [string] $Verb = 'help',
    [Parameter(Position = 1, ValueFromRemainingArguments = $true)] [string[]] $Rest = @()
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
Set-Location $Root
$Config = if ($env:CONFIG) { $env:CONFIG } else { 'Release' }
$Jobs = if ($env:JOBS) { $env:JOBS } else { '2' }
$NativeBuildDir = 'build/native'
$AsanBuildDir = 'build/native-asan'
$WinBuildDir = 'build/native-win-x64'
$Arm64BuildDir = 'build/native-linux-arm64'
$WineTestsDir = 'build/wine-tests'
$PackagesDir = 'artifacts/packages'
$Solution = 'Interop.sln'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Log([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }
function Fail([string] $Message) { Write-Error "build.ps1: error: $Message"; exit 1 }

# Runs a native command and stops on a non-zero exit code (PowerShell does not do that by itself).
function Exec([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Get-NativeRid {
    $os = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture) {
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { Fail "unsupported architecture $_" }
    }
    "$os-$arch"
}

function Get-NativeLib {
    $rid = Get-NativeRid
    switch -Wildcard ($rid) {
        'win-*' { "artifacts/native/$rid/adjoint_kernels.dll" }
        'osx-*' { "artifacts/native/$rid/libadjoint_kernels.dylib" }
        default { "artifacts/native/$rid/libadjoint_kernels.so" }
    }
}

# Installs what a fresh Debian machine lacks; elsewhere, says what is missing.
function Initialize-Tools {
    $missing = @()
    if (-not (Get-Command cmake -ErrorAction SilentlyContinue)) { $missing += 'cmake' }
    if (-not (Get-Command g++ -ErrorAction SilentlyContinue) -and -not (Get-Command cl -ErrorAction SilentlyContinue)) { $missing += 'g++' }
    if ($IsLinux -and -not (Test-Path /usr/include/gtest/gtest.h)) { $missing += 'libgtest-dev' }
    if ($missing.Count -gt 0) {
        if ($IsLinux -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
            Log "installing $($missing -join ' ')"
            Exec apt-get @('update')
            $env:DEBIAN_FRONTEND = 'noninteractive'
            Exec apt-get (@('install', '-y', '--no-install-recommends') + $missing)
        }
        else {
            Fail "missing tools: $($missing -join ', '); install them and retry"
        }
    }
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { Fail 'the .NET SDK 10 is required (dotnet not on PATH)' }
}

function Build-Native {
    Initialize-Tools
    Log "native: configure + build ($Config, $NativeBuildDir)"
    Exec cmake @('-S', '.', '-B', $NativeBuildDir, "-DCMAKE_BUILD_TYPE=$Config")
    Exec cmake @('--build', $NativeBuildDir, '--config', $Config, "-j$Jobs")
    $lib = Get-NativeLib
    if (-not (Test-Path $lib)) { Fail "native build finished but $lib is missing" }
}

# Cross toolchains and emulators (Debian packages), installed only when missing.
function Initialize-CrossTools([string] $Target) {
    $missing = @()
    if ($Target -eq 'win') {
        if (-not (Get-Command x86_64-w64-mingw32-g++-posix -ErrorAction SilentlyContinue)) { $missing += 'g++-mingw-w64-x86-64' }
        if (-not (Get-Command wine -ErrorAction SilentlyContinue)) { $missing += 'wine64' }
    }
    else {
        if (-not (Get-Command aarch64-linux-gnu-g++ -ErrorAction SilentlyContinue)) { $missing += 'g++-aarch64-linux-gnu' }
        if (-not (Get-Command qemu-aarch64 -ErrorAction SilentlyContinue)) { $missing += 'qemu-user' }
    }
    if (-not (Test-Path /usr/src/googletest/CMakeLists.txt)) { $missing += 'googletest' }
    if ($missing.Count -gt 0) {
        if (-not (Get-Command apt-get -ErrorAction SilentlyContinue)) { Fail "missing $($missing -join ', ') and no apt-get to install them" }
        Log "installing $($missing -join ' ')"
        Exec apt-get @('update')
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Exec apt-get (@('install', '-y', '--no-install-recommends') + $missing)
    }
}

function Build-Cross([string] $Target, [string[]] $Extra = @()) {
    Initialize-Tools
    Initialize-CrossTools $Target
    if ($Target -eq 'win') { $dir = $WinBuildDir; $toolchain = 'cmake/toolchains/mingw-w64-x86_64.cmake'; $lib = 'artifacts/native/win-x64/adjoint_kernels.dll' }
    else { $dir = $Arm64BuildDir; $toolchain = 'cmake/toolchains/aarch64-linux-gnu.cmake'; $lib = 'artifacts/native/linux-arm64/libadjoint_kernels.so' }
    Log "native ($Target): configure + build ($Config, $dir)"
    Exec cmake @('-S', '.', '-B', $dir, "-DCMAKE_BUILD_TYPE=$Config", '--toolchain', $toolchain)
    Exec cmake (@('--build', $dir, "-j$Jobs") + $Extra)
    if (-not (Test-Path $lib)) { Fail "cross build finished but $lib is missing" }
}

function Initialize-Wine {
    if (-not $env:WINEDEBUG) { $env:WINEDEBUG = '-all' }
    $prefix = if ($env:WINEPREFIX) { $env:WINEPREFIX } else { Join-Path $HOME '.wine' }
    if (-not (Test-Path (Join-Path $prefix 'system.reg'))) { & wine cmd /c exit *> $null }
    & wineserver -p 60 *> $null
}

function Test-NativeWin {
    Build-Cross 'win'
    Initialize-Wine
    $runArgs = @('--test-dir', $WinBuildDir, '--output-on-failure', "-j$Jobs")
    if ($env:WINE_CTEST_EXCLUDE) { $runArgs += @('-E', $env:WINE_CTEST_EXCLUDE) }
    Log 'native (win-x64): ctest under wine'
    Exec ctest $runArgs
}

function Test-NativeArm64 {
    Build-Cross 'arm64'
    # One ctest run covers both arm64 tiers: kernel-level tests compare every runnable tier with scalar.
    $infoLine = & qemu-aarch64 -L /usr/aarch64-linux-gnu "$Arm64BuildDir/tests/native/adjoint_native_tests" `
        '--gtest_filter=Api.TiersOfThisArchitecture' | Select-String -Pattern '^\[ tiers \] runnable here: (.*)$'
    $tiers = if ($infoLine) { $infoLine.Matches[0].Groups[1].Value } else { '' }
    if ($tiers -ne 'scalar,neon') { Fail "the arm64 build runs tiers '$tiers' under qemu, expected scalar,neon" }
    Log "native (linux-arm64): ctest under qemu-aarch64 (tiers ${tiers}: kernel tests compare neon with scalar, API tests use neon)"
    Exec ctest @('--test-dir', $Arm64BuildDir, '--output-on-failure', "-j$Jobs")
}

function Test-ManagedWin([string[]] $Extra) {
    Build-Native
    Build-Cross 'win' @('--target', 'adjoint_kernels')
    Initialize-Wine
    if (Test-Path $WineTestsDir) { Remove-Item -Recurse -Force $WineTestsDir }
    Exec dotnet @('publish', 'tests/Adjoint.Tests', '-c', $Config, '-r', 'win-x64', '--self-contained', '-p:EnableNUnitRunner=true',
        '-p:UseAppHost=true', '-o', $WineTestsDir, '-nologo')
    $settings = Join-Path $Root "$WineTestsDir/wine.runsettings"
    Set-Content $settings '<?xml version="1.0" encoding="utf-8"?><RunSettings><NUnit><DefaultTimeout>60000</DefaultTimeout></NUnit></RunSettings>'
    $runArgs = @('--no-progress', '--no-ansi', '--settings', (& winepath -w $settings))
    if ($env:WINE_NUNIT_FILTER) { $runArgs += @('--filter', $env:WINE_NUNIT_FILTER) }
    $env:DOTNET_EnableWriteXorExecute = '0'
    # Same whole-run limit as build.sh (WINE_NUNIT_TIMEOUT, default 300 s), so that a hang under wine fails the step.
    $limit = if ($env:WINE_NUNIT_TIMEOUT) { $env:WINE_NUNIT_TIMEOUT } else { '300' }
    Exec timeout (@('--kill-after=10', $limit, 'wine', "$WineTestsDir/Adjoint.Tests.exe") + $runArgs + $Extra)
}

function New-Package {
    Build-Native
    Build-Cross 'win' @('--target', 'adjoint_kernels')
    Build-Cross 'arm64' @('--target', 'adjoint_kernels')
    Log "pack into $PackagesDir"
    Get-ChildItem $PackagesDir -Filter 'Adjoint.*' -ErrorAction SilentlyContinue | Remove-Item -Force
    Exec dotnet @('pack', 'managed/Adjoint', '-c', 'Release', '-o', $PackagesDir, '-nologo')
}

function Build-Managed {
    Log "managed: dotnet build $Solution ($Config)"
    Exec dotnet @('build', $Solution, '-c', $Config, '-nologo')
}

function Test-Native {
    Log "native: ctest $(if ($env:ADJOINT_ISA) { "(ADJOINT_ISA=$env:ADJOINT_ISA)" })"
    Exec ctest @('--test-dir', $NativeBuildDir, '-C', $Config, '--output-on-failure', "-j$Jobs")
}

function Test-Managed([string[]] $Extra) {
    Log "managed: dotnet test $Solution ($Config)"
    Exec dotnet (@('test', $Solution, '-c', $Config, '--no-build', '-nologo') + $Extra)
}

# ISA tiers to test, lowest first. The library refuses a tier the CPU lacks, so probing with .NET's view is enough.
function Get-SupportedIsas {
    $isas = @('scalar')
    if ([System.Runtime.Intrinsics.X86.Avx2]::IsSupported -and [System.Runtime.Intrinsics.X86.Fma]::IsSupported) {
        $isas += 'avx2'
        if ([System.Runtime.Intrinsics.X86.Avx512F]::IsSupported -and [System.Runtime.Intrinsics.X86.Avx512DQ]::IsSupported -and
            [System.Runtime.Intrinsics.X86.Avx512F+VL]::IsSupported) { $isas += 'avx512' }
    }
    $isas
}

function Test-NativeIsa {
    $failed = $false
    foreach ($isa in Get-SupportedIsas) {
        $env:ADJOINT_ISA = $isa
        try { Test-Native } catch { Write-Warning $_; $failed = $true } finally { Remove-Item Env:ADJOINT_ISA }
    }
    if ($failed) { throw 'native tests failed under at least one ISA' }
}

function Show-Usage {
    @'
Usage: ./build.ps1 <verb> [args]

  build            native library (CMake, Release) + every .NET project (Release)
  test             build, then ctest (native) and dotnet test (managed)
  test-native-isa  ctest once per ISA tier this CPU supports (ADJOINT_ISA=scalar|avx2|avx512)
  test-asan        native tests under AddressSanitizer + UBSan (build/native-asan)
  bench [args]     BenchmarkDotNet (Release); args pass through, e.g. --filter '*Gemm*' --job short
  test-native-win  cross-build win-x64 (mingw-w64) and run the native tests under wine
  test-managed-win the NUnit suite as a self-contained win-x64 test executable, run under wine
  test-native-arm64  cross-build linux-arm64 and run the native tests under qemu-aarch64 (scalar + neon tiers)
  pack             Adjoint.<version>.nupkg (+ .snupkg) into artifacts/packages with linux-x64, win-x64, linux-arm64 natives
  test-package     pack, then tests/package/run.sh (fresh console + NUnit consumers of the package)
  demo             build, then run `adjoint demo`
  clean            remove build/, artifacts/ and .NET outputs

Environment: CONFIG (default Release), JOBS (default 2).
'@
}

try {
    switch ($Verb) {
        'build' { Build-Native; Build-Managed }
        'test' {
            Build-Native; Build-Managed
            $failed = $false
            try { Test-Native } catch { Write-Warning $_; $failed = $true }
            try { Test-Managed $Rest } catch { Write-Warning $_; $failed = $true }
            if ($failed) { exit 1 }
        }
        'test-native-isa' { Build-Native; Test-NativeIsa }
        'test-asan' {
            Initialize-Tools
            Log "native: sanitizer build ($AsanBuildDir)"
            Exec cmake @('-S', '.', '-B', $AsanBuildDir, '-DCMAKE_BUILD_TYPE=Debug', '-DADJOINT_SANITIZE=ON')
            Exec cmake @('--build', $AsanBuildDir, "-j$Jobs")
            Exec ctest @('--test-dir', $AsanBuildDir, '--output-on-failure', "-j$Jobs")
        }
        'bench' {
            Build-Native
            Log 'benchmarks (Release)'
            Exec dotnet (@('run', '-c', 'Release', '--project', 'benchmarks/Adjoint.Benchmarks', '--') + $Rest)
        }
        'test-native-win' { Test-NativeWin }
        'test-managed-win' { Test-ManagedWin $Rest }
        'test-native-arm64' { Test-NativeArm64 }
        'pack' { New-Package }
        'test-package' {
            New-Package
            Log 'package consumer test (tests/package/run.sh)'
            Exec bash @('tests/package/run.sh', $PackagesDir)
        }
        'demo' {
            Build-Native; Build-Managed
            Exec dotnet (@('run', '-c', 'Release', '--no-build', '--project', 'managed/Adjoint.Cli', '--', 'demo') + $Rest)
        }
        'clean' {
            Log 'clean'
            & dotnet clean $Solution -c $Config -nologo *> $null
            foreach ($dir in @('build', 'artifacts', 'BenchmarkDotNet.Artifacts', 'TestResults')) {
                if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }
            }
            Get-ChildItem -Recurse -Directory -Include bin, obj -ErrorAction SilentlyContinue |
                Where-Object { $_.FullName -notmatch '[\\/]\.git[\\/]' } |
                Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
        }
        { $_ -in 'help', '-h', '--help' } { Show-Usage }
        default { Show-Usage; Fail "unknown verb '$Verb'" }
    }
}
catch {
    Write-Error $_
    exit 1
}
