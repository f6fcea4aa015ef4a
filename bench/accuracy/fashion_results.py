"""The README's results on real Fashion-MNIST (all 60,000 training images, the 10,000 test images for validation).

    python bench/accuracy/fashion_results.py [RUN ...] [--data-root /usr/share/datasets/fashion-mnist]

Trains each run with `python train.py` in runs/results-fashion/ (a run already finished is not run again) and
writes bench/results/fashion_results.json, the one source of the README's table. RUN: mlp, resnet18,
resnet18-small-stem (default: the first two). Wall times on an idle 2-core CPU: about 1 minute (mlp), 20 minutes
(resnet18, 12 epochs; 80 minutes on a slower 2-core machine), about an hour (resnet18-small-stem, 2 epochs).
"""
import argparse, json, subprocess, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, FASHION_ROOT, write_result

OUT = 'runs/results-fashion'
COSINE = ['scheduler.name=cosine', 'scheduler.warmup_epochs=1']
FLIP_CROP = ['data.augment.hflip=true', 'data.augment.random_crop=true', 'data.augment.crop_padding=2']
RUNS = {   # name -> config and overrides
    # TTA on only to show what it does to a model that sees pixels, not shapes
    'mlp': ['configs/fashion_mnist_mlp.yaml', 'tta.enabled=true'],
    # timm's ImageNet stem (28 px -> 7 px after the stem), flip + crop, cosine with 1 warm-up epoch
    'resnet18': ['configs/fashion_mnist_resnet18.yaml', 'train.epochs=12', *COSINE, *FLIP_CROP, 'tta.enabled=true'],
    # the small-input stem keeps 28 px through layer1: 16x the compute per image, so only 2 epochs
    'resnet18-small-stem': ['configs/fashion_mnist_resnet18.yaml', 'model.small_stem=true', 'train.epochs=2',
                            'scheduler.step_size=1', *FLIP_CROP, 'tta.enabled=true'],
}


def train(name: str, data_root: str) -> dict:
    "Train run `name` (unless finished) and return its row for the table."
    run = REPO/OUT/name
    config, *overrides = RUNS[name]
    if not (run/'summary.json').is_file():
        subprocess.run(['rm', '-rf', str(run)], check=True)
        subprocess.run([sys.executable, 'train.py', '--config', config, f'data.root={data_root}', f'output_dir={OUT}',
                        'train.progress=false', f'name={name}', *overrides], cwd=REPO, check=True)
    s = json.loads((run/'summary.json').read_text())
    metrics = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
    return dict(run=name, command=' '.join(['python train.py --config', config, *overrides]), epochs=s['epochs_run'],
                final_val_acc=s['final_val_acc'], tta_val_acc=s['tta_val_acc'], total_seconds=s['total_seconds'],
                epoch_seconds=sum(m['epoch_seconds'] for m in metrics) / len(metrics))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('runs', nargs='*', default=['mlp', 'resnet18'], choices=list(RUNS), metavar='RUN')
    args = p.parse_args()
    names = args.runs
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True, text=True).stdout
    out = dict(name='fashion_results', data_root=args.data_root, commit=commit.strip(),
               runs=[train(n, args.data_root) for n in names])
    write_result('fashion_results', out)
    for r in out['runs']: print(f"{r['run']}: {r['final_val_acc']:.2%} (TTA {r['tta_val_acc']:.2%})")


if __name__ == '__main__': main()
