#!/usr/bin/env pwsh
# One entry point for Adjoint on PowerShell (Windows, Linux, macOS): the same verbs as build.sh.
# Usage: ./build.ps1 <verb> [args]    verbs: build test test-native-isa test-asan bench pack demo clean help
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
  pack             NuGet packages into artifacts/packages
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
        'pack' {
            Build-Native
            Log 'pack into artifacts/packages'
            Exec dotnet @('pack', 'bindings/Adjoint.Interop', '-c', 'Release', '-o', 'artifacts/packages', '-nologo')
            Exec dotnet @('pack', 'managed/Adjoint', '-c', 'Release', '-o', 'artifacts/packages', '-nologo')
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
