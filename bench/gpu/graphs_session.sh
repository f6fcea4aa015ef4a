#!/usr/bin/env bash
# The CUDA-graphs checks on a lent GPU, as prepared commands in order of value, each step under its own time limit
# (bench/gpu/step.sh): one device session has 15 minutes in all and at most 10 a command, so there are two parts.
#   PART=1 (at most 9.2 minutes of step limits; the device call's own limit is 10):
#     1. bench/gpu/graphs_check.py: eager vs graphed images/s, resnest26d at 32 px, batch 64/128, fp32/bf16
#     2. bench/gpu/gpu_report.py: the report experiment end to end on synthetic CIFAR-100 (interrupted at its
#        deadline and estimated from its epochs if it runs longer)
#     3. pytest -m gpu: graphed equals eager, resume, captured setups, eager notes (tests/test_cuda_graphs.py)
#   PART=2 (at most 6 minutes), cheapest first:
#     4. bench/speed/trial_overhead.py: where a sweep trial's seconds go on the GPU (goal: 10% outside its epochs)
#     5. resnet18 (small stem) on real Fashion-MNIST, 30 epochs, graphed (the eager run: 95.14% in 116 s)
#     6. bench/gpu/graphs_check.py --compile: torch.compile's modes against the graph, compile time included
# Logs go to $OUT, results to bench/results (each step's new ones copied to $OUT/results; all in $OUT/results.tgz).
#   OUT=/tmp/out PART=1 bash bench/gpu/graphs_session.sh [fashion-mnist root, default data/fashion-mnist]
# Before the call: bash bench/gpu/wheels.sh; carry ["data/fashion-mnist", ".whl"].
# With DRY=1 it checks itself on the CPU (tiny data, stand-in graphs, the tests' CPU-skips shown).
set -u
cd "$(dirname "$0")/../.."
root=${1:-data/fashion-mnist}
OUT=${OUT:-/tmp/graphs_session}; mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
source bench/gpu/carried.sh                            # fastcore and optuna's wheels, from .whl/
py=python3; runs=runs; dry=; epochs=30; quick=(); trials=(--trials 3 --epochs 10 --result gpu_trial_overhead)
if [ "${DRY:-0}" = 1 ]; then
  runs=$(mktemp -d); dry=--dry-run-cpu; epochs=1; quick=(data.subset=512 device=cpu tta.enabled=false)
  trials=(--trials 2 --epochs 1 --device cpu --result -)
  $py bench/shared.py cpu-has-bf16 || quick+=(train.precision=fp32)   # bf16 without its instructions: slow
fi
source bench/gpu/step.sh
STEP_SINCE=$OUT/session.stamp; touch "$STEP_SINCE"      # each step's new results reach $OUT/results at once

nvidia-smi -L 2>/dev/null
$py -c "import torch, torchvision, timm; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'timm', timm.__version__)"
if [ "${PART:-1}" = 1 ]; then
  step graphs_check 130 $py bench/gpu/graphs_check.py --images 6400 --rounds 3 $dry
  step gpu_report 270 $py bench/gpu/gpu_report.py --deadline 240 $dry
  step pytest_gpu 150 $py -m pytest -q -m gpu -x -rs tests/test_cuda_graphs.py
else
  step trial_overhead 60 $py bench/speed/trial_overhead.py --root "$root" "${trials[@]}"
  step fashion_graphed 150 $py train.py --config configs/fashion_mnist_resnet18.yaml data.root="$root" \
    data.download=false train.progress=false output_dir=$runs name=gpu-r18-small-stem-graphed \
    model.small_stem=true data.augment.hflip=true data.augment.random_crop=true data.augment.crop_padding=2 \
    data.augment.random_erasing=true train.batch_size=256 optimizer.lr=0.1 train.epochs=$epochs \
    'scheduler={name: cosine, warmup_epochs: 2}' train.early_stopping=null train.precision=bf16 \
    train.channels_last=true "${quick[@]}"
  step graphs_compile 140 $py bench/gpu/graphs_check.py --images 6400 --rounds 2 --compile $dry
fi
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv 2>/dev/null
tar czf "$OUT/results.tgz" --exclude='*.pt' bench/results "$runs" "$OUT"/*.log 2>/dev/null
echo "== $(date +%T) done"
