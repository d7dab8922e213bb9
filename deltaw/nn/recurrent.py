"""Recurrent networks over whole sequences: lstm gru simple_rnn.

Each is ONE primitive per layer call that unrolls the time loop in NumPy and has a hand-written
backpropagation-through-time rule, for speed: a per-step composite would record about a dozen
graph nodes per time step. The input projection of all time steps is one GEMM
(x @ kernel + bias for every step at once); the loop does only h @ recurrent_kernel and the gate
math, in preallocated time-major buffers. The backward pass mirrors that: the loop produces the
gate gradients of every step, then dkernel, drecurrent_kernel, dbias and dx are each one GEMM or
sum over all steps.

LSTM in float32 with Keras' default activations runs the gate math of each step as one compiled
kernel call when numba is installed (deltaw's `fast` extra; `deltaw.nn._kernels.recurrent_numba`)
instead of a dozen NumPy calls; each step's recurrent GEMM stays with BLAS. Everything else
(float64, other activations, no numba, DELTAW_DISABLE_NUMBA=1) takes the NumPy loops, which are
also the reference the kernel tests compare against.

Weights are laid out as Keras stores them: kernel (input_dim, k * units), recurrent_kernel
(units, k * units), gates in Keras' order: LSTM (i, f, c, o) (PyTorch's i, f, g, o), GRU
(z, r, h) (PyTorch's r, z, n is a different order). Defaults are Keras 3's: activation tanh,
recurrent_activation sigmoid, GRU reset_after=True.

Masking (Keras semantics, as its TensorFlow and PyTorch backends compute it): where mask[n, t] is
False, step t leaves sample n's states unchanged and its output at t repeats the previous output,
which is zeros before the sample's first unmasked step (so with a non-zero initial state the
outputs of leading masked steps are 0 while the state stays h0). The final states returned are
the carried states. Each primitive returns the output sequence and the final states packed along
the time axis, (batch, timesteps + k, units); the public functions split them with getitem.

Sigmoid is computed as 0.5 * (1 + tanh(z / 2)), which cannot overflow. When every gate's
activation is tanh or sigmoid, the LSTM's gates take one tanh pass per step over all four: the
sigmoid gates' weights are halved first (exact in binary floating point), then each gate is
shift + scale * tanh(z).
"""

from __future__ import annotations

import numpy as np

from deltaw import ops as _ops
from deltaw.autograd.higher_order import composite_vjp
from deltaw.autograd.op import primitive
from deltaw.nn import activations as _act

__all__ = ["lstm", "gru", "simple_rnn"]


# ----------------------------------------------------------------------------- activations
# Each: forward applied in place to a (view of a) gate buffer, and the derivative written in
# terms of the activation's OUTPUT y (cheaper: nothing before the activation is kept).

def _tanh(xp, z):
    return xp.tanh(z, out=z)


def _sigmoid(xp, z):
    z *= 0.5
    xp.tanh(z, out=z)
    z += 1
    z *= 0.5
    return z


def _relu(xp, z):
    return xp.maximum(z, 0, out=z)


def _hard_sigmoid(xp, z):
    z /= 6                       # Keras 3: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)
    z += 0.5
    return xp.clip(z, 0, 1, out=z)


def _linear(xp, z):
    return z


# Derivatives from the output y, written into `out` (a new array when out is None).

def _d_tanh(xp, y, out=None):
    out = xp.multiply(y, y, out=out)
    return xp.subtract(1, out, out=out)


def _d_sigmoid(xp, y, out=None):
    out = xp.subtract(1, y, out=out)
    return xp.multiply(out, y, out=out)


def _d_relu(xp, y, out=None):
    if out is None:
        out = xp.empty_like(y)
    out[...] = y > 0                                                   # 0 at the kink
    return out


def _d_hard_sigmoid(xp, y, out=None):
    if out is None:
        out = xp.empty_like(y)
    out[...] = (y > 0) & (y < 1)
    out /= 6
    return out


def _d_linear(xp, y, out=None):
    if out is None:
        out = xp.empty_like(y)
    out[...] = 1
    return out


_ACTIVATIONS = {
    "tanh": (_tanh, _d_tanh),
    "sigmoid": (_sigmoid, _d_sigmoid),
    "relu": (_relu, _d_relu),
    "hard_sigmoid": (_hard_sigmoid, _d_hard_sigmoid),
    "linear": (_linear, _d_linear),
}

# sigmoid(z) = 0.5 * tanh(0.5 * z) + 0.5 and tanh(z) = 1 * tanh(1 * z) + 0: gates whose
# activations are both of these take one tanh pass over all gates per step, with the inner
# scale folded into the weights (halving is exact in binary floating point).
_TANH_FORM = {"sigmoid": (0.5, 0.5), "tanh": (1.0, 0.0)}


def _tanh_form(xp, dtype, activations, units):
    """(scale, shift) vectors over the gate columns when every gate activation is tanh or
    sigmoid (one block of `units` columns per entry of `activations`), else None."""
    if any(a not in _TANH_FORM for a in activations):
        return None
    scale = xp.concatenate([xp.full(units, _TANH_FORM[a][0], dtype) for a in activations])
    shift = xp.concatenate([xp.full(units, _TANH_FORM[a][1], dtype) for a in activations])
    return scale, shift


def _activation(where, name, value):
    if value not in _ACTIVATIONS:
        known = ", ".join(sorted(_ACTIVATIONS))
        raise ValueError(f"{where}: unsupported {name} {value!r} for the fused op; expected one of "
                         f"{known}. Hint: compose other activations step by step.")
    return _ACTIVATIONS[value]


# ----------------------------------------------------------------------------- shared plumbing

def _check_inputs(where, x, kernel, recurrent_kernel, gates, states, mask):
    if x.ndim != 3:
        raise ValueError(f"{where}: expected an input of rank 3 (batch, timesteps, features); got "
                         f"input shape {x.shape}.")
    n, t, f = x.shape
    if t == 0:
        raise ValueError(f"{where}: the sequence is empty; expected at least 1 timestep, got input "
                         f"shape {x.shape}.")
    units = recurrent_kernel.shape[0] if recurrent_kernel.ndim == 2 else -1
    if recurrent_kernel.shape != (units, gates * units):
        raise ValueError(f"{where}: recurrent_kernel must be (units, {gates} * units); got "
                         f"recurrent_kernel shape {recurrent_kernel.shape}.")
    if kernel.shape != (f, gates * units):
        raise ValueError(f"{where}: kernel does not match the input; expected shape "
                         f"({f}, {gates * units}) (input_dim, {gates} * units), got input shape "
                         f"{x.shape} and kernel shape {kernel.shape}.")
    for name, s in states:
        if s.shape != (n, units):
            raise ValueError(f"{where}: {name} must be (batch, units) = ({n}, {units}); got "
                             f"{name} shape {s.shape}.")
    if mask is not None and mask.shape != (n, t):
        raise ValueError(f"{where}: mask must be (batch, timesteps) = ({n}, {t}); got mask shape "
                         f"{mask.shape}.")
    return units


def _time_major(x, go_backwards):
    """(N, T, F) -> (T, N, F) view, reversed in time when going backwards."""
    x = x.transpose(1, 0, 2)
    return x[::-1] if go_backwards else x


def _mask_columns(mask, go_backwards):
    """(N, T) bool -> (T, N, 1) bool in processing order, or None."""
    if mask is None:
        return None
    m = mask.T[:, :, None]
    return m[::-1] if go_backwards else m


def _input_projection(xp, xs, kernel, bias):
    """x @ kernel + bias for every step at once: one GEMM.

    Returns (proj (T, N, k * units) contiguous, the input as a contiguous (T * N, F) matrix,
    which the backward pass reuses for dkernel instead of copying the time-major view again).
    """
    flat = xp.ascontiguousarray(xs).reshape(-1, xs.shape[-1])
    proj = xp.matmul(flat, kernel).reshape(*xs.shape[:2], -1)
    if bias is not None:                       # None: the caller adds it later, in its loop
        proj += bias
    return proj, flat


def _weight_grads(xp, x_flat, kernel, dproj, needs, bias_shape):
    """dx (time-major), dkernel, dbias from the input projection's gradient (T, N, k * units)."""
    flat = dproj.reshape(-1, dproj.shape[-1])
    dx = dkernel = dbias = None
    if needs[0]:
        dx = xp.matmul(flat, kernel.T).reshape(*dproj.shape[:2], -1)       # dx = dproj W^T
    if needs[1]:
        dkernel = xp.matmul(x_flat.T, flat)                                # dW = x^T dproj
    if needs[3] and bias_shape is not None:
        dbias = flat.sum(axis=0)
    return dx, dkernel, dbias


def _batch_major(dx_tm, go_backwards):
    return (dx_tm[::-1] if go_backwards else dx_tm).transpose(1, 0, 2)


def _carry(xp, new, old, m):
    """Masked steps keep the old state: new[n] = old[n] where m[n] is False."""
    if m is not None:
        xp.copyto(new, old, where=~m)


def _seen(xp, ms):
    """(T, N, 1): whether the sample had an unmasked step at or before t (None: no mask)."""
    return None if ms is None else xp.logical_or.accumulate(ms, axis=0)


def _pack(xp, hs, seen, extra, last_only=False):
    """Outputs (zeros before a sample's first unmasked step) then the final states: (N, T+k, u).

    With `last_only`, only the last step's output is packed: (N, 1+k, u).
    """
    kept = 1 if last_only else hs.shape[0] - 1
    out = xp.empty((hs.shape[1], kept + len(extra), hs.shape[2]), hs.dtype)
    seq = out[:, :kept]
    seq[...] = hs[-kept:].transpose(1, 0, 2)
    if seen is not None:
        seq *= seen[-kept:].transpose(1, 0, 2)
    for j, state in enumerate(extra):
        out[:, kept + j] = state
    return out


def _unpack_grad(xp, g, seen, steps, n_states):
    """The outputs' gradient, time-major (T, N, u) and zero where the output was a leading-mask
    zero; zeros before the last step when only the last output was packed."""
    g_out = g[:, :g.shape[1] - n_states].transpose(1, 0, 2)
    if g_out.shape[0] != steps:
        last = g_out
        g_out = xp.zeros((steps, *last.shape[1:]), g.dtype)
        g_out[-1:] = last
    return g_out if seen is None else g_out * seen


def _split_masked(g, m):
    """(part for the step's own update, part that skips the step) of a state gradient."""
    if m is None:
        return g, None
    return g * m, g * ~m


# ----------------------------------------------------------------------------- LSTM

def _lstm_kernels(xp, arrays, activation, recurrent_activation):
    """The compiled step kernels when they apply (NumPy arrays, all float32, Keras' default
    activations, numba available), else None for the NumPy loop."""
    if (xp is not np or activation != "tanh" or recurrent_activation != "sigmoid"
            or any(a.dtype != np.float32 for a in arrays)):
        return None
    from deltaw.nn._kernels import recurrent_numba

    return recurrent_numba.load()


def _flags(xp, cols):
    """(T, N, 1) bool columns -> a contiguous (T, N) array; None -> an empty one (no mask)."""
    return xp.zeros((0, 0), bool) if cols is None else xp.ascontiguousarray(cols[..., 0])


@primitive("lstm")
def _lstm(xp, x, kernel, recurrent_kernel, bias, h0, c0, mask=None, go_backwards=False,
          activation="tanh", recurrent_activation="sigmoid", last_only=False):
    units = _check_inputs("lstm", x, kernel, recurrent_kernel, 4, (("h0", h0), ("c0", c0)),
                          mask)
    _activation("lstm", "activation", activation)
    _activation("lstm", "recurrent_activation", recurrent_activation)
    n, steps, u = x.shape[0], x.shape[1], units
    xs, ms = _time_major(x, go_backwards), _mask_columns(mask, go_backwards)
    # the kernel's dtype: x may be bool or integer (one-hot text), whose 0.5 would round to 1
    form = _tanh_form(xp, kernel.dtype, (recurrent_activation, recurrent_activation, activation,
                                    recurrent_activation), u)
    w, rk, b = kernel, recurrent_kernel, bias
    if form is not None:                       # z / 2 of the sigmoid gates, from halved weights
        w, rk, b = kernel * form[0], recurrent_kernel * form[0], bias * form[0]
    kernels = _lstm_kernels(xp, (x, w, rk, b, h0, c0), activation, recurrent_activation)
    # the compiled step adds the bias itself, saving a pass over all steps' gates
    gates, x_flat = _input_projection(xp, xs, w, None if kernels is not None else b)
    dtype = gates.dtype                                         # becomes the activated gates
    hs, cs = xp.empty((steps + 1, n, u), dtype), xp.empty((steps + 1, n, u), dtype)
    tcs = xp.empty((steps, n, u), dtype)
    hs[0], cs[0] = h0, c0
    if kernels is not None:
        b_row = xp.ascontiguousarray(xp.broadcast_to(b, (4 * u,)))
        _lstm_forward_compiled(xp, kernels, gates, rk, b_row, hs, cs, tcs, _flags(xp, ms),
                               form)
    else:
        _lstm_forward_loop(xp, gates, rk, hs, cs, tcs, ms, form, activation,
                           recurrent_activation)
    seen = _seen(xp, ms)
    out = _pack(xp, hs, seen, (hs[steps], cs[steps]), last_only)
    saved = (x_flat, kernel, recurrent_kernel, ms, seen, go_backwards, gates, hs, cs, tcs,
             activation, recurrent_activation, bias.shape, (x, bias, h0, c0, last_only),
             kernels is not None)
    return out, saved


def _lstm_forward_compiled(xp, kernels, gates, rk, bias, hs, cs, tcs, flags, form):
    """The time loop of `_lstm` with BLAS for each step's h_{t-1} @ U and one compiled call
    for the rest of the step (which adds the bias to the input projection)."""
    rec = xp.empty_like(gates[0])
    for t in range(gates.shape[0]):
        xp.matmul(hs[t], rk, out=rec)
        kernels.lstm_step_forward(t, gates, rec, bias, hs, cs, tcs, flags, *form)


def _lstm_forward_loop(xp, gates, rk, hs, cs, tcs, ms, form, activation, recurrent_activation):
    """The NumPy time loop of `_lstm`: every array is written in place, nothing allocated."""
    act = _ACTIVATIONS[activation][0]
    sigma = _ACTIVATIONS[recurrent_activation][0]
    u = hs.shape[-1]
    tmp = xp.empty_like(hs[0])
    rec = xp.empty_like(gates[0])                               # h_{t-1} @ U of the step
    for t in range(gates.shape[0]):
        z = gates[t]
        xp.matmul(hs[t], rk, out=rec)
        z += rec
        if form is not None:                   # every gate: shift + scale * tanh(...)
            xp.tanh(z, out=z)
            z *= form[0]
            z += form[1]
        else:
            sigma(xp, z[:, :2 * u])                                 # i, f
            act(xp, z[:, 2 * u:3 * u])                              # c~
            sigma(xp, z[:, 3 * u:])                                 # o
        i, f, cc, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
        xp.multiply(f, cs[t], out=cs[t + 1])
        cs[t + 1] += xp.multiply(i, cc, out=tmp)                    # c = f c_prev + i c~
        if activation == "tanh":
            xp.tanh(cs[t + 1], out=tcs[t])
        else:
            tcs[t] = cs[t + 1]
            act(xp, tcs[t])
        xp.multiply(o, tcs[t], out=hs[t + 1])                       # h = o act(c)
        m = None if ms is None else ms[t]
        _carry(xp, hs[t + 1], hs[t], m)
        _carry(xp, cs[t + 1], cs[t], m)


@_lstm.backward
def _lstm_backward(xp, g, saved, needs):
    (x_flat, kernel, recurrent_kernel, ms, seen, go_backwards, gates, hs, cs, tcs,
     activation, recurrent_activation, bias_shape, inputs, compiled) = saved
    if xp is not np:  # create_graph: the recurrence rebuilt from dw ops and differentiated
        x, bias, h0, c0, last_only = inputs
        step = _lstm_step(kernel.shape[1] // 4, activation, recurrent_activation,
                          recurrent_kernel)
        return composite_vjp(
            lambda x, k, rk, b, h, c: _graph_run(x, k, b, (h, c), ms, seen, go_backwards,
                                                 last_only, step),
            (x, kernel, recurrent_kernel, bias, h0, c0), needs, g)
    steps = gates.shape[0]
    dgates = xp.empty_like(gates)
    rk_t = recurrent_kernel.T
    kernels = (_lstm_kernels(xp, (g,), activation, recurrent_activation) if compiled
               else None)
    if kernels is not None:
        dh, dc = g[:, -2].copy(), g[:, -1].copy()
        dskip = xp.zeros_like(dh)                # gradient that skipped masked steps
        seen_flags, mask_flags = _flags(xp, seen), _flags(xp, ms)
        g_out = g[:, :-2]                        # every step's output, or only the last one's
        first = steps - g_out.shape[1]           # steps before it have no output gradient
        no_output = xp.zeros_like(dh) if first else None
        for t in range(steps - 1, -1, -1):
            g_t = g_out[:, t - first] if t >= first else no_output
            kernels.lstm_step_backward(t, gates, cs, tcs, g_t, seen_flags, mask_flags, dh,
                                       dskip, dc, dgates)
            xp.matmul(dgates[t], rk_t, out=dh)                  # dh_{t-1} = dz_t U^T
        if ms is not None:
            dh += dskip
    else:
        dh, dc = _lstm_backward_loop(xp, g, gates, rk_t, cs, tcs, ms, seen, dgates, activation,
                                     recurrent_activation)
    dx, dkernel, drk, dbias = _lstm_weight_grads(xp, x_flat, hs, kernel, dgates, needs,
                                                 bias_shape)
    dx = _batch_major(dx, go_backwards) if dx is not None else None
    return dx, dkernel, drk, dbias, dh if needs[4] else None, dc if needs[5] else None


def _lstm_weight_grads(xp, x_flat, hs, kernel, dgates, needs, bias_shape):
    """dx, dkernel, drecurrent_kernel, dbias from the gate gradients of all steps.

    dkernel = x^T dz and drk = h_prev^T dz are one GEMM, [x, h_prev]^T dz, when both are needed:
    the long reduction over all T * N samples is where BLAS's threads meet most often, which a
    busy machine makes slow (one such GEMM took 150 ms there, against 6 ms single-threaded).
    """
    u = hs.shape[-1]
    flat = dgates.reshape(-1, 4 * u)
    h_prev = hs[:-1].reshape(-1, u)
    if needs[1] and needs[2]:
        f = x_flat.shape[1]
        xh = xp.empty((flat.shape[0], f + u), flat.dtype)
        xh[:, :f], xh[:, f:] = x_flat, h_prev
        both = xp.matmul(xh.T, flat)                         # [dW; dU] = [x, h_prev]^T dz
        dx, _, dbias = _weight_grads(xp, x_flat, kernel, dgates, (needs[0], False, *needs[2:]),
                                     bias_shape)
        return dx, both[:f], both[f:], dbias
    drk = xp.matmul(h_prev.T, flat) if needs[2] else None   # dU = h_prev^T dz
    dx, dkernel, dbias = _weight_grads(xp, x_flat, kernel, dgates, needs, bias_shape)
    return dx, dkernel, drk, dbias


def _lstm_backward_loop(xp, g, gates, rk_t, cs, tcs, ms, seen, dgates, activation,
                        recurrent_activation):
    """The NumPy time loop of `_lstm_backward`: fills dgates (the pre-activation gradients of
    every step) and returns the gradients of h0 and c0. Scratch buffers are reused."""
    d_act = _ACTIVATIONS[activation][1]
    d_rec = _ACTIVATIONS[recurrent_activation][1]
    steps, u = gates.shape[0], tcs.shape[-1]
    g_h = _unpack_grad(xp, g, seen, steps, 2)
    dh, dc = g[:, -2] + g_h[steps - 1], g[:, -1].copy()
    tmp, deriv = xp.empty_like(dh), xp.empty_like(gates[0])
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            dh += g_h[t]
        m = None if ms is None else ms[t]
        if m is not None:                      # masked samples: the gradient skips the step
            dh_skip, dc_skip = dh * ~m, dc * ~m
            dh *= m
            dc *= m
        z, tc, dz = gates[t], tcs[t], dgates[t]
        i, f, cc, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
        d_act(xp, tc, out=tmp)                                      # h = o act(c)
        tmp *= o
        tmp *= dh
        dc += tmp
        xp.multiply(dc, cc, out=dz[:, :u])                          # c = f c_prev + i c~
        xp.multiply(dc, cs[t], out=dz[:, u:2 * u])
        xp.multiply(dc, i, out=dz[:, 2 * u:3 * u])
        xp.multiply(dh, tc, out=dz[:, 3 * u:])
        d_rec(xp, z[:, :2 * u], out=deriv[:, :2 * u])               # times each gate's
        d_act(xp, cc, out=deriv[:, 2 * u:3 * u])                    # derivative, from its output
        d_rec(xp, o, out=deriv[:, 3 * u:])
        dz *= deriv
        dc *= f
        xp.matmul(dz, rk_t, out=dh)                                 # dh_{t-1} = dz_t U^T
        if m is not None:
            dc += dc_skip
            dh += dh_skip
    return dh, dc


def _zeros_state(x, units):
    shape = (np.shape(x)[0], units)
    return np.zeros(shape, getattr(x, "dtype", np.float32))


def _mask_array(where, mask):
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"{where}: mask must be boolean (True = keep the step); got dtype "
                        f"{mask.dtype}.")
    return mask


def _units(recurrent_kernel):
    shape = np.shape(recurrent_kernel)
    return shape[0] if shape else 0


def lstm(x, kernel, recurrent_kernel, bias=None, h0=None, c0=None, go_backwards=False, mask=None,
         activation="tanh", recurrent_activation="sigmoid", return_sequences=True):
    """Long short-term memory over a whole sequence, as Keras' LSTM (one fused primitive).

    For each step t (gates in Keras' order i, f, c, o; sigma = recurrent_activation):
        z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias
        i, f, o = sigma(z_i), sigma(z_f), sigma(z_o);  c~ = activation(z_c)
        c_t = f * c_{t-1} + i * c~;  h_t = o * activation(c_t)

    Args:
        x: (batch, timesteps, input_dim).
        kernel: (input_dim, 4 * units).
        recurrent_kernel: (units, 4 * units).
        bias: (4 * units,) or None.
        h0, c0: Initial states (batch, units); None means zeros.
        go_backwards: Process the sequence in reverse; the outputs are then in processing
            order (reversed), as Keras returns them.
        mask: Optional boolean (batch, timesteps); False steps carry the states unchanged.
        activation: 'tanh' (default); also 'sigmoid', 'hard_sigmoid', 'relu' or 'linear'.
        recurrent_activation: 'sigmoid' (default); also 'tanh', 'hard_sigmoid', 'relu' or
            'linear'. Other activations are not fused: compose a step loop instead.
        return_sequences: True (default) returns every step's output; False only the last
            one, as Keras' LSTM(return_sequences=False): the op then neither copies nor
            backpropagates the others.

    Returns:
        (outputs, h, c): outputs (batch, timesteps, units), every hidden state (or
        (batch, units), the last output, with return_sequences=False); h and c (batch, units),
        the final states (Keras' return_state).

    Gradient: with respect to x, kernel, recurrent_kernel, bias, h0 and c0.

    Example:
        >>> x = dw.ones((2, 3, 4))
        >>> out, h, c = dw.nn.lstm(x, dw.ones((4, 8)) * 0.1, dw.ones((2, 8)) * 0.1)
        >>> out.shape, h.shape, c.shape
        ((2, 3, 2), (2, 2), (2, 2))
    """
    units = _units(recurrent_kernel)
    h0 = _zeros_state(x, units) if h0 is None else h0
    c0 = _zeros_state(x, units) if c0 is None else c0
    packed = _lstm(x, kernel, recurrent_kernel, 0.0 if bias is None else bias, h0, c0,
                   mask=_mask_array("lstm", mask), go_backwards=go_backwards,
                   activation=activation, recurrent_activation=recurrent_activation,
                   last_only=not return_sequences)
    # one primitive, several results: the states are split off with getitem (differentiable)
    outputs = packed[:, :-2] if return_sequences else packed[:, 0]
    return outputs, packed[:, -2], packed[:, -1]


# ----------------------------------------------------------------------------- GRU

def _gru_bias(where, bias, units, reset_after):
    expected = (2, 3 * units) if reset_after else (3 * units,)
    if bias.ndim and bias.shape != expected:
        raise ValueError(f"{where}: bias must have shape {expected} with reset_after="
                         f"{reset_after}; got bias shape {bias.shape}.")
    if reset_after and bias.ndim:
        return bias[0], bias[1]
    return bias, None


@primitive("gru")
def _gru(xp, x, kernel, recurrent_kernel, bias, h0, mask=None, go_backwards=False,
         reset_after=True, activation="tanh", recurrent_activation="sigmoid", last_only=False):
    units = _check_inputs("gru", x, kernel, recurrent_kernel, 3, (("h0", h0),), mask)
    act, _ = _activation("gru", "activation", activation)
    rec, _ = _activation("gru", "recurrent_activation", recurrent_activation)
    b_in, b_rec = _gru_bias("gru", bias, units, reset_after)
    n, steps, u = x.shape[0], x.shape[1], units
    xs, ms = _time_major(x, go_backwards), _mask_columns(mask, go_backwards)
    proj, x_flat = _input_projection(xp, xs, kernel, b_in)            # becomes z, r, hh in place
    dtype = proj.dtype
    hs = xp.empty((steps + 1, n, u), dtype)
    hs[0] = h0
    inner = xp.empty((steps, n, u), dtype)       # reset_after: h_prev @ U_h + b_h; else r*h_prev
    for t in range(steps):
        z = proj[t]
        h = hs[t]
        if reset_after:
            r_all = h @ recurrent_kernel
            if b_rec is not None:
                r_all += b_rec
            z[:, :2 * u] += r_all[:, :2 * u]
            rec(xp, z[:, :2 * u])                               # z, r
            inner[t] = r_all[:, 2 * u:]
            z[:, 2 * u:] += z[:, u:2 * u] * inner[t]            # x_h + r * (h U_h + b_h)
        else:
            z[:, :2 * u] += h @ recurrent_kernel[:, :2 * u]
            rec(xp, z[:, :2 * u])
            xp.multiply(z[:, u:2 * u], h, out=inner[t])
            z[:, 2 * u:] += inner[t] @ recurrent_kernel[:, 2 * u:]   # x_h + (r * h) U_h
        act(xp, z[:, 2 * u:])
        zg, hh = z[:, :u], z[:, 2 * u:]
        xp.multiply(zg, h - hh, out=hs[t + 1])
        hs[t + 1] += hh                                         # h = z h_prev + (1 - z) hh
        _carry(xp, hs[t + 1], h, None if ms is None else ms[t])
    seen = _seen(xp, ms)
    out = _pack(xp, hs, seen, (hs[steps],), last_only)
    saved = (x_flat, kernel, recurrent_kernel, ms, seen, go_backwards, reset_after, proj, hs, inner,
             activation, recurrent_activation, bias.shape, (x, bias, h0, last_only))
    return out, saved


@_gru.backward
def _gru_backward(xp, g, saved, needs):
    (x_flat, kernel, recurrent_kernel, ms, seen, go_backwards, reset_after, proj, hs, inner,
     activation, recurrent_activation, bias_shape, inputs) = saved
    if xp is not np:  # create_graph: the recurrence rebuilt from dw ops and differentiated
        x, bias, h0, last_only = inputs

        def composite(x, k, rk, b, h):
            b_in, b_rec = (b[0], b[1]) if reset_after and b.ndim else (b, None)
            step = _gru_step(k.shape[1] // 3, activation, recurrent_activation, rk, b_rec,
                             reset_after)
            return _graph_run(x, k, b_in, (h,), ms, seen, go_backwards, last_only, step)

        return composite_vjp(composite, (x, kernel, recurrent_kernel, bias, h0), needs, g)
    d_act = _ACTIVATIONS[activation][1]
    d_rec = _ACTIVATIONS[recurrent_activation][1]
    steps, u = proj.shape[0], hs.shape[-1]
    g_h = _unpack_grad(xp, g, seen, steps, 1)
    dproj = xp.empty_like(proj)
    drec = xp.empty_like(proj) if reset_after else None       # gradient of h_prev @ U (+ b)
    u_zr, u_h = recurrent_kernel[:, :2 * u], recurrent_kernel[:, 2 * u:]
    dh = g[:, -1]
    for t in range(steps - 1, -1, -1):
        dh = dh + g_h[t]
        m = None if ms is None else ms[t]
        dh_t, dh_skip = _split_masked(dh, m)
        z = proj[t]
        zg, r, hh, h = z[:, :u], z[:, u:2 * u], z[:, 2 * u:], hs[t]
        dp = dproj[t]
        dp[:, :u] = dh_t * (h - hh) * d_rec(xp, zg)                 # h = z h_prev + (1 - z) hh
        da_h = dp[:, 2 * u:]
        xp.multiply(dh_t * (1 - zg), d_act(xp, hh), out=da_h)
        if reset_after:
            dp[:, u:2 * u] = da_h * inner[t] * d_rec(xp, r)         # a_h = x_h + r * inner
            dr = drec[t]
            dr[:, :2 * u] = dp[:, :2 * u]
            xp.multiply(da_h, r, out=dr[:, 2 * u:])
            dh = dh_t * zg + dr @ recurrent_kernel.T
        else:
            d_rh = da_h @ u_h.T                                 # a_h = x_h + (r * h) U_h
            dp[:, u:2 * u] = d_rh * h * d_rec(xp, r)
            dh = dh_t * zg + d_rh * r + dp[:, :2 * u] @ u_zr.T
        if m is not None:
            dh += dh_skip
    drk = None
    h_prev = hs[:-1].reshape(-1, u)
    if needs[2]:
        if reset_after:
            drk = xp.matmul(h_prev.T, drec.reshape(-1, 3 * u))
        else:
            drk = xp.concatenate([xp.matmul(h_prev.T, dproj[..., :2 * u].reshape(-1, 2 * u)),
                                  xp.matmul(inner.reshape(-1, u).T,
                                            dproj[..., 2 * u:].reshape(-1, u))], axis=1)
    dx, dkernel, dbias = _weight_grads(xp, x_flat, kernel, dproj, needs, bias_shape)
    if dbias is not None and reset_after:
        dbias = xp.stack([dbias, drec.reshape(-1, 3 * u).sum(axis=0)])
    dx = _batch_major(dx, go_backwards) if dx is not None else None
    return dx, dkernel, drk, dbias, dh if needs[4] else None


def gru(x, kernel, recurrent_kernel, bias=None, h0=None, go_backwards=False, mask=None,
        reset_after=True, activation="tanh", recurrent_activation="sigmoid",
        return_sequences=True):
    """Gated recurrent unit over a whole sequence, as Keras' GRU (one fused primitive).

    Gates in Keras' order z, r, h (sigma = recurrent_activation). With reset_after=True (Keras 3's
    default, and PyTorch's GRU):
        x_z, x_r, x_h = x_t @ kernel + bias[0]
        i_z, i_r, i_h = h_{t-1} @ recurrent_kernel + bias[1]
        z = sigma(x_z + i_z);  r = sigma(x_r + i_r);  hh = activation(x_h + r * i_h)
    With reset_after=False (bias of shape (3 * units,)):
        z = sigma(x_z + h_{t-1} @ U_z);  r = sigma(x_r + h_{t-1} @ U_r)
        hh = activation(x_h + (r * h_{t-1}) @ U_h)
    Then h_t = z * h_{t-1} + (1 - z) * hh.

    Args:
        x: (batch, timesteps, input_dim).
        kernel: (input_dim, 3 * units).
        recurrent_kernel: (units, 3 * units).
        bias: (2, 3 * units) when reset_after (input and recurrent biases), (3 * units,)
            otherwise, or None.
        h0: Initial state (batch, units); None means zeros.
        go_backwards: Process the sequence in reverse (outputs in processing order, as Keras).
        mask: Optional boolean (batch, timesteps); False steps carry the state unchanged.
        reset_after: Apply the reset gate after the recurrent matmul (True) or before.
        activation, recurrent_activation, return_sequences: As `lstm`.

    Returns:
        (outputs, h): outputs (batch, timesteps, units) (the last output, (batch, units), with
        return_sequences=False), h the final state (batch, units).

    Gradient: with respect to x, kernel, recurrent_kernel, bias and h0.

    Example:
        >>> out, h = dw.nn.gru(dw.ones((2, 3, 4)), dw.ones((4, 6)) * 0.1, dw.ones((2, 6)) * 0.1)
        >>> out.shape, h.shape
        ((2, 3, 2), (2, 2))
    """
    h0 = _zeros_state(x, _units(recurrent_kernel)) if h0 is None else h0
    packed = _gru(x, kernel, recurrent_kernel, 0.0 if bias is None else bias, h0,
                  mask=_mask_array("gru", mask), go_backwards=go_backwards,
                  reset_after=reset_after, activation=activation,
                  recurrent_activation=recurrent_activation, last_only=not return_sequences)
    return packed[:, :-1] if return_sequences else packed[:, 0], packed[:, -1]


# ----------------------------------------------------------------------------- SimpleRNN

@primitive("simple_rnn")
def _simple_rnn(xp, x, kernel, recurrent_kernel, bias, h0, mask=None, go_backwards=False,
                activation="tanh", last_only=False):
    units = _check_inputs("simple_rnn", x, kernel, recurrent_kernel, 1, (("h0", h0),), mask)
    act, _ = _activation("simple_rnn", "activation", activation)
    if bias.ndim and bias.shape != (units,):
        raise ValueError(f"simple_rnn: bias must have shape ({units},); got bias shape "
                         f"{bias.shape}.")
    steps = x.shape[1]
    xs, ms = _time_major(x, go_backwards), _mask_columns(mask, go_backwards)
    proj, x_flat = _input_projection(xp, xs, kernel, bias)            # becomes the new states
    hs = xp.empty((steps + 1, *h0.shape), proj.dtype)
    hs[0] = h0
    for t in range(steps):
        z = proj[t]
        z += hs[t] @ recurrent_kernel
        hs[t + 1] = act(xp, z)                                  # h = act(x W + b + h_prev U)
        _carry(xp, hs[t + 1], hs[t], None if ms is None else ms[t])
    seen = _seen(xp, ms)
    saved = (x_flat, kernel, recurrent_kernel, ms, seen, go_backwards, proj, hs, activation,
             bias.shape, (x, bias, h0, last_only))
    return _pack(xp, hs, seen, (hs[steps],), last_only), saved


@_simple_rnn.backward
def _simple_rnn_backward(xp, g, saved, needs):
    (x_flat, kernel, recurrent_kernel, ms, seen, go_backwards, proj, hs, activation,
     bias_shape, inputs) = saved
    if xp is not np:  # create_graph: the recurrence rebuilt from dw ops and differentiated
        x, bias, h0, last_only = inputs
        act = _GRAPH_ACTIVATIONS[activation]
        return composite_vjp(
            lambda x, k, rk, b, h: _graph_run(x, k, b, (h,), ms, seen, go_backwards, last_only,
                                              lambda z, st: (act(z + st[0] @ rk),)),
            (x, kernel, recurrent_kernel, bias, h0), needs, g)
    d_act = _ACTIVATIONS[activation][1]
    steps = proj.shape[0]
    g_h = _unpack_grad(xp, g, seen, steps, 1)
    dproj = xp.empty_like(proj)
    dh = g[:, -1]
    for t in range(steps - 1, -1, -1):
        dh = dh + g_h[t]
        m = None if ms is None else ms[t]
        dh_t, dh_skip = _split_masked(dh, m)
        xp.multiply(dh_t, d_act(xp, proj[t]), out=dproj[t])
        dh = dproj[t] @ recurrent_kernel.T
        if m is not None:
            dh += dh_skip
    drk = xp.matmul(hs[:-1].reshape(-1, hs.shape[-1]).T,
                    dproj.reshape(-1, dproj.shape[-1])) if needs[2] else None
    dx, dkernel, dbias = _weight_grads(xp, x_flat, kernel, dproj, needs, bias_shape)
    dx = _batch_major(dx, go_backwards) if dx is not None else None
    return dx, dkernel, drk, dbias, dh if needs[4] else None


def simple_rnn(x, kernel, recurrent_kernel, bias=None, h0=None, go_backwards=False, mask=None,
               activation="tanh", return_sequences=True):
    """Fully connected RNN over a whole sequence, as Keras' SimpleRNN (one fused primitive).

    h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel).

    Args:
        x: (batch, timesteps, input_dim).
        kernel: (input_dim, units).
        recurrent_kernel: (units, units).
        bias: (units,) or None.
        h0: Initial state (batch, units); None means zeros.
        go_backwards: Process the sequence in reverse (outputs in processing order, as Keras).
        mask: Optional boolean (batch, timesteps); False steps carry the state unchanged.
        activation: 'tanh' (default), 'relu', 'sigmoid', 'hard_sigmoid' or 'linear'.
        return_sequences: As `lstm`.

    Returns:
        (outputs, h): outputs (batch, timesteps, units) (the last output, (batch, units), with
        return_sequences=False), h the final state (batch, units).

    Gradient: with respect to x, kernel, recurrent_kernel, bias and h0.

    Example:
        >>> out, h = dw.nn.simple_rnn(dw.ones((2, 3, 4)), dw.ones((4, 5)), dw.ones((5, 5)))
        >>> out.shape, h.shape
        ((2, 3, 5), (2, 5))
    """
    h0 = _zeros_state(x, _units(recurrent_kernel)) if h0 is None else h0
    packed = _simple_rnn(x, kernel, recurrent_kernel, 0.0 if bias is None else bias, h0,
                         mask=_mask_array("simple_rnn", mask), go_backwards=go_backwards,
                         activation=activation, last_only=not return_sequences)
    return packed[:, :-1] if return_sequences else packed[:, 0], packed[:, -1]


# ----------------------------------------------------------------------------- create_graph
# The recurrences again, from dw ops on Tensors: what the backward rules differentiate (with
# create_graph) instead of their in-place loops. Same math as the forward passes above.

_GRAPH_ACTIVATIONS = {"tanh": _ops.tanh, "sigmoid": _act.sigmoid, "relu": _act.relu,
                      "hard_sigmoid": _act.hard_sigmoid, "linear": lambda z: z}


def _graph_run(x, kernel, bias, states, ms, seen, go_backwards, last_only, step):
    """The packed output of a recurrent op (as `_pack`): `step(z_t, states) -> states`."""
    xs = _ops.transpose(x, (1, 0, 2))
    if go_backwards:
        xs = xs[::-1]
    proj = xs @ kernel + bias
    outputs = []
    for t in range(proj.shape[0]):
        new = step(proj[t], states)
        if ms is not None:  # masked steps carry the old states
            new = tuple(_ops.where(ms[t], a, b) for a, b in zip(new, states, strict=True))
        states = new
        outputs.append(states[0])
    kept = outputs[-1:] if last_only else outputs
    seq = _ops.stack(kept, axis=1)
    if seen is not None:
        seq = seq * seen[-len(kept):].transpose(1, 0, 2)
    return _ops.concatenate([seq, *(s[:, None] for s in states)], axis=1)


def _lstm_step(u, activation, recurrent_activation, rk):
    act, sigma = _GRAPH_ACTIVATIONS[activation], _GRAPH_ACTIVATIONS[recurrent_activation]

    def step(z, states):
        h, c = states
        z = z + h @ rk
        i, f, cc, o = sigma(z[:, :u]), sigma(z[:, u:2 * u]), act(z[:, 2 * u:3 * u]), \
            sigma(z[:, 3 * u:])
        c = f * c + i * cc
        return o * act(c), c

    return step


def _gru_step(u, activation, recurrent_activation, rk, b_rec, reset_after):
    act, sigma = _GRAPH_ACTIVATIONS[activation], _GRAPH_ACTIVATIONS[recurrent_activation]

    def step(z, states):
        (h,) = states
        if reset_after:
            r_all = h @ rk if b_rec is None else h @ rk + b_rec
            zr = sigma(z[:, :2 * u] + r_all[:, :2 * u])
            hh = act(z[:, 2 * u:] + zr[:, u:] * r_all[:, 2 * u:])
        else:
            zr = sigma(z[:, :2 * u] + h @ rk[:, :2 * u])
            hh = act(z[:, 2 * u:] + (zr[:, u:] * h) @ rk[:, 2 * u:])
        zg = zr[:, :u]
        return (zg * h + (1 - zg) * hh,)

    return step
