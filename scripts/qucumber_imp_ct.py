"""An RBM's IMP-CT pruning path trained by QuCumber, the library the source (Golubeva and Melko 2022)
trained with: the cross-check of the pipeline's rbm_n18_h1 (docs/rbm.md, "The IMP-CT path with
QuCumber"). Not a rule of the workflow: it runs in QuCumber's own throwaway environment (PyTorch),
never in the project's, and imports nothing of sparse_nqs, so every number it writes is QuCumber's:

    python3 -m venv /tmp/qcvenv && /tmp/qcvenv/bin/pip install torch==2.13.0
    /tmp/qcvenv/bin/pip install qucumber --no-deps && /tmp/qcvenv/bin/pip install numpy scipy matplotlib tqdm
    /tmp/qcvenv/bin/python scripts/qucumber_imp_ct.py \\
        published/paper-subset/data/tfim_chain_N18_k1_open_n100000_s0.npz \\
        src/sparse_nqs/external/qucumber_rbm_n18_h1_imp_ct

The schedule is workflow/presets/paper-subset.yaml's for rbm_n18_h1 (the defaults below): N_h = N/2,
CD-10, SGD lr 0.01, batches of 100, 500 dense epochs, then 18 rounds that remove
c = max(1, rint(0.1 n)) of the n remaining weights of smallest |W| (the biases are never pruned) and
train 100 epochs more from where the weights are (continued training, no rewind). The mask is
re-applied after every SGD update (QuCumber has no masks; a pruned weight is zero before each update
and set to zero after it, so it never moves and the other parameters see the masked RBM, as in the
pipeline, where the mask multiplies W). QuCumber's own CD differs from the pipeline's in one
respect: its negative chains start from a random batch of the data, ours from the positive batch.

After pre-training and after every round the exact KL(target || p_RBM) and the fidelity with the
ground state are computed by QuCumber (``training_statistics.KL`` and ``fidelity``) over all 2^N
configurations against the data file's ``target`` (|psi|^2 of the exact ground state, in the
pipeline's order, which the test relates to QuCumber's). Written to OUT:

* ``imp_ct.csv``: iteration (-1 = dense), n (weights left), pruned (fraction), kl_exact, fidelity,
  infidelity, epochs (trained so far), wall_seconds;
* ``states.npz``: the RBM after each of them in the pipeline's layout (``kernel_<i>`` (N, N_h),
  ``visible_bias_<i>``, ``hidden_bias_<i>``, ``mask_<i>``; i = 0 is the dense RBM, i = k + 1 round k);
* ``record.json``: the command, settings (with the SHA-256 of the samples, as the pipeline's data
  record gives it), versions and the script's SHA-256.

Each round is written when it is done; a run started again continues after the last one written
(torch's random state is stored with it), so that no job needs to outlive a session.
"""

import argparse
import csv
import hashlib
import json
import pathlib
import platform
import sys
import time

import numpy as np
import qucumber
import torch
from qucumber.callbacks import LambdaCallback
from qucumber.nn_states import PositiveWaveFunction
from qucumber.utils import training_statistics as ts

SCRIPT = pathlib.Path(__file__).resolve()
COLUMNS = ["iteration", "n", "pruned", "kl_exact", "fidelity", "infidelity", "epochs", "wall_seconds"]


def our_order(n):
    """All 2^n configurations in the pipeline's (NetKet's) order: row k is the complement of the
    binary digits of k, first unit most significant (tests/rbm/qucumber_crosscheck.py)."""
    k = np.arange(2**n)
    return (1 - ((k[:, None] >> np.arange(n - 1, -1, -1)) & 1)).astype(np.float64)


def prune_count(p_r, remaining):
    """The pipeline's count rule: c = max(1, rint(p_r n)), rint half to even."""
    return max(1, int(np.rint(p_r * remaining)))


def magnitude_prune(weights, mask, count):
    """``mask`` with the ``count`` unmasked entries of smallest |W| removed (ties by position)."""
    alive = np.flatnonzero(mask.ravel())
    order = alive[np.argsort(np.abs(weights.ravel()[alive]), kind="stable")]
    out = mask.ravel().copy()
    out[order[:count]] = 0.0
    return out.reshape(mask.shape)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the pipeline's data file (.npz with samples and target)")
    parser.add_argument("out", help="the output directory")
    parser.add_argument("--hidden-ratio", type=float, default=0.5)
    parser.add_argument("--pretrain-epochs", type=int, default=500)
    parser.add_argument("--iterations", type=int, default=18)
    parser.add_argument("--epochs-per-iteration", type=int, default=100)
    parser.add_argument("--p-r", type=float, default=0.1)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args()


def main():
    args = parse()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(args.threads)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with np.load(args.data) as archive:
        stored, target = np.asarray(archive["samples"]), np.asarray(archive["target"])
    samples = stored.astype(np.float64)
    N = samples.shape[1]
    n_hidden = max(1, int(round(args.hidden_ratio * N)))
    space = our_order(N)
    assert target.shape == (2**N,) and abs(target.sum() - 1) < 1e-10
    t_space = torch.tensor(space)
    target_complex = torch.stack([torch.tensor(np.sqrt(target)), torch.zeros(2**N)])
    data = torch.tensor(samples)

    settings = {k: v for k, v in vars(args).items() if k not in ("out", "threads")}
    # the data set as the pipeline's data record names it (samples_sha256: of the stored uint8 array)
    settings.update(N=N, n_hidden=n_hidden, samples_sha256=hashlib.sha256(stored.tobytes()).hexdigest())
    record = {"description": "an RBM's IMP-CT path trained by QuCumber (script's docstring)",
              "command": " ".join([pathlib.Path(sys.executable).as_posix(), *sys.argv]),
              "script_sha256": hashlib.sha256(SCRIPT.read_bytes()).hexdigest(), "settings": settings,
              "versions": {"qucumber": qucumber.__version__, "torch": torch.__version__, "numpy": np.__version__,
                           "python": sys.version.split()[0], "platform": platform.platform()}}
    record_path, table_path, states_path = out / "record.json", out / "imp_ct.csv", out / "states.npz"

    torch.manual_seed(args.seed)  # QuCumber's initial weights and its CD's batches and Gibbs steps
    nn_state = PositiveWaveFunction(num_visible=N, num_hidden=n_hidden, gpu=False)
    rbm = nn_state.rbm_am
    mask = np.ones((n_hidden, N))  # QuCumber's layout (N_h, N)
    rows, states = [], {}
    if table_path.exists():  # continue after the last round written
        previous = json.loads(record_path.read_text())
        if previous["settings"] != settings:
            sys.exit(f"{out} holds a path with other settings: {previous['settings']}; choose another OUT")
        with table_path.open() as handle:
            rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
        with np.load(states_path) as archive:
            states = {k: archive[k] for k in archive.files}
        last = len(rows) - 1
        with torch.no_grad():
            rbm.weights.copy_(torch.tensor(states[f"kernel_{last}"].T))
            rbm.visible_bias.copy_(torch.tensor(states[f"visible_bias_{last}"]))
            rbm.hidden_bias.copy_(torch.tensor(states[f"hidden_bias_{last}"]))
        mask = states[f"mask_{last}"].T.copy()
        torch.set_rng_state(torch.tensor(states["torch_rng_state"], dtype=torch.uint8))
        print(f"continuing after iteration {int(rows[-1]['iteration'])} ({len(rows)} rows)", flush=True)
    record_path.write_text(json.dumps(record, indent=1) + "\n")

    def keep_masked(nn_state, epoch, batch):
        with torch.no_grad():
            nn_state.rbm_am.weights.mul_(torch.tensor(mask))

    fit = dict(pos_batch_size=args.batch_size, neg_batch_size=args.batch_size, k=args.k, lr=args.lr,
               progbar=False, callbacks=[LambdaCallback(on_batch_end=keep_masked)])
    n_init = N * n_hidden
    epochs = int(rows[-1]["epochs"]) if rows else 0
    for iteration in range(len(rows) - 1, args.iterations):
        start = time.perf_counter()
        if iteration >= 0:  # round `iteration`: prune, then continue training
            remaining = int(mask.sum())
            mask = magnitude_prune(rbm.weights.detach().numpy(), mask, prune_count(args.p_r, remaining))
            keep_masked(nn_state, 0, 0)
        n_epochs = args.pretrain_epochs if iteration < 0 else args.epochs_per_iteration
        nn_state.fit(data, epochs=n_epochs, **fit)
        epochs += n_epochs
        kl = float(ts.KL(nn_state, target_complex, space=t_space))
        fidelity = float(ts.fidelity(nn_state, target_complex, space=t_space))
        n = int(mask.sum())
        rows.append({"iteration": iteration, "n": n, "pruned": 1 - n / n_init, "kl_exact": kl, "fidelity": fidelity,
                     "infidelity": 1 - fidelity, "epochs": epochs, "wall_seconds": time.perf_counter() - start})
        k = len(rows) - 1
        states.update({f"kernel_{k}": rbm.weights.detach().numpy().T.copy(),
                       f"visible_bias_{k}": rbm.visible_bias.detach().numpy().copy(),
                       f"hidden_bias_{k}": rbm.hidden_bias.detach().numpy().copy(), f"mask_{k}": mask.T.copy(),
                       "torch_rng_state": torch.get_rng_state().numpy()})
        # the states first, then the table: a table row always has its state
        np.savez(out / "states.tmp.npz", **states)
        (out / "states.tmp.npz").replace(states_path)
        with (out / "imp_ct.tmp.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            writer.writerows({c: (int(r[c]) if c in ("iteration", "n", "epochs") else r[c]) for c in COLUMNS}
                             for r in rows)
        (out / "imp_ct.tmp.csv").replace(table_path)
        print(f"iteration {iteration}: n = {n}, pruned {1 - n / n_init:.1%}, KL = {kl:.4g}, 1 - F = {1 - fidelity:.4g}, "
              f"{rows[-1]['wall_seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
