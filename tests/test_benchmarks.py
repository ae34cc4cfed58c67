"""The prepared GPU check runs end to end at CI size on the CPU (its numbers are not asserted: speed
is measured by the benchmarks, never by a test)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark  # about a minute: pytest -m 'not benchmark' skips it

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_script_runs_at_ci_size(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(tmp_path)}
    result = subprocess.run([str(ROOT / "benchmarks" / "gpu_check.sh"), "--ci"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert out == (tmp_path / "gpu_check.log").read_text()
    for density in ("0.1",):
        for path in ("dense", "sparse"):
            assert re.search(rf"^vmc_step L=4 alpha=5 density={density} path={path} ms_per_step=[\d.]+$", out, re.M)
    for count in (2, 3):
        assert re.search(rf"^ticket_batch network=ffnn_alpha5 L=4 n_samples=128 B={count} .*batched=[\d.]+", out, re.M)
    for kind in ("cnn", "rescnn"):
        for path in ("generic", "fast"):
            assert re.search(rf"^vmc_step network={kind} L=4 n_samples=128 path={path} ms_per_step=\d+$", out, re.M)
    for per_call in (1, 4):
        assert re.search(rf"^vmc_step_dispatch L=4 alpha=1 steps_per_dispatch={per_call} ms_per_step=[\d.]+$", out, re.M)
    total = re.search(r"^project_cost config=workflow/presets/smoke.yaml runs=1 total_steps=\d+ "
                      r"hours_generic=[\d.]+ hours_fast=[\d.]+ device=cpu", out, re.M)
    assert total, out[-2000:]


def test_the_qucumber_comparison_says_why_it_is_skipped(capsys):
    """Without a Python that has torch and qucumber the RBM benchmark prints why and goes on (the
    project never installs PyTorch)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import rbm_epoch
    finally:
        sys.path.pop(0)
    rbm_epoch.qucumber("/nonexistent/python", 18, 1)
    rbm_epoch.qucumber(sys.executable, 18, 1)  # the project's own environment: no torch
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rbm_epoch N=18 path=qucumber skipped (no /nonexistent/python: see benchmarks/qucumber_epoch.py)"
    assert lines[1].startswith("rbm_epoch N=18 path=qucumber skipped (") and "torch" in lines[1]
