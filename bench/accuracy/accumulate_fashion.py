"""Gradient accumulation on real Fashion-MNIST: batch 512 in one step against 4 x 128 accumulated.

The resnet18 of configs/fashion_mnist_resnet18.yaml (timm's stem, so BatchNorm: its statistics come from
micro-batches of 128 when accumulating) on the first 10,000 training images, --epochs epochs (default 3), each run
in a fresh process so that its peak memory is its own: validation accuracy on the 10,000 test images and the peak
memory of training (`train_mem_mb`: the process's peak RSS on the CPU, the peak allocation on CUDA).

    python bench/accuracy/accumulate_fashion.py [--data-root /usr/share/datasets/fashion-mnist] [--epochs 3]

Writes bench/results/accumulate_fashion.json and ends with `accumulate_fashion: <peak memory, one step / accumulated>x`.
"""
import argparse, json, shutil, subprocess, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, REPO, read_metrics, write_result

RUNS = {'one step of 512': ['train.batch_size=512'],
        '4 x 128 accumulated': ['train.batch_size=512', 'train.accumulate=4']}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--epochs', type=int, default=3)
    args = p.parse_args()
    out, rows = REPO/'runs'/'bench-accumulate', []
    for i, (name, overrides) in enumerate(RUNS.items()):
        shutil.rmtree(out/f'run{i}', ignore_errors=True)
        subprocess.run([sys.executable, 'train.py', '--config', 'configs/fashion_mnist_resnet18.yaml', f'name=run{i}',
                        f'data.root={args.data_root}', 'data.subset=10000', f'train.epochs={args.epochs}',
                        'tta.enabled=false', 'train.progress=false', f'output_dir={out}',
                        *overrides], cwd=REPO, check=True)
        m = read_metrics(out/f'run{i}')
        rows.append(dict(run=name, overrides=overrides, val_acc=[e['val_acc'] for e in m],
                         peak_train_mem_mb=max(e['train_mem_mb'] for e in m),
                         epoch_seconds=min(e['epoch_seconds'] for e in m)))
        print(json.dumps(rows[-1]), flush=True)
    ratio = rows[0]['peak_train_mem_mb'] / rows[1]['peak_train_mem_mb']
    write_result('accumulate_fashion', dict(name='accumulate_fashion', epochs=args.epochs, rows=rows,
                                            memory_ratio=ratio))
    print(f"accumulate_fashion: {ratio:.2f}x")


if __name__ == '__main__': main()
