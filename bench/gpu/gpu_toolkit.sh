#!/usr/bin/env bash
# The second GPU session's prepared command (about 7 minutes on an H200): what the accuracy toolkit and the MLP
# sweep need a GPU for, then the compile row of gpu_check. Each step has its own time limit; logs and results go to
# $OUT (results.tgz: bench/results and the run folders without checkpoints).
#   1. at once (the GPU has room; epoch times are therefore not clean speed figures):
#      - resnet18 (ImageNet stem) on real Fashion-MNIST, 15 epochs, cosine, flip + crop: without any tool, with each
#        of label smoothing, mixup/cutmix, EMA, clipping alone, and with all four (runs/tk-*)
#      - resnet18 small stem, the first session's 95.14% recipe (30 epochs), plus label smoothing, EMA and
#        mixup/cutmix (runs/gpu-r18-small-stem-all)
#      - the MLP sweep sweeps/fashion_mnist_mlp.yaml (TPE, 8 workers), its best configuration retrained
#   2. bench/gpu/gpu_check.py on fp32, bf16 + channels_last and bf16 + channels_last + torch.compile
# Needs the wheels of bench/gpu/wheels.sh in .whl/ and Fashion-MNIST in data/fashion-mnist.
#   OUT=/tmp/out bash bench/gpu/gpu_toolkit.sh
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu_toolkit}; mkdir -p "$OUT"
mkdir -p /tmp/bin
for c in train:main sweep:sweep_main; do   # the console scripts, without installing atnn
  printf '#!/bin/sh\nexec python3 -c "import sys; from atnn.cli import %s; sys.exit(%s())" "$@"\n' "${c#*:}" "${c#*:}" \
    > /tmp/bin/atnn-${c%%:*}; chmod +x /tmp/bin/atnn-${c%%:*}
done
export PATH=/tmp/bin:$PATH PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2   # 16 processes, 16 cores
source bench/gpu/carried.sh
root=data/fashion-mnist
source bench/gpu/step.sh
fast=(train.precision=bf16 train.channels_last=true train.progress=false train.early_stopping=null)
r18=(--config configs/fashion_mnist_resnet18.yaml data.root=$root data.download=false "${fast[@]}"
     data.augment.hflip=true data.augment.random_crop=true data.augment.crop_padding=2)
LS=train.label_smoothing=0.1
MIX='train.mixup={mixup_alpha: 0.2, cutmix_alpha: 1.0, prob: 0.5}'
EMA='train.ema={}'
CLIP='train.grad_clip={max: 1.0}'
tk() { local name=$1; shift
  step $name 270 python3 train.py "${r18[@]}" name=$name train.epochs=15 'scheduler={name: cosine, warmup_epochs: 1}' \
    tta.enabled=false "$@" & }
tk tk-none
tk tk-ls "$LS"
tk tk-mix "$MIX"
tk tk-ema "$EMA"
tk tk-clip "$CLIP"
tk tk-all "$LS" "$MIX" "$EMA" "$CLIP"
small() { local name=$1; shift
  step $name 270 python3 train.py "${r18[@]}" name=$name model.small_stem=true data.augment.random_erasing=true \
    train.batch_size=256 optimizer.lr=0.1 train.epochs=30 'scheduler={name: cosine, warmup_epochs: 2}' "$@" & }
small gpu-r18-small-stem-all "$LS" "$EMA" "$MIX"
step sweep 300 python3 bench/accuracy/sweep_compare.py sweeps/fashion_mnist_mlp.yaml --samplers tpe --workers 8 --retrain \
  overrides.data.root=$root overrides.data.download=false &
wait
step gpu_check 150 python3 bench/gpu/gpu_check.py --images 3200 --variants 0 3 4
tar czf "$OUT/results.tgz" --exclude='*.pt' --exclude='*.db-journal' bench/results runs "$OUT"/*.log 2>/dev/null
echo "== $(date +%T) done"
