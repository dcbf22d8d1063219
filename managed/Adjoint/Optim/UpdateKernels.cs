using System.Numerics;

namespace Adjoint.Optim;

/// <summary>
/// Managed fused optimizer updates (the managed backend's SgdUpdate/AdamUpdate): one pass over the raw buffers of a
/// contiguous parameter, its gradient and its state, vectorised with <see cref="Vector{T}"/>, split across threads
/// for large parameters. The native backend runs adj_sgd_update / adj_adam_update, which follow the same formulas. Each element's
/// arithmetic is exactly the tensor-op reference's (same order, same precision), so the two agree to rounding.
/// </summary>
internal static unsafe class UpdateKernels
{
    // Below this many elements one thread is faster than handing out chunks.
    private const long ParallelThreshold = 1 << 18;
    private const long Chunk = 1 << 16;

    /// <summary>SGD over raw contiguous buffers (see <see cref="Backends.IBackend.SgdUpdate"/>); buf is null without momentum.</summary>
    public static void Sgd(DType dtype, long n, void* p, void* g, void* buf, double lr, double wd, double momentum, double dampening,
                           bool nesterov, bool first)
    {
        if (dtype == DType.Float32)
        {
            var a = new SgdArgs<float>((float*)p, (float*)g, (float*)buf, (float)lr, (float)wd, (float)momentum, (float)(1 - dampening), nesterov, first);
            Run(n, (s, e) => a.Run(s, e));
        }
        else
        {
            var a = new SgdArgs<double>((double*)p, (double*)g, (double*)buf, lr, wd, momentum, 1 - dampening, nesterov, first);
            Run(n, (s, e) => a.Run(s, e));
        }
    }

    /// <summary>Adam/AdamW step number <paramref name="step"/> over raw contiguous buffers (see <see cref="Backends.IBackend.AdamUpdate"/>).</summary>
    public static void Adam(DType dtype, long n, void* p, void* g, void* m, void* v, double lr, double beta1, double beta2, double eps,
                            double wd, bool decoupled, long step)
    {
        double stepSize = lr / (1 - Math.Pow(beta1, step));
        double invSqrtBc2 = 1 / Math.Sqrt(1 - Math.Pow(beta2, step));
        double l2 = decoupled ? 0 : wd, decay = decoupled ? 1 - lr * wd : 1;
        if (dtype == DType.Float32)
        {
            var a = new AdamArgs<float>((float*)p, (float*)g, (float*)m, (float*)v, (float)beta1, (float)beta2, (float)eps, (float)l2,
                                        (float)decay, (float)stepSize, (float)invSqrtBc2);
            Run(n, (s, e) => a.Run(s, e));
        }
        else
        {
            var a = new AdamArgs<double>((double*)p, (double*)g, (double*)m, (double*)v, beta1, beta2, eps, l2, decay, stepSize, invSqrtBc2);
            Run(n, (s, e) => a.Run(s, e));
        }
    }

    private static void Run(long n, Action<long, long> body)
    {
        if (n < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            body(0, n);
            return;
        }
        long chunks = (n + Chunk - 1) / Chunk;
        Parallel.For(0L, chunks, c => body(c * Chunk, Math.Min(n, (c + 1) * Chunk)));
    }

    // g ← ∇ + λp; b ← g (first) or μb + (1 − τ)g; g ← g + μb (Nesterov) or b; p ← p − ηg.
    private readonly struct SgdArgs<T>(T* p, T* g, T* buf, T lr, T wd, T momentum, T oneMinusDampening, bool nesterov, bool first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(long start, long end)
        {
            long i = start;
            if (Vector.IsHardwareAccelerated && Vector<T>.Count > 1)
            {
                var vlr = new Vector<T>(lr);
                var vwd = new Vector<T>(wd);
                var vmu = new Vector<T>(momentum);
                var vdamp = new Vector<T>(oneMinusDampening);
                for (; i <= end - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var vp = Vector.Load(p + i);
                    var vg = Vector.Load(g + i);
                    if (wd != T.Zero) vg += vwd * vp;
                    if (buf is not null)
                    {
                        var vb = first ? vg : vmu * Vector.Load(buf + i) + vdamp * vg;
                        vb.Store(buf + i);
                        vg = nesterov ? vg + vmu * vb : vb;
                    }
                    (vp - vlr * vg).Store(p + i);
                }
            }
            for (; i < end; i++)
            {
                T gi = g[i];
                if (wd != T.Zero) gi += wd * p[i];
                if (buf is not null)
                {
                    T b = first ? gi : momentum * buf[i] + oneMinusDampening * gi;
                    buf[i] = b;
                    gi = nesterov ? gi + momentum * b : b;
                }
                p[i] -= lr * gi;
            }
        }
    }

    // g ← ∇ + λp (Adam; λ = 0 for AdamW); p ← p·decay (AdamW); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
    // p ← p − stepSize · m / (√v · (1/√bc₂) + ε).
    private readonly struct AdamArgs<T>(T* p, T* g, T* m, T* v, T beta1, T beta2, T eps, T wd, T decay, T stepSize, T invSqrtBc2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(long start, long end)
        {
            T c1 = T.One - beta1, c2 = T.One - beta2;
            long i = start;
            if (Vector.IsHardwareAccelerated && Vector<T>.Count > 1)
            {
                var vb1 = new Vector<T>(beta1);
                var vb2 = new Vector<T>(beta2);
                var vc1 = new Vector<T>(c1);
                var vc2 = new Vector<T>(c2);
                var veps = new Vector<T>(eps);
                var vwd = new Vector<T>(wd);
                var vdecay = new Vector<T>(decay);
                var vstep = new Vector<T>(stepSize);
                var vinv = new Vector<T>(invSqrtBc2);
                for (; i <= end - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var vp = Vector.Load(p + i);
                    var vg = Vector.Load(g + i);
                    if (wd != T.Zero) vg += vwd * vp;
                    if (decay != T.One) vp *= vdecay;
                    var vm = vb1 * Vector.Load(m + i) + vc1 * vg;
                    var vv = vb2 * Vector.Load(v + i) + vc2 * (vg * vg);
                    vm.Store(m + i);
                    vv.Store(v + i);
                    (vp - vstep * (vm / (Vector.SquareRoot(vv) * vinv + veps))).Store(p + i);
                }
            }
            for (; i < end; i++)
            {
                T pi = p[i], gi = g[i];
                if (wd != T.Zero) gi += wd * pi;
                if (decay != T.One) pi *= decay;
                T mi = beta1 * m[i] + c1 * gi;
                T vi = beta2 * v[i] + c2 * (gi * gi);
                m[i] = mi;
                v[i] = vi;
                p[i] = pi - stepSize * (mi / (T.Sqrt(vi) * invSqrtBc2 + eps));
            }
        }
    }
}
