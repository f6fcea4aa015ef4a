#!/usr/bin/env bash
# Everything atnn checks on a lent GPU, as one prepared command (about 7 minutes on an H200), in order of value,
# each step under its own time limit so that one stuck step cannot take the others' results with it:
#   1. bench/gpu/gpu_check.py: precision, channels_last, torch.compile, memory (report model, synthetic data)
#   2. bench/gpu/gpu_paths.py: the loader's GPU-resident and pinned-host paths agree bit for bit; TTA on GPU = CPU
#   3. at once (the GPU has room; their epoch times are therefore not clean speed figures):
#      - resnet18 (small stem, flip/crop/erasing, cosine, bf16 + channels_last) on real Fashion-MNIST, 30 epochs, TTA
#      - bench/accuracy/lr_find_fashion.py --setups resnet18 (the row a CPU session could not afford)
#      - torchrun with NCCL (one process: an H200 machine has one GPU, and NCCL refuses two ranks on one device)
# Logs and results go to $OUT (results.tgz: bench/results and the run folders without checkpoints).
#   OUT=/tmp/out bash bench/gpu/gpu_session.sh [fashion-mnist root, default data/fashion-mnist]
# With DRY=1 it checks itself on the CPU in a minute (tiny data, 1 epoch, the GPU-only steps in their CPU modes).
set -u
cd "$(dirname "$0")/../.."
root=${1:-data/fashion-mnist}
OUT=${OUT:-/tmp/gpu_session}; mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
source bench/gpu/carried.sh                            # fastcore and optuna's wheels, from .whl/
py=python3
runs=runs; quick=(); gpu=; epochs=30; backend=nccl
if [ "${DRY:-0}" = 1 ]; then runs=$(mktemp -d); quick=(data.subset=512); gpu=--dry-run-cpu; epochs=1; backend=gloo; fi
common=(data.root="$root" data.download=false train.progress=false output_dir=$runs)

source bench/gpu/step.sh

nvidia-smi -L 2>/dev/null
$py -c "import torch, torchvision, timm; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'timm', timm.__version__)"
step gpu_check 150 $py bench/gpu/gpu_check.py --images 6400 $gpu
step gpu_paths 45 $py bench/gpu/gpu_paths.py $gpu
step converge 240 $py train.py --config configs/fashion_mnist_resnet18.yaml "${common[@]}" name=gpu-r18-small-stem \
  model.small_stem=true data.augment.hflip=true data.augment.random_crop=true data.augment.crop_padding=2 \
  data.augment.random_erasing=true train.batch_size=256 optimizer.lr=0.1 train.epochs=$epochs \
  'scheduler={name: cosine, warmup_epochs: 2}' train.early_stopping=null train.precision=bf16 \
  train.channels_last=true "${quick[@]}" &
if [ "${DRY:-0}" = 1 ]; then wait; step lr_find 20 $py bench/accuracy/lr_find_fashion.py --help   # hours on a CPU
else step lr_find 240 $py bench/accuracy/lr_find_fashion.py --setups resnet18 --root "$root" & fi
step torchrun 120 $py -m torch.distributed.run --standalone --nproc_per_node 1 train.py \
  --config configs/fashion_mnist_mlp.yaml "${common[@]}" name=gpu-torchrun-$backend distributed.backend=$backend \
  train.epochs=$((epochs < 3 ? epochs : 3)) "${quick[@]}" &
wait
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv 2>/dev/null
tar czf "$OUT/results.tgz" --exclude='*.pt' bench/results "$runs" "$OUT"/*.log 2>/dev/null
echo "== $(date +%T) done"
