"""Contrastive-divergence training of the RBM on measurement data (docs/rbm.md, "Training").

The log-likelihood gradient of the data is <d(-E)/dtheta>_data - <d(-E)/dtheta>_model; CD-k estimates
the model term with k block-Gibbs steps from the positive batch, persistent CD (PCD) with chains that
carry on from the previous batch. Plain SGD, as QuCumber. One epoch is one pass over the shuffled data
in batches of ``batch_size`` (the remainder of a pass is dropped, as a fixed-shape scan needs), compiled
as one ``jax.lax.scan``. The weight mask multiplies W, so a masked weight has zero gradient and never
changes; the biases are never masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp

from ..errors import SparseNQSError
from .model import free_energy, rbm_weights


class RBMTrainingError(SparseNQSError, ValueError):
    pass


@dataclass(frozen=True)
class CDSettings:
    """CD-k / PCD hyperparameters. The source reports none; the defaults are QuCumber's tutorial
    values (learning rate 0.01, batches of 100, k = 10)."""

    learning_rate: float = 0.01
    batch_size: int = 100
    k: int = 10
    persistent: bool = False

    def __post_init__(self):
        if not self.learning_rate > 0:
            raise RBMTrainingError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.batch_size < 1 or self.k < 1:
            raise RBMTrainingError(f"batch_size and k must be >= 1, got {self.batch_size}, {self.k}")


def hidden_probabilities(variables: dict, v: jax.Array) -> jax.Array:
    """p(h_j = 1 | v) = sigmoid(c_j + (v W)_j)."""
    return jax.nn.sigmoid(v @ rbm_weights(variables) + variables["params"]["hidden_bias"])


def visible_probabilities(variables: dict, h: jax.Array) -> jax.Array:
    """p(v_i = 1 | h) = sigmoid(b_i + (W h)_i)."""
    return jax.nn.sigmoid(h @ rbm_weights(variables).T + variables["params"]["visible_bias"])


def gibbs_steps(variables: dict, v: jax.Array, key: jax.Array, k: int) -> jax.Array:
    """``k`` block-Gibbs steps v -> h -> v of a batch of chains (the distribution p is stationary)."""
    dtype = variables["params"]["visible_bias"].dtype

    def step(v, key):
        key_h, key_v = jax.random.split(key)
        h = jax.random.bernoulli(key_h, hidden_probabilities(variables, v)).astype(dtype)
        return jax.random.bernoulli(key_v, visible_probabilities(variables, h)).astype(dtype), None

    v, _ = jax.lax.scan(step, v.astype(dtype), jax.random.split(key, k))
    return v


def likelihood_gradient(variables: dict, v_data: jax.Array, v_model: jax.Array) -> dict:
    """<grad(-E)>_data - <grad(-E)>_model of the parameters (the ascent direction of log-likelihood)."""
    def contrast(params):
        both = {**variables, "params": params}
        return jnp.mean(free_energy(both, v_data)) - jnp.mean(free_energy(both, v_model))

    return jax.grad(contrast)(variables["params"])


@partial(jax.jit, static_argnames=("settings",))
def train_epoch(variables: dict, data: jax.Array, key: jax.Array, chains: jax.Array, settings: CDSettings):
    """One pass over ``data`` (n, N) in shuffled batches; returns (variables, chains). ``chains``
    (batch_size, N) are the persistent chains (PCD; ignored and returned unchanged by CD-k)."""
    n_batches = data.shape[0] // settings.batch_size
    key_order, key_steps = jax.random.split(key)
    order = jax.random.permutation(key_order, data.shape[0])[: n_batches * settings.batch_size]
    batches = data[order].reshape(n_batches, settings.batch_size, data.shape[1])

    def update(carry, inputs):
        params, chains = carry
        batch, key = inputs
        current = {**variables, "params": params}
        start = chains if settings.persistent else batch
        negative = gibbs_steps(current, start, key, settings.k)
        gradient = likelihood_gradient(current, batch, negative)
        params = jax.tree_util.tree_map(lambda p, g: p + settings.learning_rate * g, params, gradient)
        return (params, negative if settings.persistent else chains), None

    (params, chains), _ = jax.lax.scan(update, (variables["params"], chains),
                                       (batches, jax.random.split(key_steps, n_batches)))
    return {**variables, "params": params}, chains


def train(variables: dict, data, epochs: int, settings: CDSettings, seed: int, callback=None):
    """``epochs`` epochs of CD-k / PCD on ``data`` (visible units, (n, N) of 0/1); ``callback(epoch,
    variables)`` after each (metrics, checkpoints). Returns the trained variables."""
    data = jnp.asarray(data, dtype=variables["params"]["visible_bias"].dtype)
    if data.ndim != 2 or data.shape[1] != variables["params"]["visible_bias"].shape[0]:
        raise RBMTrainingError(f"data of shape {data.shape} for an RBM of "
                               f"{variables['params']['visible_bias'].shape[0]} visible units")
    if data.shape[0] < settings.batch_size:
        raise RBMTrainingError(f"{data.shape[0]} samples cannot fill one batch of {settings.batch_size}")
    key = jax.random.key(seed)
    key, key_chains = jax.random.split(key)
    chains = data[jax.random.choice(key_chains, data.shape[0], (settings.batch_size,), replace=False)]
    for epoch in range(epochs):
        key, key_epoch = jax.random.split(key)
        variables, chains = train_epoch(variables, data, key_epoch, chains, settings)
        if callback is not None:
            callback(epoch + 1, variables)
    return variables
