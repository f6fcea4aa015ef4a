#!/usr/bin/env bash
# resnet18 on real Fashion-MNIST (first 10,000 training images, the 10,000 test images for validation, 4 epochs):
# one run per optimizer at its default settings, the small-input stem against timm's ImageNet stem, and one run
# with flip and crop augmentation, then the TTA benchmark on it. A run already finished is not run again.
# Writes runs under runs/bench-r18/ and the table to bench/results/resnet18_fashion.md.
#   bash bench/accuracy/resnet18_fashion.sh [data root, default /usr/share/datasets/fashion-mnist]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=${1:-/usr/share/datasets/fashion-mnist}
out=runs/bench-r18
run() {  # run NAME OVERRIDES...: skipped if runs/bench-r18/NAME already has its 4 epochs
  local name=$1; shift
  if [ -f "$out/$name/metrics.jsonl" ] && [ "$(wc -l < "$out/$name/metrics.jsonl")" -ge 4 ]; then return; fi
  rm -rf "$out/$name"
  python train.py --config configs/fashion_mnist_resnet18.yaml data.root="$root" data.subset=10000 \
    output_dir=$out train.progress=false name="$name" "$@"
}
defaults="optimizer.lr=null optimizer.momentum=null optimizer.nesterov=null"   # each optimizer's own defaults
run sgd            optimizer.name=sgd
run adam           optimizer.name=adam  $defaults
run adamw          optimizer.name=adamw $defaults
run muon           optimizer.name=muon  $defaults
run sam-sgd        optimizer.name=sam   optimizer.base=sgd
run sgd-small-stem optimizer.name=sgd   model.small_stem=true tta.enabled=false   # 18-view TTA at 16x cost: skipped
run sgd-flip-crop  optimizer.name=sgd   data.augment.hflip=true data.augment.random_crop=true data.augment.crop_padding=2 \
                   tta.enabled=false                                               # bench/speed/tta.py measures it
python bench/tabulate_runs.py $out/sgd $out/adam $out/adamw $out/muon $out/sam-sgd $out/sgd-small-stem $out/sgd-flip-crop \
  | tee bench/results/resnet18_fashion.md
python bench/speed/tta.py $out/sgd-flip-crop --data-root "$root"
