"""Prunable neural quantum states in Flax (docs/science.md, "Networks").

Every network outputs a real log-amplitude log psi(s) (psi > 0, no biases). Each prunable weight
tensor ``params[path]`` has a binary mask ``masks[path]`` of the same shape in the separate,
non-trainable Flax collection ``"masks"``; the forward pass uses ``weight * mask``, so a masked
weight neither changes the output nor receives a gradient. NetKet keeps non-``params``
collections in ``MCState.model_state``: masks are replaced between training phases by assigning
a new ``model_state``, without touching the parameters or recompiling.

Counting: n = number of unmasked entries over all masks. The ResCNN embedding carries an
all-ones mask so that it is counted in n, but it is never pruned (see ``PRUNING_EXCLUDED``).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from .errors import SparseNQSError
from .names import CONV_INITS, NETWORK_KINDS, PADDINGS
from .settings import NETWORK_DEFAULTS

MASKS = "masks"
#: Mask paths containing one of these names are counted in n but never pruned.
PRUNING_EXCLUDED = ("embedding",)



class NetworkConfigError(SparseNQSError, ValueError):
    pass


def masked_param(module: nn.Module, name: str, init, shape, dtype):
    """A weight tensor ``name`` with its mask in the ``"masks"`` collection (all ones at first); the
    module computes with weight * mask."""
    weight = module.param(name, init, shape, dtype)
    mask = module.variable(MASKS, name, lambda: jnp.ones(shape, dtype))
    return weight * mask.value


def _conv_init(scheme: str):
    # LeCun (paper text) and He (authors' code) normal, both truncated, fan-in scaled.
    scale = {"lecun": 1.0, "he": 2.0}[scheme]
    return nn.initializers.variance_scaling(scale, "fan_in", "truncated_normal")


def lattice_image(x: jax.Array) -> jax.Array:
    """(..., N) spins -> (batch, L, L, 1) image, row-major."""
    N = x.shape[-1]
    L = math.isqrt(N)
    if L * L != N:
        raise NetworkConfigError(f"convolutional networks need an L x L input, got N = {N}")
    return x.reshape((-1, L, L, 1))


class MaskedConv(nn.Module):
    """Masked 3x3 (by default) convolution without bias, with three paddings."""

    features: int
    kernel_size: int = 3
    padding: str = "valid"
    init_scheme: str = "lecun"
    param_dtype: Any = jnp.float64

    @nn.compact
    def __call__(self, h):
        k = self.kernel_size
        shape = (k, k, h.shape[-1], self.features)
        kernel = masked_param(self, "kernel", _conv_init(self.init_scheme), shape, self.param_dtype)
        return conv2d(h, kernel, self.padding)


def _pad(h: jax.Array, k: int, padding: str) -> jax.Array:
    """Pad the lattice for a k x k kernel: "same" with zeros as XLA does ((k-1)//2 before, k//2 after),
    "circular" wrapping around, "valid" not at all."""
    if padding not in PADDINGS:
        raise NetworkConfigError(f"unknown padding {padding!r}; known: {', '.join(PADDINGS)}")
    if padding == "valid":
        return h
    pad = ((0, 0), ((k - 1) // 2, k // 2), ((k - 1) // 2, k // 2), (0, 0))
    return jnp.pad(h, pad, mode="wrap" if padding == "circular" else "constant")


#: input channels from which a convolution runs as a patch matrix product rather than XLA's
#: convolution. Measured on 2 cores, float64, 3x3 kernels, batches of 16 / 128 / 1616 images (ms):
#: 16 -> 16 channels 0.70 / 8.0 / 187 against XLA's 3.2 / 27.8 / 321; 8 -> 8 even at 16-128 images,
#: XLA 5x faster at 1616; 1 -> 4 and 4 -> 4 XLA 2-18x faster
PATCH_CONV_MIN_CHANNELS = 16


def _conv_valid(padded: jax.Array, kernel: jax.Array) -> jax.Array:
    """VALID stride-1 convolution (NHWC, HWIO): for many input channels one matrix product of the
    k x k patches (im2col) with the kernel, the same numbers as XLA's convolution (a test checks
    them) at 1.7-4x its speed; for few channels XLA's convolution, which is faster there."""
    if kernel.shape[2] < PATCH_CONV_MIN_CHANNELS:
        return jax.lax.conv_general_dilated(padded, kernel, (1, 1), "VALID",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))
    k = kernel.shape[0]
    rows, cols = padded.shape[1] - k + 1, padded.shape[2] - k + 1
    patches = jnp.concatenate([padded[:, i:i + rows, j:j + cols, :] for i in range(k) for j in range(k)], axis=-1)
    return patches @ kernel.reshape(-1, kernel.shape[-1])


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def conv2d(h: jax.Array, kernel: jax.Array, padding: str) -> jax.Array:
    """Stride-1 2D convolution (NHWC input, HWIO kernel) with a kernel gradient written as patch sums.

    Forward and input gradient are :func:`_conv_valid` (a patch matrix product for many channels,
    XLA's convolution for few). The kernel gradient is, per kernel offset,
    one contraction of the shifted input with the output cotangent: under ``vmap`` (the per-sample
    gradients of SR) these are batched matrix products, whereas XLA's own kernel gradient becomes
    a grouped convolution. Measured on 2 CPU cores, 4x4 lattice, 3 convolutions of 4 channels, 512
    per-sample gradients: 2.9 ms instead of 378 ms. A test checks values and gradients against
    the plain XLA convolution. (Reverse mode only, which is all that VMC needs.)
    """
    return _conv_valid(_pad(h, kernel.shape[0], padding), kernel)


def _conv2d_forward(h, kernel, padding):
    return conv2d(h, kernel, padding), (h, kernel)


def _conv2d_backward(padding, residuals, cotangent):
    h, kernel = residuals
    k = kernel.shape[0]
    _, pull_back = jax.vjp(lambda x: _conv_valid(_pad(x, k, padding), kernel), h)
    (d_h,) = pull_back(cotangent)
    padded = _pad(h, k, padding)
    rows, cols = cotangent.shape[1], cotangent.shape[2]
    d_kernel = jnp.stack([
        jnp.stack([jnp.einsum("bhwc,bhwf->cf", padded[:, i:i + rows, j:j + cols, :], cotangent) for j in range(k)])
        for i in range(k)
    ])
    return d_h, d_kernel


conv2d.defvjp(_conv2d_forward, _conv2d_backward)


class FFNN(nn.Module):
    """log psi(s) = sum_h ReLU(sum_i W_ih s_i), width alpha * N, no bias."""

    alpha: float  # defaults of every option: sparse_nqs.settings (FFNNSettings, CNNSettings, ...)
    init_std: float
    param_dtype: Any = jnp.float64

    @nn.compact
    def __call__(self, x):
        N = x.shape[-1]
        width = self.alpha * N
        if abs(width - round(width)) > 1e-9:
            raise NetworkConfigError(f"alpha * N must be an integer width, got {self.alpha} * {N}")
        W = masked_param(self, "kernel", nn.initializers.normal(self.init_std),
                          (N, int(round(width))), self.param_dtype)
        return jnp.sum(nn.relu(x.astype(self.param_dtype) @ W), axis=-1)


def ffnn_log_derivatives(variables: dict, x: jax.Array, columns: jax.Array) -> jax.Array:
    """Per-sample log-derivatives d log psi(x) / d W_ih of an :class:`FFNN` for the flat kernel indices
    ``columns`` (row-major: column c is W[c // width, c % width]): x_i step(theta_h) M_ih with
    theta = x (W * M), zero for a masked weight (the padding columns of SR).

    The same numbers as a backward pass per sample (a test checks it), as one matrix product and a
    gather: O(N_s alpha N^2) for theta plus O(N_s columns), instead of a gradient of every weight per
    sample.
    """
    mask = variables[MASKS]["kernel"]
    W = variables["params"]["kernel"] * mask
    theta = x.astype(W.dtype) @ W
    width = W.shape[1]
    sites, hidden = columns // width, columns % width
    # jax.nn.relu's derivative at 0 is 0: a hidden unit with theta = 0 contributes nothing
    return x.astype(W.dtype)[:, sites] * (theta[:, hidden] > 0) * mask.reshape(-1)[columns]


#: networks whose per-sample log-derivatives have a closed form cheaper than a backward pass
LOG_DERIVATIVES = {}


class CNN(nn.Module):
    """One layer of n_f 3x3 kernels on the L x L image, GELU (tanh), summed over everything."""

    n_filters: int
    padding: str
    init_scheme: str
    param_dtype: Any = jnp.float64

    @nn.compact
    def __call__(self, x):
        batch_shape = x.shape[:-1]
        image = lattice_image(x.astype(self.param_dtype))
        h = MaskedConv(self.n_filters, padding=self.padding, init_scheme=self.init_scheme,
                       param_dtype=self.param_dtype, name="conv")(image)
        return jnp.sum(nn.gelu(h, approximate=True), axis=(1, 2, 3)).reshape(batch_shape)


def masked_layer_norm(h, scale, bias, epsilon: float = 1e-6):
    """LayerNorm over channels whose mean and variance use only the non-zero entries.

    A site whose channels are all zero (possible in a heavily pruned net) gets mean 0 and
    variance 0, so its output is the bias instead of the NaN of the authors' code.
    """
    nonzero = h != 0
    count = jnp.sum(nonzero, axis=-1, keepdims=True)
    safe = jnp.maximum(count, 1)
    mean = jnp.sum(jnp.where(nonzero, h, 0.0), axis=-1, keepdims=True) / safe
    var = jnp.sum(jnp.where(nonzero, (h - mean) ** 2, 0.0), axis=-1, keepdims=True) / safe
    return (h - mean) * jax.lax.rsqrt(var + epsilon) * scale + bias


class MaskedLayerNorm(nn.Module):
    epsilon: float = 1e-6
    param_dtype: Any = jnp.float64

    @nn.compact
    def __call__(self, h):
        c = h.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (c,), self.param_dtype)
        bias = self.param("bias", nn.initializers.zeros, (c,), self.param_dtype)
        return masked_layer_norm(h, scale, bias, self.epsilon)


class ResCNN(nn.Module):
    """Embedding conv 1 -> n_f, n_b pre-activation residual blocks, final LayerNorm, sum."""

    n_filters: int
    n_blocks: int
    padding: str
    init_scheme: str
    param_dtype: Any = jnp.float64

    @nn.compact
    def __call__(self, x):
        batch_shape = x.shape[:-1]
        image = lattice_image(x.astype(self.param_dtype))
        conv = dict(padding=self.padding, init_scheme=self.init_scheme, param_dtype=self.param_dtype)
        h = MaskedConv(self.n_filters, name="embedding", **conv)(image)
        for b in range(self.n_blocks):
            r = nn.gelu(MaskedLayerNorm(param_dtype=self.param_dtype, name=f"block{b}_norm")(h), approximate=True)
            r = nn.gelu(MaskedConv(self.n_filters, name=f"block{b}_conv1", **conv)(r), approximate=True)
            h = h + MaskedConv(self.n_filters, name=f"block{b}_conv2", **conv)(r)
        h = MaskedLayerNorm(param_dtype=self.param_dtype, name="final_norm")(h)
        return jnp.sum(h, axis=(1, 2, 3)).reshape(batch_shape)


# --------------------------------------------------------------------------------------------
# construction from a config dictionary
# --------------------------------------------------------------------------------------------
LOG_DERIVATIVES[FFNN] = ffnn_log_derivatives


def build_network(config: dict) -> nn.Module:
    """A network from ``{"kind": ..., **options}`` (defaults: the paper's text; docs/science.md, "Networks")."""
    config = dict(config)
    kind = config.pop("kind", None)
    if kind not in NETWORK_KINDS:
        raise NetworkConfigError(f"network.kind must be one of {', '.join(NETWORK_KINDS)}, got {kind!r}")
    unknown = set(config) - set(NETWORK_DEFAULTS[kind])
    if unknown:
        raise NetworkConfigError(f"unknown network option(s) for {kind}: {', '.join(sorted(unknown))}")
    options = {**NETWORK_DEFAULTS[kind], **config}
    if options.get("padding", "valid") not in PADDINGS:
        raise NetworkConfigError(f"network.padding must be one of {', '.join(PADDINGS)}")
    if options.get("init_scheme", "lecun") not in CONV_INITS:
        raise NetworkConfigError(f"network.init_scheme must be one of {', '.join(CONV_INITS)}")
    if kind == "rescnn" and options["padding"] == "valid":
        raise NetworkConfigError("network.padding 'valid' shrinks the lattice; the ResCNN needs 'same' or 'circular'")
    return {"ffnn": FFNN, "cnn": CNN, "rescnn": ResCNN}[kind](**options)


def mask_shapes(network: nn.Module, n_sites: int) -> dict:
    """Flat {path: shape} of the masks, without running the network (jax.eval_shape)."""
    variables = jax.eval_shape(network.init, jax.random.key(0), jnp.ones((1, n_sites)))
    from flax.traverse_util import flatten_dict

    return {"/".join(k): tuple(v.shape) for k, v in flatten_dict(variables[MASKS]).items()}


def is_prunable(path: str) -> bool:
    return not any(name in path for name in PRUNING_EXCLUDED)


def weight_counts(network: nn.Module, n_sites: int) -> dict:
    """n_init and the split into the prunable pool and the never-pruned (counted) part."""
    shapes = mask_shapes(network, n_sites)
    pool = sum(int(np.prod(s)) for p, s in shapes.items() if is_prunable(p))
    fixed = sum(int(np.prod(s)) for p, s in shapes.items() if not is_prunable(p))
    return {"n_init": pool + fixed, "pool": pool, "fixed": fixed}


def count_unmasked(masks) -> int:
    """n: the number of unmasked weights in a masks pytree."""
    return int(sum(int(np.sum(np.asarray(m) != 0)) for m in jax.tree_util.tree_leaves(masks)))
