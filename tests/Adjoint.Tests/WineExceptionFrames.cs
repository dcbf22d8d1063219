using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Adjoint.Tests;

/// <summary>
/// Under wine only: unlinks the dead entries that wine's exception dispatcher leaves on a thread's frame list when
/// .NET resumes a caught exception without returning to the dispatcher, before a later exception can call them.
/// </summary>
/// <remarks>
/// <para>Why (wine 8, .NET 10, win-x64; docs/PACKAGING.md has the traces): wine keeps a linked list of its own
/// exception frames in <c>TEB.NtTib.ExceptionList</c>, a field Windows leaves unused on x64. Its dispatcher pushes an
/// entry (the nested-exception handler) around every language handler it calls and pops it when the handler returns.
/// When a managed exception crosses native frames (a reflection call, a class constructor, a hardware fault), .NET
/// raises it as the SEH exception <c>0xE0434352</c>; the first managed frame's personality routine then runs the whole
/// managed dispatch itself and jumps to the catch block, never returning to wine, so the entry stays on the list and
/// points into dead stack. The next exception on that thread that wine dispatches (a managed one crossing native
/// frames, a JIT-internal one) finds the entry, calls whatever the reused stack now holds as its handler, faults,
/// finds the same entry again, and recurses until the last stack page, where wine ends the thread without telling
/// the runtime (<c>err:virtual:virtual_setup_exception stack overflow</c>, then <c>abort_thread</c>). The test on
/// that thread never finishes, whatever it held stays held, and the next GC fails with "SuspendThread failed with
/// error 5" (the runtime suspends a thread that no longer exists).</para>
/// <para>What: the only wine frames that stay live under managed code are each thread's start frames, a few hundred
/// bytes below its stack base; every deeper entry is a dispatcher entry that .NET has jumped over, or is about to (if
/// a handler does return, wine's pop restores the list as it was). Such entries are unlinked at every first-chance
/// exception (before .NET can raise the exception as SEH) and before every test, SetUp and TearDown call. On Windows
/// and Linux nothing is installed.</para>
/// </remarks>
internal static unsafe class WineExceptionFrames
{
    // The thread start frames (RtlUserThreadStart's) lie 352 bytes below the stack base on wine 8; dispatcher
    // entries under NUnit lie more than 10 KiB below it.
    private const nuint StartFrames = 4 * 1024;

    private static readonly delegate* unmanaged<nint, int, void*, int, int*, int> s_queryThread = Resolve();
    [ThreadStatic] private static nint t_teb;
    private static int s_installed;
    private static long s_dropped;

    /// <summary>True when running under wine (its ntdll exports <c>wine_get_version</c>).</summary>
    public static bool UnderWine => s_queryThread != null;

    /// <summary>How many dead frame-list entries have been unlinked so far in this process.</summary>
    public static long Dropped => Interlocked.Read(ref s_dropped);

    /// <summary>Hooks first-chance exceptions, once per process; does nothing off wine.</summary>
    public static void Install()
    {
        if (!UnderWine || Interlocked.Exchange(ref s_installed, 1) != 0) return;
        AppDomain.CurrentDomain.FirstChanceException += (_, _) => DropDeadFrames();
    }

    /// <summary>Unlinks the dead entries at the head of this thread's wine frame list.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DropDeadFrames()
    {
        if (s_queryThread == null) return;
        nint teb = t_teb != 0 ? t_teb : (t_teb = CurrentTeb());
        if (teb == 0) return;
        // NT_TIB: ExceptionList at 0, StackBase at 8, StackLimit at 16; each entry starts with its Prev link. Only
        // entries inside the committed stack are read; the list's end marker (~0) lies outside it.
        nuint* list = (nuint*)teb;
        nuint stackBase = *(nuint*)(teb + 8), stackLimit = *(nuint*)(teb + 16);
        nuint keep = stackBase > StartFrames ? stackBase - StartFrames : 0;
        long dropped = 0;
        while (*list >= stackLimit && *list < keep)
        {
            *list = *(nuint*)*list;
            dropped++;
        }
        if (dropped != 0) Interlocked.Add(ref s_dropped, dropped);
    }

    // THREAD_BASIC_INFORMATION: ExitStatus, TebBaseAddress, ClientId (2), AffinityMask, Priority + BasePriority. Wine's
    // x64 ntdll does not export NtCurrentTeb, so the address comes from NtQueryInformationThread (class 0).
    private static nint CurrentTeb()
    {
        nint* info = stackalloc nint[6];
        return s_queryThread(-2, 0, info, 6 * sizeof(nint), null) == 0 ? info[1] : 0;
    }

    private static delegate* unmanaged<nint, int, void*, int, int*, int> Resolve()
    {
        if (!OperatingSystem.IsWindows() || !NativeLibrary.TryLoad("ntdll.dll", out var ntdll)) return null;
        if (!NativeLibrary.TryGetExport(ntdll, "wine_get_version", out _)) return null;
        return NativeLibrary.TryGetExport(ntdll, "NtQueryInformationThread", out var query)
            ? (delegate* unmanaged<nint, int, void*, int, int*, int>)query
            : null;
    }
}
