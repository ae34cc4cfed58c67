"""Projected training cost of a config (default: the paper preset) on this machine, from measured steps.

Every run of the config is counted in VMC-SR steps at the density they train at: pre-training j
dense, then I rounds of k steps per pruning method at the density n_i / n_init of each round, then the
isolated tickets (their own step budget each, at the density of their IMP-WR mask). The time of one
step is measured here for each distinct (system, network, sampling) of the config, with the run's own
statistics, side by side for two paths: ``generic`` (the step before SR on the surviving weights and
incremental FFNN amplitudes: a pruned network costs what the dense one does, measured dense) and
``fast`` (every fast path, measured at the densities of ``--densities`` on random masks and
interpolated log-log in between; below the sparsest measured density its time is used). Evaluation
and fidelity sampling are not counted (a few per cent of the steps' sampling).

The RBM runs of the config (section ``rbm``) are counted in CD epochs (pre-training, every method's
rounds, every ticket) at the measured time of one epoch of their chain length, plus their
evaluations: a training-log row every ``evaluation.log_every`` epochs (``log_samples`` block-Gibbs
samples, and the exact KL and fidelity up to 20 spins) and a full evaluation (``n_samples``) after
pre-training, every round and every ticket. One line per measured chain (``rbm_step_time N=...
s_per_epoch=... s_per_log_row=... s_per_evaluation=...``) and one per run (``run_cost run=...
epochs=... hours=...``); ``--no-rbm`` leaves them out.

    python benchmarks/project_cost.py [--configfile workflow/presets/paper.yaml] [--steps 3] [--kinds ffnn cnn]
                                      [--runs fig3_L4 rbm_n18_h1 ...] [--no-rbm]

A generic step that does not fit in memory (the 10x10 ResCNN's local energies at N_s = 1024 ask for
26 GB at once) is reported as ``out-of-memory`` and its runs are left out of ``hours_generic``.
Prints one line per measured case and path (``step_time ... path=fast density=0.1 ms_per_step=``), one
per run (``run_cost run=... steps=... hours_generic=... hours_fast=...``) and the total
(``project_cost total_steps=... hours_generic=... hours_fast=...``), with the device the steps ran on. The paper reports about 1000 GPU-hours for its final experiments
(Table 8: 22 GPU-hours for one IMP-WR run of the 10x10 FFNN alpha = 5).
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import yaml
from flax.traverse_util import flatten_dict, unflatten_dict

from sparse_nqs.networks import PRUNING_EXCLUDED
from sparse_nqs.plan import Plan
from sparse_nqs.pruning.experiment import ticket_list
from sparse_nqs.runtime import enable_x64
from sparse_nqs.vmc.run import VMCRun
from sparse_nqs.vmc.sampling import make_vstate, set_masks
from sparse_nqs.vmc.training import train

enable_x64()  # the pipeline's precision; no compilation cache (compile times are measured)


def run_phases(settings: dict, n_sequence: list[int]) -> list[tuple[int, float]]:
    """(SR steps, density n / n_init) of every phase of one run: pre-training, every pruning method's
    rounds, every ticket."""
    p = settings["pruning"]
    n_init = n_sequence[0]
    phases = [(int(p["pretrain_steps"]), 1.0)]
    for _ in p["methods"]:
        phases += [(int(p["steps_per_iteration"]), n_sequence[i + 1] / n_init) for i in range(int(p["iterations"]))]
    ticket_steps = settings["tickets"]["steps"]
    ticket_steps = int(p["pretrain_steps"] if ticket_steps is None else ticket_steps)
    phases += [(ticket_steps, n_sequence[i + 1] / n_init) for _, i in ticket_list(settings)]
    return phases


def case_key(settings: dict) -> str:
    """What the time of one step depends on."""
    model = {k: v for k, v in settings["model"].items() if k != "kappa"}  # the field does not change the cost
    return json.dumps({"model": model, "network": settings["network"], "sampling": settings["sampling"]},
                      sort_keys=True)


def seconds_per_step(settings: dict, steps: int, density: float = 1.0, fast: bool = True, warmup: int = 2) -> float:
    """Seconds per SR step of the run's network with a random mask keeping ``density`` of its prunable
    weights; ``fast`` False: the generic step and sampler."""
    with tempfile.TemporaryDirectory() as directory:
        run = VMCRun({"name": "benchmark", **settings}, Path(directory))
        vstate = make_vstate(run.model, run.network, run.sampling, init_seed=0, sampler_seed=0,
                             incremental_amplitudes=fast)
        if density < 1.0:
            rng = np.random.default_rng(0)
            masks = flatten_dict(vstate.model_state["masks"])
            for path, mask in masks.items():
                if not any(name in part for part in path for name in PRUNING_EXCLUDED):
                    masks[path] = jnp.asarray(rng.random(mask.shape) < density, mask.dtype)
            set_masks(vstate, unflatten_dict(masks))
        o = settings["optimizer"]

        def steps_of(n):
            train(vstate, run.model, n, o["learning_rate"], o["diag_shift"], fast=fast)
            jax.block_until_ready(vstate.parameters)

        steps_of(warmup)  # compilation
        start = time.perf_counter()
        steps_of(steps)
        return (time.perf_counter() - start) / steps


def rbm_phases(settings: dict) -> tuple[int, int]:
    """(CD epochs, full evaluations) of one RBM run: pre-training, every method's rounds, every ticket."""
    p = settings["pruning"]
    epochs = int(p["pretrain_steps"]) + len(p["methods"]) * int(p["iterations"]) * int(p["steps_per_iteration"])
    tickets = ticket_list(settings)
    epochs += len(tickets) * int(settings["tickets"]["steps"])
    return epochs, 1 + len(p["methods"]) * int(p["iterations"]) + len(tickets)


def rbm_seconds(settings: dict, epochs: int = 2) -> dict:
    """Seconds per CD epoch, per training-log row and per full evaluation of an RBM run's chain,
    on random data of the run's size (the cost does not depend on the distribution)."""
    from sparse_nqs.rbm.evaluation import draw_samples, exact_metrics, sampled_metrics
    from sparse_nqs.rbm.model import init_rbm
    from sparse_nqs.rbm.run import chain_model, n_hidden
    from sparse_nqs.rbm.statistics import sample_statistics
    from sparse_nqs.rbm.training import CDSettings, train_epoch

    N, e = settings["model"]["N"], settings["evaluation"]
    model = chain_model(settings)
    rng = np.random.default_rng(0)
    data = jnp.asarray(rng.random((settings["data"]["n_samples"], N)) < 0.5, dtype=jnp.float64)
    cd = CDSettings(**{k: settings["cd"][k] for k in ("learning_rate", "batch_size", "k")})
    variables = init_rbm(N, n_hidden(settings), 0)
    chains = data[: cd.batch_size]
    jax.block_until_ready(train_epoch(variables, data, jax.random.key(9), chains, cd)[0])  # compile
    start = time.perf_counter()
    for k in range(epochs):
        jax.block_until_ready(train_epoch(variables, data, jax.random.key(k), chains, cd)[0])
    per_epoch = (time.perf_counter() - start) / epochs
    stats = sample_statistics(np.asarray(data[:10_000]))
    exact = N <= 20 and e["exact"] is not False
    target = rng.random(2**N) if exact else None

    def evaluation(n_samples: int, seed: int) -> None:
        samples = draw_samples(variables, N, n_samples, min(e["n_chains"], n_samples), e["burn_in"], e["thin"], seed)
        sampled_metrics(variables, model, samples, -1.0, stats)
        if exact:
            exact_metrics(variables, N, target / target.sum(), target / target.sum())

    seconds = {}
    for name, n in (("log_row", e["log_samples"]), ("evaluation", e["n_samples"])):
        evaluation(n, 0)  # compile
        start = time.perf_counter()
        evaluation(n, 1)
        seconds[name] = time.perf_counter() - start
    return {"epoch": per_epoch, **seconds}


def rbm_costs(plan) -> float:
    """Print the measured times and the cost of every RBM run of ``plan``; returns the total hours."""
    measured, total = {}, 0.0
    for name, settings in plan.rbm_runs.items():
        key = json.dumps({"N": settings["model"]["N"], **{k: settings[k] for k in ("rbm", "cd", "data", "evaluation")}},
                         sort_keys=True)  # the field does not change the cost
        if key not in measured:
            measured[key] = rbm_seconds(settings)
            t = measured[key]
            print(f"rbm_step_time N={settings['model']['N']} s_per_epoch={t['epoch']:.2f} "
                  f"s_per_log_row={t['log_row']:.2f} s_per_evaluation={t['evaluation']:.2f}", flush=True)
        t = measured[key]
        epochs, evaluations = rbm_phases(settings)
        rows = epochs // int(settings["evaluation"]["log_every"])
        hours = (epochs * t["epoch"] + rows * t["log_row"] + evaluations * t["evaluation"]) / 3600
        total += hours
        print(f"run_cost run={name} epochs={epochs} log_rows={rows} evaluations={evaluations} hours={hours:.2f}",
              flush=True)
    return total


def interpolated(times: dict[float, float], density: float) -> float:
    """Step time at ``density`` from the measured {density: seconds}, log-log linear in between."""
    ds = np.array(sorted(times))
    ts = np.array([times[d] for d in ds])
    return float(np.exp(np.interp(np.log(max(density, ds[0])), np.log(ds), np.log(ts))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="workflow/presets/paper.yaml")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per case (after the warm-up steps)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per case first (compilation)")
    parser.add_argument("--kinds", nargs="+", default=["ffnn", "cnn", "rescnn"],
                        help="network kinds to measure (a 10x10 ResCNN 16/4 step takes minutes on a CPU)")
    parser.add_argument("--densities", type=float, nargs="+", default=[1.0, 0.3, 0.1, 0.03, 0.01],
                        help="densities at which the fast path is measured")
    parser.add_argument("--runs", nargs="+", help="only these runs of the config, VMC or RBM (default: all)")
    parser.add_argument("--no-rbm", action="store_true", help="leave the RBM runs out")
    parser.add_argument("--slow-kinds", nargs="*", default=["rescnn"],
                        help="network kinds measured with 1 warm-up and 1 timed step, at densities 1 and 0.1 only "
                             "(a 10x10 ResCNN 16/4 step takes minutes on 2 CPU cores)")
    args = parser.parse_args()
    plan = Plan.from_config(yaml.safe_load(Path(args.configfile).read_text()))
    if args.runs:
        unknown = set(args.runs) - set(plan.runs) - set(plan.rbm_runs)
        if unknown:
            parser.error(f"no run(s) {', '.join(sorted(unknown))} in {args.configfile}")
        plan.runs = {name: s for name, s in plan.runs.items() if name in args.runs}
        plan.rbm_runs = {name: s for name, s in plan.rbm_runs.items() if name in args.runs}
    if args.no_rbm:
        plan.rbm_runs = {}
    device = jax.devices()[0]
    print(f"device: {device.platform} {getattr(device, 'device_kind', '')} ({jax.device_count()} device(s))",
          flush=True)
    generic, fast = {}, {}  # case -> seconds per step (generic: dense), {density: seconds} (fast)
    for name, settings in plan.runs.items():
        key = case_key(settings)
        if settings["network"]["kind"] not in args.kinds or key in generic:
            continue
        m, net, smp = settings["model"], settings["network"], settings["sampling"]
        label = ",".join(f"{k}={v}" for k, v in net.items() if v is not None and k != "init_std")
        case = f"model={m['name']} L={m['L']} network={label} n_samples={smp['n_samples']}"
        slow = net["kind"] in args.slow_kinds
        steps, warmup = (1, 1) if slow else (args.steps, args.warmup)
        densities = [1.0, 0.1] if slow else args.densities
        try:
            generic[key] = seconds_per_step(settings, steps, fast=False, warmup=warmup)
            print(f"step_time {case} path=generic density=1 ms_per_step={1e3 * generic[key]:.1f}", flush=True)
        except jax.errors.JaxRuntimeError as error:  # e.g. the ResCNN's unchunked local energies
            if "RESOURCE_EXHAUSTED" not in str(error):
                raise
            generic[key] = None
            print(f"step_time {case} path=generic density=1 ms_per_step=out-of-memory "
                  f"({str(error).splitlines()[0][:120]})", flush=True)
        fast[key] = {}
        for density in densities:
            fast[key][density] = seconds_per_step(settings, steps, density=density, warmup=warmup)
            print(f"step_time {case} path=fast density={density:g} ms_per_step={1e3 * fast[key][density]:.1f}",
                  flush=True)
    total_steps, hours_generic, hours_fast, skipped, no_generic = 0, 0.0, 0.0, [], []
    hours_fast_with_generic = 0.0  # the fast hours of the runs whose generic step was measured
    for name, settings in plan.runs.items():
        phases = run_phases(settings, plan.summaries[name]["n_sequence"])
        steps = sum(n for n, _ in phases)
        key = case_key(settings)
        if key not in generic:
            skipped.append(name)
            print(f"run_cost run={name} steps={steps} hours=not-measured", flush=True)
            continue
        after = sum(n * interpolated(fast[key], density) for n, density in phases) / 3600
        total_steps += steps
        hours_fast += after
        if generic[key] is None:
            no_generic.append(name)
            print(f"run_cost run={name} steps={steps} hours_generic=out-of-memory hours_fast={after:.2f}", flush=True)
            continue
        before = steps * generic[key] / 3600
        hours_generic += before
        hours_fast_with_generic += after
        print(f"run_cost run={name} steps={steps} hours_generic={before:.2f} hours_fast={after:.2f}", flush=True)
    rbm_hours = rbm_costs(plan)
    if plan.rbm_runs:
        print(f"rbm_cost runs={len(plan.rbm_runs)} hours={rbm_hours:.2f} device={device.platform}", flush=True)
    print(f"project_cost config={args.configfile} runs={len(plan.runs)} total_steps={total_steps} "
          f"hours_generic={hours_generic:.1f} hours_fast={hours_fast:.1f} device={device.platform}"
          + (f" generic_out_of_memory={len(no_generic)} runs, the others: hours_generic={hours_generic:.1f} "
             f"hours_fast={hours_fast_with_generic:.1f}" if no_generic else "")
          + (f" not_measured={len(skipped)} runs ({', '.join(skipped)})" if skipped else ""), flush=True)


if __name__ == "__main__":
    main()
