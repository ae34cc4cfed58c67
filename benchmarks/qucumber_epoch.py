"""Seconds per CD epoch of QuCumber (the library Golubeva and Melko trained with), for the comparison
in benchmarks/rbm_epoch.py. Runs in QuCumber's own throwaway environment (it needs PyTorch), never in
the project's; imports nothing of sparse_nqs:

    python3 -m venv /tmp/qcvenv && /tmp/qcvenv/bin/pip install torch==2.13.0
    /tmp/qcvenv/bin/pip install qucumber --no-deps && /tmp/qcvenv/bin/pip install numpy scipy matplotlib tqdm
    /tmp/qcvenv/bin/python benchmarks/qucumber_epoch.py --N 18 --epochs 3

The same work as the pipeline's epoch: 1e5 configurations, CD-10, positive and negative batches of
100, SGD with lr 0.01, a PositiveWaveFunction with N/2 hidden units in float64. Prints
``rbm_epoch N=18 path=qucumber s_per_epoch=...`` (after one untimed epoch).
"""

import argparse
import time

import numpy as np
import torch
from qucumber.nn_states import PositiveWaveFunction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, nargs="+", default=[18])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    for N in args.N:
        data = torch.tensor(np.random.default_rng(0).random((100_000, N)) < 0.5, dtype=torch.double)
        state = PositiveWaveFunction(num_visible=N, num_hidden=N // 2, gpu=False)
        settings = dict(pos_batch_size=100, neg_batch_size=100, k=10, lr=0.01, progbar=False)
        state.fit(data, epochs=1, **settings)  # untimed: allocations
        start = time.perf_counter()
        state.fit(data, epochs=args.epochs, **settings)
        print(f"rbm_epoch N={N} path=qucumber s_per_epoch={(time.perf_counter() - start) / args.epochs:.2f} "
              f"torch={torch.__version__} threads={torch.get_num_threads()}", flush=True)


if __name__ == "__main__":
    main()
