"""External cross-check of sparse_nqs's positive-wavefunction RBM against QuCumber (writes
tests/rbm/qucumber_crosscheck.json, which tests/rbm/test_rbm_qucumber.py compares with our code).

Runs in its own throwaway virtual environment, never in the project's (QuCumber needs PyTorch):

    python3 -m venv /tmp/qcvenv
    /tmp/qcvenv/bin/pip install torch==2.13.0
    /tmp/qcvenv/bin/pip install qucumber --no-deps
    /tmp/qcvenv/bin/pip install numpy scipy matplotlib tqdm
    /tmp/qcvenv/bin/python tests/rbm/qucumber_crosscheck.py

(qucumber 1.3.3 declares torch < 2.1; the calls used here work unchanged with torch 2.13, and the
versions actually used are written to the JSON.) Imports only torch, qucumber, numpy and the
standard library (json; hashlib, pathlib, platform, sys for the provenance record): nothing of
sparse_nqs, so the numbers are QuCumber's own.

Conventions found in QuCumber 1.3.3's source (qucumber/rbm/binary_rbm.py, nn_states/neural_state.py,
utils/training_statistics.py), and how they relate to ours (src/sparse_nqs/rbm):

* Weights: BinaryRBM.weights has shape (N_h, N) (``F.linear(v, W, c)`` = v W^T + c); our kernel is
  (N, N_h). QuCumber's weights = our kernel transposed.
* Energy: ``effective_energy(v)`` = E(v) = -b.v - sum_j softplus(c_j + (W v)_j) = -our free_energy.
  p(v) = exp(-E(v)) / Z, Z = sum_v exp(-E(v)) (``partition``).
* Conditionals: ``prob_h_given_v(v)`` = sigmoid(v W^T + c), ``prob_v_given_h(h)`` = sigmoid(h W + b),
  the same as our hidden_probabilities / visible_probabilities.
* Gradients: ``effective_energy_gradient(v, reduce=False)`` is the per-sample gradient of E (not of
  -E), flattened as [dE/dW (N_h x N, row-major), dE/db (N), dE/dc (N_h)]; with reduce=True it is the
  sum over the batch. ``compute_batch_gradients(k, pos, neg)`` returns
  <dE/dtheta>_pos - <dE/dtheta>_{k Gibbs steps from neg}, each phase averaged over its own batch:
  the gradient of the negative log-likelihood, i.e. the DESCENT direction (``fit`` stores it in
  ``param.grad`` and torch.optim.SGD subtracts lr * grad). Our likelihood_gradient returns
  <d(-E)>_data - <d(-E)>_model, the ASCENT direction. Hence
      ours["kernel"] = -(QuCumber's dE/dW block reshaped (N_h, N)).T,
      ours["visible_bias"] = -(dE/db block), ours["hidden_bias"] = -(dE/dc block).
  No internal Gibbs sampling is wanted here: ``BinaryRBM.gibbs_steps(0, neg)`` returns a copy of
  ``neg`` untouched (``for _ in range(0)``), so compute_batch_gradients(0, pos, neg) is the CD
  gradient of exactly the given batches. The script also assembles it by hand from the per-sample
  gradients (mean over pos minus mean over neg, compute_batch_gradients' averaging) and checks the
  two agree; the JSON stores QuCumber's vector unconverted (the conversion is made in the test).
* KL: ``training_statistics.KL(nn_state, target_psi)`` = sum_v q(v) [log q(v) - log p(v)] with
  q = |target_psi|^2: KL(q || p), target first, the same direction as our kl_divergence (logs taken
  through torch's probs_to_logits, which clamps probabilities to [eps, 1 - eps]: no effect here, the
  smallest q and p are ~1e-3). ``fidelity`` = |<target_psi|psi_RBM>|^2 with psi_RBM = sqrt(p): our
  fidelity (sum sqrt(p q))^2 for the positive target psi = sqrt(q). Both take ``target`` as a complex
  tensor (2, 2^N) (real and imaginary parts) over the given ``space``.

State ordering: QuCumber's generate_hilbert_space() enumerates v as the binary digits of 0..2^N-1
(first unit the most significant bit, v = 0...0 first). Ours (sparse_nqs.rbm.model.all_visible) is
NetKet's Spin(1/2, N).all_states() as v = (1 + s) / 2; NetKet 3.23 orders the local states [+1, -1]
("ordering=new"), so the first spin is still the most significant digit but v = 1...1 (all up) comes
first: our order is QuCumber's with every unit complemented. Every per-state quantity below is
evaluated on ``space`` in OUR order (passed explicitly to QuCumber) and ``space`` is stored, so the
test checks it against all_visible. (The TFIM target is invariant under the global flip and the
chain reflection, so the target, KL and fidelity alone could not detect an ordering mix-up: the
energies of the asymmetric random RBM on every state do.)
"""

import hashlib
import json
import pathlib
import platform
import sys

import numpy as np
import qucumber
import torch
from qucumber.nn_states import PositiveWaveFunction
from qucumber.utils import training_statistics as ts

N, N_HIDDEN, FIELD, SEED, BATCH = 6, 3, 1.0, 20240607, 100
SCRIPT = pathlib.Path(__file__).resolve()
OUTPUT = SCRIPT.with_suffix(".json")
COMMAND = "/tmp/qcvenv/bin/python tests/rbm/qucumber_crosscheck.py"


def our_order(n):
    """All 2^n configurations in sparse_nqs's (NetKet 3.23's) order: first unit most significant,
    v = 1 (up, s = +1) before v = 0, i.e. row k is the complement of the binary digits of k."""
    k = np.arange(2**n)
    bits = (k[:, None] >> np.arange(n - 1, -1, -1)) & 1
    return (1 - bits).astype(np.float64)


def tfim_chain_ground_state(space, field):
    """The exact ground state of H = -sum Z_i Z_{i+1} - h sum X_i (open chain) over ``space``'s
    order, by dense diagonalisation; Z_i = 2 v_i - 1 (v = 1 is up, Z = +1), X_i flips unit i.
    Returns the positive amplitudes psi (Perron-Frobenius: a stoquastic H has a ground state of
    one sign; the overall sign of eigh's vector is arbitrary) and q = psi^2."""
    n = space.shape[1]
    index = {tuple(row): k for k, row in enumerate(space.astype(int).tolist())}
    z = 2 * space - 1
    H = np.diag(-np.sum(z[:, :-1] * z[:, 1:], axis=1))
    for k, row in enumerate(space.astype(int).tolist()):
        for i in range(n):
            flipped = list(row)
            flipped[i] = 1 - flipped[i]
            H[index[tuple(flipped)], k] -= field
    energies, vectors = np.linalg.eigh(H)
    assert energies[1] - energies[0] > 1e-6, "degenerate ground state"
    psi = np.abs(vectors[:, 0])
    psi /= np.linalg.norm(psi)
    return psi, psi**2, float(energies[0])


def main():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)

    # ---- inputs ---------------------------------------------------------------------------
    kernel = rng.normal(0.0, 1.0, (N, N_HIDDEN)) / np.sqrt(N)  # OUR layout (N, N_h)
    visible_bias = rng.normal(0.0, 0.5, N)
    hidden_bias = rng.normal(0.0, 0.5, N_HIDDEN)
    assert np.all(visible_bias != 0) and np.all(hidden_bias != 0)
    space = our_order(N)
    target_psi, target, ground_energy = tfim_chain_ground_state(space, FIELD)
    positive = space[rng.choice(len(space), size=BATCH, p=target)]  # data drawn from the target
    negative = rng.integers(0, 2, (BATCH, N)).astype(np.float64)  # any fixed batch of model samples
    hidden = ((np.arange(2**N_HIDDEN)[:, None] >> np.arange(N_HIDDEN - 1, -1, -1)) & 1).astype(np.float64)

    # ---- QuCumber's state -----------------------------------------------------------------
    nn_state = PositiveWaveFunction(num_visible=N, num_hidden=N_HIDDEN, gpu=False)
    rbm = nn_state.rbm_am
    with torch.no_grad():
        rbm.weights.copy_(torch.tensor(kernel.T))  # QuCumber stores W as (N_h, N)
        rbm.visible_bias.copy_(torch.tensor(visible_bias))
        rbm.hidden_bias.copy_(torch.tensor(hidden_bias))
    assert rbm.weights.dtype == torch.float64 and rbm.weights.device.type == "cpu"

    qc_space = nn_state.generate_hilbert_space()  # QuCumber's own order: the complement of ours
    assert np.array_equal(qc_space.numpy(), 1 - space)

    t_space, t_pos, t_neg, t_hidden = (torch.tensor(a) for a in (space, positive, negative, hidden))
    energies = rbm.effective_energy(t_space)
    log_z = float(torch.log(nn_state.normalization(t_space)))
    probabilities = nn_state.probability(t_space, nn_state.normalization(t_space))
    p_h = rbm.prob_h_given_v(t_pos)
    p_v = rbm.prob_v_given_h(t_hidden)

    # CD gradient of exactly these batches: k = 0 Gibbs steps leave the negative batch as it is
    gradient = nn_state.compute_batch_gradients(0, t_pos, t_neg)[0]
    positive_phase = rbm.effective_energy_gradient(t_pos, reduce=False).mean(0)
    negative_phase = rbm.effective_energy_gradient(t_neg, reduce=False).mean(0)
    by_hand = positive_phase - negative_phase
    assert torch.allclose(gradient, by_hand, rtol=1e-13, atol=1e-15), (gradient - by_hand).abs().max()
    n_w = N * N_HIDDEN

    target_complex = torch.stack([torch.tensor(target_psi), torch.zeros(len(space))])  # (2, 2^N)
    kl = ts.KL(nn_state, target_complex, space=t_space)
    fid = ts.fidelity(nn_state, target_complex, space=t_space)

    def floats(x):
        return np.asarray(x.detach().numpy() if torch.is_tensor(x) else x, dtype=np.float64).tolist()

    record = {
        "description": "QuCumber's PositiveWaveFunction evaluated on fixed float64 inputs; "
                       "see the script's docstring for the conventions",
        "command": COMMAND,
        "script_sha256": hashlib.sha256(SCRIPT.read_bytes()).hexdigest(),
        "versions": {"qucumber": qucumber.__version__, "torch": torch.__version__, "numpy": np.__version__,
                     "python": sys.version.split()[0], "platform": platform.platform()},
        "inputs": {
            "N": N, "n_hidden": N_HIDDEN, "field": FIELD, "seed": SEED,
            "kernel": floats(kernel),  # our layout (N, N_h)
            "visible_bias": floats(visible_bias), "hidden_bias": floats(hidden_bias),
            "space": floats(space),  # every configuration, our order
            "target_probabilities": floats(target), "target_amplitudes": floats(target_psi),
            "ground_energy": ground_energy,
            "positive_batch": floats(positive), "negative_batch": floats(negative),
            "hidden_batch": floats(hidden),
        },
        "qucumber": {
            "weights": floats(rbm.weights),  # as QuCumber holds them, (N_h, N)
            "effective_energy": floats(energies),  # E(v) over "space"
            "log_partition": log_z,
            "probabilities": floats(probabilities),  # normalised p(v) over "space"
            "prob_h_given_v": floats(p_h),  # (BATCH, N_h), rows of positive_batch
            "prob_v_given_h": floats(p_v),  # (2^N_h, N), rows of hidden_batch
            # compute_batch_gradients(0, positive, negative): d(NLL), QuCumber's sign and layout
            "gradient": floats(gradient),
            "gradient_weights": floats(gradient[:n_w].reshape(N_HIDDEN, N)),
            "gradient_visible_bias": floats(gradient[n_w:n_w + N]),
            "gradient_hidden_bias": floats(gradient[n_w + N:]),
            "positive_phase": floats(positive_phase), "negative_phase": floats(negative_phase),
            "KL": kl,  # KL(target || RBM)
            "fidelity": fid,
        },
    }
    OUTPUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {OUTPUT} (qucumber {qucumber.__version__}, torch {torch.__version__}): "
          f"KL = {kl!r}, fidelity = {fid!r}")


if __name__ == "__main__":
    main()
