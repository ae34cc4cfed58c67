#!/usr/bin/env bash
# The GPU check of the training step, prepared to run in the first minutes of a GPU lease (under
# 10 minutes on one H200 by its budget below; the GPU numbers are not measured yet, see docs/speed):
#   1. the 10x10 FFNN alpha 5 step at densities 1 and 0.1, the generic step against every fast path
#   2. batched isolated tickets of that network (30 % random masks), B = 3, 22 and 66 in one program
#   3. the dense CNN and ResCNN 16/4 steps at 10x10, generic against fast
#   4. 1 against 10 and 50 training steps per compiled call (SPARSE_NQS_STEPS_PER_DISPATCH)
#   5. the projected device-hours of the paper preset, every network kind (project_cost.py)
# Every line it prints is key=value; the whole output also goes to $OUT/gpu_check.log when OUT is set.
#
#   benchmarks/gpu_check.sh          # on the GPU machine
#   benchmarks/gpu_check.sh --ci     # the same commands at CI size on any CPU (a test runs it; one run in the projection)
#
# Python: $PYTHON, else .venv/bin/python, else python3. A GPU machine without this package's
# dependencies needs them as wheels (jax with CUDA is usually there; netket, flax and the rest are
# not): download them where pip works (pip download --only-binary=:all: --python-version <theirs> ...
# -d .whl netket==<requirements.lock's> ...), carry .whl, and set PYTHONPATH to where they unpack.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
export PYTHONUNBUFFERED=1 PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
log=${OUT:+$OUT/gpu_check.log}
log=${log:-/dev/null}

if [[ "${1:-}" == "--ci" ]]; then
  L=4; steps=3; densities="0.1"; batch="2 3"; batch_samples=128; dispatch="1 4"; dispatch_L=4
  config=workflow/presets/smoke.yaml; cost_steps=1; kinds="ffnn"; slow=""; cost_densities="1 0.1"; runs="--runs ffnn"
else
  L=10; steps=20; densities="1 0.1"; batch="3 22 66"; batch_samples=1024; dispatch="1 10 50"; dispatch_L="4 6"
  config=workflow/presets/paper.yaml; cost_steps=2; kinds="ffnn cnn rescnn"; slow=""; cost_densities="1 0.1 0.01"; runs=""
fi

{
  "$PYTHON" -c 'import jax; print("device:", jax.devices())'
  "$PYTHON" benchmarks/vmc_step.py --no-4x4 --steps "$steps" \
    --densities --density-L "$L" --density-values $densities \
    --network-step cnn rescnn --network-L "$L" --network-samples "$batch_samples" \
    --dispatch --dispatch-values $dispatch --dispatch-L $dispatch_L \
    --batch --batch-only --batch-networks ffnn_alpha5 --batch-L "$L" --batch-samples "$batch_samples" --batch-sizes $batch
  "$PYTHON" benchmarks/project_cost.py --configfile "$config" --steps "$cost_steps" --warmup 1 \
    --densities $cost_densities --kinds $kinds --slow-kinds $slow --no-rbm $runs
} 2>&1 | tee "$log"
