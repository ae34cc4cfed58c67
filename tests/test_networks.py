"""Masked networks: parameter counts of the paper, inert masked weights, LayerNorm guard."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax.traverse_util import flatten_dict, unflatten_dict

from sparse_nqs.networks import (
    NetworkConfigError,
    build_network,
    count_unmasked,
    masked_layer_norm,
    weight_counts,
)


@pytest.mark.parametrize(
    "config, n_sites, n_init",
    [
        ({"kind": "cnn", "n_filters": 4}, 100, 36),
        ({"kind": "ffnn", "alpha": 5}, 100, 50000),
        ({"kind": "rescnn", "n_filters": 16, "n_blocks": 4}, 100, 18576),
        ({"kind": "ffnn", "alpha": 4}, 18, 1296),
        ({"kind": "ffnn", "alpha": 8}, 18, 2592),
        ({"kind": "ffnn", "alpha": 16}, 18, 5184),
        ({"kind": "ffnn", "alpha": 32}, 18, 10368),
    ],
)
def test_n_init_matches_the_paper_tables(config, n_sites, n_init):
    counts = weight_counts(build_network(config), n_sites)
    assert counts["n_init"] == n_init
    # and the real initialised network has exactly that many mask entries
    network = build_network(config)
    variables = network.init(jax.random.key(0), jnp.ones((1, n_sites)))
    assert count_unmasked(variables["masks"]) == n_init


def test_rescnn_embedding_is_counted_but_not_in_the_pruning_pool():
    counts = weight_counts(build_network({"kind": "rescnn"}), 100)
    assert counts["fixed"] == 9 * 16 and counts["pool"] == 2 * 4 * 9 * 16**2


def _set_first(tree_flat, key, value):
    arr = np.array(tree_flat[key])
    arr.flat[0] = value
    tree_flat[key] = jnp.asarray(arr)


@pytest.mark.parametrize(
    "config, n_sites",
    [({"kind": "ffnn", "alpha": 2}, 9), ({"kind": "cnn"}, 16), ({"kind": "rescnn", "n_filters": 4, "n_blocks": 1}, 16)],
)
def test_a_masked_weight_does_not_change_the_output(config, n_sites):
    network = build_network(config)
    variables = network.init(jax.random.key(1), jnp.ones((1, n_sites)))
    masks = flatten_dict(variables["masks"])
    params = flatten_dict(variables["params"])
    key = next(k for k in masks if "embedding" not in k)
    _set_first(masks, key, 0.0)
    x = jnp.asarray(np.random.default_rng(0).choice([-1.0, 1.0], size=(32, n_sites)))
    before = network.apply({"params": unflatten_dict(params), "masks": unflatten_dict(masks)}, x)
    _set_first(params, key, 123.0)
    after = network.apply({"params": unflatten_dict(params), "masks": unflatten_dict(masks)}, x)
    np.testing.assert_array_equal(before, after)


def test_masked_layer_norm_uses_nonzero_entries_and_guards_all_zero():
    h = jnp.array([[1.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    scale, bias = jnp.ones(4), jnp.full(4, 0.5)
    out = masked_layer_norm(h, scale, bias, epsilon=1e-6)
    # row 0: mean 2 and variance 1 over the non-zero entries {1, 3}
    np.testing.assert_allclose(out[0], (h[0] - 2.0) / np.sqrt(1.0 + 1e-6) + 0.5)
    np.testing.assert_array_equal(out[1], bias)  # all-zero site: finite, equals the bias


def test_fully_pruned_rescnn_blocks_stay_finite():
    network = build_network({"kind": "rescnn", "n_filters": 4, "n_blocks": 2})
    variables = network.init(jax.random.key(0), jnp.ones((1, 16)))
    masks = {k: (v if "embedding" in k else jax.tree_util.tree_map(jnp.zeros_like, v))
             for k, v in variables["masks"].items()}
    x = jnp.asarray(np.random.default_rng(0).choice([-1.0, 1.0], size=(8, 16)))
    assert np.all(np.isfinite(network.apply({"params": variables["params"], "masks": masks}, x)))


def test_circular_cnn_is_translation_invariant():
    network = build_network({"kind": "cnn", "n_filters": 3, "padding": "circular"})
    variables = network.init(jax.random.key(2), jnp.ones((1, 16)))
    x = np.random.default_rng(3).choice([-1.0, 1.0], size=(5, 4, 4))
    shifted = np.roll(x, shift=(1, 2), axis=(1, 2))
    np.testing.assert_allclose(network.apply(variables, x.reshape(5, 16)),
                               network.apply(variables, shifted.reshape(5, 16)), rtol=1e-12)


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"kind": "mlp"}, "network.kind"),
        ({"kind": "ffnn", "width": 3}, "width"),
        ({"kind": "cnn", "padding": "reflect"}, "padding"),
        ({"kind": "rescnn", "padding": "valid"}, "padding"),
        ({"kind": "cnn", "init_scheme": "xavier"}, "init_scheme"),
    ],
)
def test_bad_network_configs(config, fragment):
    with pytest.raises(NetworkConfigError, match=fragment):
        build_network(config)


@pytest.mark.parametrize("channels", [(3, 2), (16, 4)], ids=["xla-conv", "patch-product"])
@pytest.mark.parametrize("padding", ["valid", "same", "circular"])
def test_conv2d_values_and_per_sample_gradients_equal_the_xla_convolution(padding, channels):
    """conv2d (custom kernel gradient, for fast per-sample gradients; a patch matrix product from 16
    input channels) is the XLA convolution: same values, same input and kernel gradients, also under
    vmap as SR uses it."""
    from sparse_nqs.networks import PATCH_CONV_MIN_CHANNELS, conv2d

    assert (channels[0] >= PATCH_CONV_MIN_CHANNELS) == (channels[0] == 16)
    rng = np.random.default_rng(0)
    h = jnp.asarray(rng.normal(size=(5, 4, 4, channels[0])))
    kernel = jnp.asarray(rng.normal(size=(3, 3, *channels)))

    def xla(x, w):
        if padding == "circular":
            x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")
        return jax.lax.conv_general_dilated(x, w, (1, 1), "VALID" if padding == "circular" else padding.upper(),
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    np.testing.assert_allclose(np.asarray(conv2d(h, kernel, padding)), np.asarray(xla(h, kernel)), rtol=1e-12, atol=1e-12)

    def loss(conv):  # a non-linear scalar of one sample, like log psi
        return lambda w, x: jnp.sum(jnp.tanh(conv(x[None], w, padding) if conv is conv2d else conv(x[None], w)))

    for argnums in (0, 1):
        ours = jax.vmap(jax.grad(loss(conv2d), argnums=argnums), in_axes=(None, 0))(kernel, h)
        theirs = jax.vmap(jax.grad(loss(xla), argnums=argnums), in_axes=(None, 0))(kernel, h)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-10, atol=1e-12)
