#!/usr/bin/env bash
# GPU figures in one go (<= 8 min on a CUDA machine): installs TensorFlow's CUDA wheels into
# a fresh venv, runs the device tests and the model-accuracy test on the GPU, then
# bench/end_to_end.py with --device gpu (6000x4000 RGB, twice: cold and warm XLA cache).
# Writes JSON into ${OUT:-bench-gpu}/. Never run yet: no GPU machine has been lent so far.
# bench/speed.py fits on the CPU by design (device="cpu" in run_case), so it is not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench-gpu}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.csv"
python3 -m venv .venv-gpu
.venv-gpu/bin/python -m pip install --quiet --upgrade pip
.venv-gpu/bin/python -m pip install --quiet -e ".[test]" "tensorflow[and-cuda]>=2.16"
.venv-gpu/bin/python -c "import json, tensorflow as tf; \
print(json.dumps({'gpus': [d.name for d in tf.config.list_physical_devices('GPU')]}))" \
    > "$out/devices.json"
export BGOPT_XLA_CACHE="$PWD/$out/xla"
timeout 150 .venv-gpu/bin/python -m pytest -q tests/engine/test_devices.py \
    tests/engine/test_model_upsampling.py --junitxml="$out/tests.xml" || echo "tests failed" >&2
for run in cold warm; do
    timeout 120 .venv-gpu/bin/python bench/end_to_end.py --size 6000x4000 --channels 3 \
        -- --device gpu > "$out/end_to_end_$run.json"
done
echo "results in $out/"
