"""Projected training cost of a config (default: the paper preset) on this machine, from measured steps.

Every run of the config is counted in VMC-SR steps: pre-training j, then I rounds of k steps per
pruning method, then the isolated tickets (their own step budget each). The time of one step is
measured here for each distinct (system, network, sampling) of the config, with the run's own
statistics, on the dense network (a masked network costs the same: masks multiply dense tensors).
Evaluation and fidelity sampling are not counted (a few per cent of the steps' sampling).

    python benchmarks/project_cost.py [--configfile workflow/presets/paper.yaml] [--steps 3] [--kinds ffnn cnn]

Prints one line per measured case (``step_time ... ms_per_step=``), one per run
(``run_cost run=... steps=... hours=...``) and the total (``project_cost total_steps=... hours=...``),
with the device the steps ran on. The paper reports about 1000 GPU-hours for its final experiments
(Table 8: 22 GPU-hours for one IMP-WR run of the 10x10 FFNN alpha = 5).
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import jax
import yaml

from sparse_nqs.experiment import Run, ticket_list
from sparse_nqs.plan import Plan


def run_steps(settings: dict) -> int:
    """SR steps of one run: pre-training, every pruning method's rounds, every ticket."""
    p = settings["pruning"]
    steps = int(p["pretrain_steps"]) + len(p["methods"]) * int(p["iterations"]) * int(p["steps_per_iteration"])
    ticket_steps = settings["tickets"]["steps"]
    ticket_steps = int(p["pretrain_steps"] if ticket_steps is None else ticket_steps)
    return steps + len(ticket_list(settings)) * ticket_steps


def case_key(settings: dict) -> str:
    """What the time of one step depends on."""
    model = {k: v for k, v in settings["model"].items() if k != "kappa"}  # the field does not change the cost
    return json.dumps({"model": model, "network": settings["network"], "sampling": settings["sampling"]},
                      sort_keys=True)


def seconds_per_step(settings: dict, steps: int, warmup: int = 2) -> float:
    with tempfile.TemporaryDirectory() as directory:
        run = Run({"name": "benchmark", **settings}, Path(directory))
        vstate = run.vstate(None, 0)
        run.train(vstate, warmup, first_step=0)  # compilation
        jax.block_until_ready(vstate.parameters)
        start = time.perf_counter()
        run.train(vstate, steps, first_step=warmup)
        jax.block_until_ready(vstate.parameters)
        return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="workflow/presets/paper.yaml")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per case (after 2 warm-up steps)")
    parser.add_argument("--kinds", nargs="+", default=["ffnn", "cnn", "rescnn"],
                        help="network kinds to measure (a 10x10 ResCNN 16/4 step takes minutes on a CPU)")
    args = parser.parse_args()
    plan = Plan.from_config(yaml.safe_load(Path(args.configfile).read_text()))
    device = jax.devices()[0]
    print(f"device: {device.platform} {getattr(device, 'device_kind', '')} ({jax.device_count()} device(s))",
          flush=True)
    timing = {}
    for name, settings in plan.runs.items():
        key = case_key(settings)
        if settings["network"]["kind"] not in args.kinds:
            continue
        if key not in timing:
            timing[key] = seconds_per_step(settings, args.steps)
            m, net, s = settings["model"], settings["network"], settings["sampling"]
            label = ",".join(f"{k}={v}" for k, v in net.items() if v is not None and k != "init_std")
            print(f"step_time model={m['name']} L={m['L']} network={label} n_samples={s['n_samples']} "
                  f"ms_per_step={1e3 * timing[key]:.1f}", flush=True)
    total_steps, total_seconds, skipped = 0, 0.0, []
    for name, settings in plan.runs.items():
        steps = run_steps(settings)
        if case_key(settings) not in timing:
            skipped.append(name)
            print(f"run_cost run={name} steps={steps} hours=not-measured", flush=True)
            continue
        seconds = steps * timing[case_key(settings)]
        total_steps += steps
        total_seconds += seconds
        print(f"run_cost run={name} steps={steps} hours={seconds / 3600:.2f}", flush=True)
    print(f"project_cost config={args.configfile} runs={len(plan.runs)} total_steps={total_steps} "
          f"hours={total_seconds / 3600:.1f} device={device.platform}"
          + (f" not_measured={len(skipped)} runs ({', '.join(skipped)})" if skipped else ""), flush=True)


if __name__ == "__main__":
    main()
