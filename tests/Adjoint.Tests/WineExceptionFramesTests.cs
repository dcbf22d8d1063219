using System.Reflection;
using NUnit.Framework;

namespace Adjoint.Tests;

/// <summary>
/// Exceptions that cross native frames (here: leaving a method called by reflection) return every time on one thread.
/// Under wine without <see cref="WineExceptionFrames"/> the second one killed the thread (docs/PACKAGING.md).
/// </summary>
[TestFixture]
public class WineExceptionFramesTests
{
    private static void Throw(int i) => throw new InvalidOperationException($"reflected throw {i}");

    [Test]
    public void ExceptionsLeavingReflectionCallsAllReturnOnOneThread()
    {
        const int Rounds = 6;
        var method = typeof(WineExceptionFramesTests).GetMethod(nameof(Throw), BindingFlags.NonPublic | BindingFlags.Static)!;
        long droppedBefore = WineExceptionFrames.Dropped;
        var caught = new List<string>();
        // A thread of its own: its frame list starts clean, and a thread that wine ends shows as a Join that times
        // out instead of a test that never returns.
        var thread = new Thread(() =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                try { method.Invoke(null, [i]); }
                catch (TargetInvocationException e) { caught.Add(e.InnerException!.Message); }
            }
        });
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True, $"the thread stopped after {caught.Count} of {Rounds} exceptions");
        Assert.That(caught, Is.EqualTo(Enumerable.Range(0, Rounds).Select(i => $"reflected throw {i}")));
        if (WineExceptionFrames.UnderWine)
            Assert.That(WineExceptionFrames.Dropped, Is.GreaterThan(droppedBefore), "no dead frame-list entry was unlinked");
        else
            Assert.That(WineExceptionFrames.Dropped, Is.Zero);
    }
}
