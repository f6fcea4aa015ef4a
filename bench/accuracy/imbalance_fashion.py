"""Imbalanced Fashion-MNIST: three classes cut to a tenth of their training images, trained plainly, with
`train.class_weights: balanced` and with `data.sampler: balanced`; recall of the cut classes on the test split.

The cut classes (T-shirt/top, Pullover, Shirt: the ones most confused with others) keep the first tenth of
their training images (a fixed rule: nothing is chosen on the test split, which stays whole: 1,000 images per
class). The MLP of configs/fashion_mnist_mlp.yaml (10 epochs) and the resnet18 of
configs/fashion_mnist_resnet18.yaml (--resnet-epochs, default 2, on the CPU), each in the three variants, same seed.

    python bench/accuracy/imbalance_fashion.py [--data-root /usr/share/datasets/fashion-mnist] [--resnet-epochs 2]

Writes bench/results/imbalance_fashion.json and ends with `imbalance_fashion: <best / plain mean recall of the
cut classes>x` (for the MLP).
"""
import argparse, dataclasses, shutil, sys
from pathlib import Path
import torch
from atnn.config import load_config
from atnn.data import load_splits
from atnn.evaluate import Predictor
from atnn.run import train
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, REPO, write_result

CUT, KEEP = (0, 2, 6), 0.1
VARIANTS = {'plain': [], 'class_weights': ['train.class_weights=balanced'], 'sampler': ['data.sampler=balanced']}
CONFIGS = {'mlp': 'configs/fashion_mnist_mlp.yaml', 'resnet18': 'configs/fashion_mnist_resnet18.yaml'}


def cut(splits):
    "`splits` with each class of `CUT` keeping the first `KEEP` of its training images."
    y, keep = splits.train_y, torch.ones(len(splits.train_y), dtype=torch.bool)
    for c in CUT:
        idx = (y == c).nonzero().flatten()
        keep[idx[int(len(idx) * KEEP):]] = False
    return dataclasses.replace(splits, train_x=splits.train_x[keep], train_y=y[keep])


def run(model: str, variant: str, root: str, epochs: int | None) -> dict:
    "Train one variant on the cut training split; its test accuracy and per-class recall."
    out = REPO/'runs'/'bench-imbalance'
    shutil.rmtree(out/f'{model}-{variant}', ignore_errors=True)
    overrides = [f'data.root={root}', f'output_dir={out}', f'name={model}-{variant}', 'train.progress=false',
                 'tta.enabled=false', *VARIANTS[variant], *([f'train.epochs={epochs}'] if epochs else [])]
    cfg = load_config(REPO/CONFIGS[model], overrides)
    summary = train(cfg, splits=cut(load_splits(cfg.data, cfg.seed)), print_fn=lambda *a: None)
    report = Predictor.from_run(summary['run_dir'], 'last').evaluate('val', tta=False)   # val_split test: 10,000
    recall = {c['class']: c['recall'] for c in report['per_class']}
    cut_names = [report['classes'][c] for c in CUT]
    return dict(model=model, variant=variant, epochs=summary['epochs_run'], accuracy=report['accuracy'],
                cut_recall={n: recall[n] for n in cut_names}, mean_cut_recall=sum(recall[n] for n in cut_names) / 3,
                other_recall=sum(v for k, v in recall.items() if k not in cut_names) / 7,
                seconds=summary['total_seconds'])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--resnet-epochs', type=int, default=2)
    args = p.parse_args()
    rows = []
    for model, epochs in (('mlp', None), ('resnet18', args.resnet_epochs)):
        for variant in VARIANTS:
            rows.append(run(model, variant, args.data_root, epochs))
            r = rows[-1]
            print(f"{model} {variant}: accuracy {r['accuracy']:.4f}, cut classes' recall {r['mean_cut_recall']:.4f}, "
                  f"others' {r['other_recall']:.4f}", flush=True)
    write_result('imbalance_fashion', dict(name='imbalance_fashion', cut_classes=CUT, keep=KEEP, rows=rows))
    mlp = {r['variant']: r['mean_cut_recall'] for r in rows if r['model'] == 'mlp'}
    print(f"imbalance_fashion: {max(mlp['class_weights'], mlp['sampler']) / mlp['plain']:.2f}x")


if __name__ == '__main__': main()
