"""Real Fashion-MNIST as PNG class folders against its IDX files: the same runs should reach the same accuracy.

    python bench/accuracy/folder_fashion.py [RUN ...] [--data-root /usr/share/datasets/fashion-mnist]

Writes the 60,000 training images to runs/fashion-png/train/<class>/ and the 10,000 test images to
runs/fashion-png/val/<class>/ as PNG files (once), then trains each RUN (mlp: configs/fashion_mnist_mlp.yaml, 10
epochs; resnet18: configs/fashion_mnist_resnet18.yaml for 1 epoch, to fit a CPU session) twice with
`python train.py`: on the IDX files and on the folder (`data.dataset=folder data.img_size=28
data.channels=1`). The pixels are the same; the order of the images in the training tensor (by class folder,
then file name) and the normalization (computed from the PNGs instead of the published constants) differ, so
the runs agree within noise, not bit for bit. Writes bench/results/folder_fashion.json.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
from PIL import Image
from atnn.config import load_config
from atnn.data import get_dataset, load_split
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, FASHION_ROOT

PNG = REPO/'runs'/'fashion-png'
OUT = 'runs/folder-fashion'
RUNS = {'mlp': ['configs/fashion_mnist_mlp.yaml'],
        'resnet18': ['configs/fashion_mnist_resnet18.yaml', 'train.epochs=1']}


def write_pngs(data_root: str) -> float:
    "The PNG class folders (written once); the seconds it took."
    if (PNG/'done').is_file(): return 0.0
    t0, info = time.perf_counter(), get_dataset('fashion_mnist')
    d = load_config(None, [f'data.root={data_root}']).data
    for split, train in (('train', True), ('val', False)):
        x, y = load_split(info, d, train)
        for i, (img, c) in enumerate(zip(x, y.tolist())):
            path = PNG/split/info.classes[c].replace('/', '-')/f'{i:05d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img[0].numpy()).save(path)
    (PNG/'done').touch()
    return time.perf_counter() - t0


def train(name: str, source: str, data_root: str) -> dict:
    "Train RUN `name` on `source` (idx or folder) with train.py; its figures."
    run = REPO/OUT/f'{name}-{source}'
    data = ([f'data.root={data_root}'] if source == 'idx' else
            ['data.dataset=folder', f'data.root={PNG}', 'data.img_size=28', 'data.channels=1'])
    if not (run/'summary.json').is_file():
        subprocess.run(['rm', '-rf', str(run)], check=True)
        config, *overrides = RUNS[name]
        subprocess.run([sys.executable, 'train.py', '--config', config, *overrides, *data, f'output_dir={OUT}',
                        f'name={name}-{source}', 'train.progress=false'], cwd=REPO, check=True)
    s = json.loads((run/'summary.json').read_text())
    metrics = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
    return dict(run=name, source=source, epochs=s['epochs_run'], final_val_acc=s['final_val_acc'],
                best_val_acc=s['best_val_acc'], total_seconds=s['total_seconds'],
                epoch_seconds=sum(m['epoch_seconds'] for m in metrics) / len(metrics))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('runs', nargs='*', default=['mlp'], choices=list(RUNS), metavar='RUN')
    p.add_argument('--data-root', default=FASHION_ROOT)
    args = p.parse_args()
    png_seconds = write_pngs(args.data_root)
    rows = [train(name, source, args.data_root) for name in args.runs for source in ('idx', 'folder')]
    path = REPO/'bench'/'results'/'folder_fashion.json'
    old = json.loads(path.read_text())['runs'] if path.is_file() else []
    rows = [r for r in old if r['run'] not in args.runs] + rows
    path.write_text(json.dumps(dict(name='folder_fashion', data_root=args.data_root, png_seconds=png_seconds or None,
                                    runs=rows), indent=2) + '\n')
    for r in rows:
        print(f"{r['run']:<9} {r['source']:<7} val acc {r['final_val_acc']:.4f}  {r['epoch_seconds']:.1f} s/epoch  "
              f"{r['total_seconds']:.0f} s in all")


if __name__ == '__main__': main()
