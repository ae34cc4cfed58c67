"""Our RBM against QuCumber, the code of the Golubeva & Melko study (docs/rbm.md).

tests/rbm/qucumber_crosscheck.json holds QuCumber 1.3.3's numbers for fixed float64 inputs; it is
written by tests/rbm/qucumber_crosscheck.py in a separate virtual environment with PyTorch (see that
script's docstring for the commands and for QuCumber's conventions). These tests need no torch: they
rebuild our variables from the stored W, b, c and compare.

Tolerances: both sides evaluate the same closed formulas in float64 on O(1) numbers (energies <= 5,
probabilities <= 1, gradient terms averages of O(1) products), differing only in summation order and
library kernels, so they agree to a few ulps (measured: <= 6e-15 absolute). We ask rtol = 1e-10 with
an absolute floor of 1e-12 (the gradients are differences of O(1) means, so a component near zero
has a relative error that means nothing): ~1000x the rounding, and ~1000x below any real change (a
perturbation of 1e-9 in one weight already fails). The target from our sparse-Lanczos ED is compared
with the script's dense diagonalisation to 1e-10 absolute, the eigensolver's own accuracy.
"""

import hashlib
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from sparse_nqs.physics.models import TFIMChain
from sparse_nqs.rbm import (
    all_visible,
    fidelity,
    free_energy,
    ground_state_distribution,
    kl_divergence,
    likelihood_gradient,
    log_probabilities,
)
from sparse_nqs.rbm.training import hidden_probabilities, visible_probabilities

HERE = Path(__file__).parent
SCRIPT = HERE / "qucumber_crosscheck.py"
RECORD = HERE / "qucumber_crosscheck.json"
RTOL, ATOL = 1e-10, 1e-12


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def record():
    return json.loads(RECORD.read_text())


@pytest.fixture(scope="module")
def inputs(record):
    return record["inputs"]


@pytest.fixture(scope="module")
def qc(record):
    return record["qucumber"]


@pytest.fixture(scope="module")
def variables(inputs):
    kernel = jnp.asarray(inputs["kernel"], dtype=jnp.float64)
    assert kernel.shape == (inputs["N"], inputs["n_hidden"])
    return {"params": {"kernel": kernel,
                       "visible_bias": jnp.asarray(inputs["visible_bias"], dtype=jnp.float64),
                       "hidden_bias": jnp.asarray(inputs["hidden_bias"], dtype=jnp.float64)},
            "masks": {"kernel": jnp.ones_like(kernel)}}


@pytest.fixture(scope="module")
def target(inputs):
    return ground_state_distribution(TFIMChain(inputs["N"], inputs["field"]))


def test_the_record_was_written_by_the_current_script(record):
    """The JSON is the output of the script as it stands: rerun the script after editing it."""
    assert record["script_sha256"] == hashlib.sha256(SCRIPT.read_bytes()).hexdigest(), (
        f"{RECORD.name} is stale: rerun `{record['command']}` (see the script's docstring)")
    assert record["versions"]["qucumber"] == "1.3.3"
    assert {"qucumber", "torch", "numpy", "python"} <= set(record["versions"])
    assert record["command"].endswith("tests/rbm/qucumber_crosscheck.py")


def test_the_state_order_the_weight_layout_and_the_target_are_ours(inputs, qc, target):
    N = inputs["N"]
    # the script evaluated QuCumber on our enumeration (NetKet's order), not on its own
    np.testing.assert_array_equal(np.asarray(inputs["space"]), all_visible(N))
    # QuCumber holds W as (N_h, N): the transpose of our kernel
    np.testing.assert_array_equal(np.asarray(qc["weights"]), np.asarray(inputs["kernel"]).T)
    # our ED target (NetKet Ising, sparse Lanczos) is the script's dense-numpy one, state by state
    close(target, inputs["target_probabilities"], rtol=0, atol=1e-10)
    assert np.sum(target) == pytest.approx(1.0, abs=1e-12)


def test_minus_our_free_energy_is_qucumbers_effective_energy_on_every_state(inputs, qc, variables):
    N = inputs["N"]
    close(-free_energy(variables, jnp.asarray(all_visible(N))), qc["effective_energy"])
    # and so the normalised distributions agree (exact log Z by enumeration on both sides)
    close(log_probabilities(variables, N), np.log(qc["probabilities"]))
    close(np.exp(log_probabilities(variables, N)), qc["probabilities"])


def test_the_conditional_probabilities_are_qucumbers(inputs, qc, variables):
    close(hidden_probabilities(variables, jnp.asarray(inputs["positive_batch"])), qc["prob_h_given_v"])
    close(visible_probabilities(variables, jnp.asarray(inputs["hidden_batch"])), qc["prob_v_given_h"])


def test_the_likelihood_gradient_is_minus_qucumbers_cd_gradient(inputs, qc, variables):
    """QuCumber's compute_batch_gradients returns <dE>_pos - <dE>_neg (descent direction, W as
    (N_h, N)); ours is <d(-E)>_data - <d(-E)>_model (ascent, W as (N, N_h)): minus it, transposed."""
    ours = likelihood_gradient(variables, jnp.asarray(inputs["positive_batch"]), jnp.asarray(inputs["negative_batch"]))
    converted = {"kernel": -np.asarray(qc["gradient_weights"]).T,
                 "visible_bias": -np.asarray(qc["gradient_visible_bias"]),
                 "hidden_bias": -np.asarray(qc["gradient_hidden_bias"])}
    for name, expected in converted.items():
        close(ours[name], expected)
    # the stored blocks are QuCumber's flat vector [W row-major, b, c], which is <dE>_pos - <dE>_neg
    flat = np.concatenate([np.ravel(qc["gradient_weights"]), qc["gradient_visible_bias"], qc["gradient_hidden_bias"]])
    np.testing.assert_array_equal(flat, qc["gradient"])
    close(np.asarray(qc["positive_phase"]) - np.asarray(qc["negative_phase"]), qc["gradient"])
    # the comparison can tell the conventions apart: without the sign flip it fails
    assert not np.allclose(ours["kernel"], np.asarray(qc["gradient_weights"]).T, rtol=RTOL, atol=ATOL)


def test_kl_divergence_and_fidelity_are_qucumbers(inputs, qc, variables, target):
    """QuCumber's training_statistics.KL is KL(target || RBM), the direction of ours."""
    log_p = log_probabilities(variables, inputs["N"])
    for q in (target, np.asarray(inputs["target_probabilities"])):
        close(kl_divergence(q, log_p), qc["KL"])
        close(fidelity(q, log_p), qc["fidelity"])
    # the reverse direction KL(RBM || target) is a different number here
    p = np.exp(log_p)
    assert abs(float(np.sum(p * (log_p - np.log(target)))) - qc["KL"]) > 1e-3
