namespace Adjoint.Backends;

// The optimizer updates of IBackend, in managed code (Adjoint.Optim.UpdateKernels: Vector<T> passes, chunked on
// the thread pool), with the same argument checks as adj_sgd_update / adj_adam_update.
public sealed unsafe partial class ManagedBackend
{
    /// <inheritdoc/>
    public void SgdUpdate(DType dtype, long n, void* param, void* grad, void* momentumBuffer, double lr, double weightDecay,
                          double momentum, double dampening, bool nesterov, bool firstStep)
    {
        CheckCount(n, nameof(n));
        CheckPointer(param, n, nameof(param));
        CheckPointer(grad, n, nameof(grad));
        if (momentum != 0) CheckPointer(momentumBuffer, n, nameof(momentumBuffer));
        Optim.UpdateKernels.Sgd(dtype, n, param, grad, momentum != 0 ? momentumBuffer : null, lr, weightDecay, momentum, dampening, nesterov, firstStep);
    }

    /// <inheritdoc/>
    public void AdamUpdate(DType dtype, long n, void* param, void* grad, void* m, void* v, double lr, double beta1, double beta2,
                           double eps, double weightDecay, bool decoupled, long stepNumber)
    {
        CheckCount(n, nameof(n));
        CheckPointer(param, n, nameof(param));
        CheckPointer(grad, n, nameof(grad));
        CheckPointer(m, n, nameof(m));
        CheckPointer(v, n, nameof(v));
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new ArgumentOutOfRangeException(nameof(beta1), $"AdamUpdate: beta1={beta1} and beta2={beta2} must lie in [0, 1).");
        ArgumentOutOfRangeException.ThrowIfLessThan(stepNumber, 1);
        Optim.UpdateKernels.Adam(dtype, n, param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, stepNumber);
    }
}
