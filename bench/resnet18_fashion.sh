#!/usr/bin/env bash
# resnet18 on real Fashion-MNIST (first 10,000 training images, the 10,000 test images for validation, 4 epochs):
# one run per optimizer at its default settings, the small-input stem against timm's ImageNet stem, and one run
# with flip and crop augmentation, then the TTA benchmark on it.
# Writes runs under runs/bench-r18/ and the table to bench/results/resnet18_fashion.md.
#   bash bench/resnet18_fashion.sh [data root, default /usr/share/datasets/fashion-mnist]
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/usr/share/datasets/fashion-mnist}
out=runs/bench-r18
run() { python train.py --config configs/fashion_mnist_resnet18.yaml data.root="$root" data.subset=10000 \
          output_dir=$out train.progress=false "$@"; }
sgd_keys="optimizer.momentum=null optimizer.nesterov=null"    # let each optimizer take its own defaults
run name=sgd        optimizer.name=sgd
run name=adam       optimizer.name=adam  optimizer.lr=null $sgd_keys
run name=adamw      optimizer.name=adamw optimizer.lr=null $sgd_keys
run name=muon       optimizer.name=muon  optimizer.lr=null $sgd_keys
run name=sam-sgd    optimizer.name=sam   optimizer.base=sgd
run name=sgd-small-stem optimizer.name=sgd model.small_stem=true
run name=sgd-flip-crop optimizer.name=sgd data.augment.hflip=true data.augment.random_crop=true data.augment.crop_padding=2
python bench/tabulate_runs.py $out/sgd $out/adam $out/adamw $out/muon $out/sam-sgd $out/sgd-small-stem $out/sgd-flip-crop \
  | tee bench/results/resnet18_fashion.md
python bench/tta.py $out/sgd-flip-crop --data-root "$root"
python bench/tta.py $out/sgd --data-root "$root" | tail -1
