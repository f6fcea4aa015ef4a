"""Exports of real Fashion-MNIST runs, checked over the whole test split: every format against atnn-eval.

Trains (unless already there) the README's MLP (configs/fashion_mnist_mlp.yaml, all 60,000 images) and a resnet18
(configs/fashion_mnist_resnet18.yaml on the first 10,000 training images, 2 epochs: agreement, not accuracy, is
measured here) under runs/bench-export/, exports each with `atnn-export` to every format it allows, then:

1. runs each exported file, loaded as a user loads it, on the 10,000 test images and compares its probabilities
   with `Predictor`'s (what `atnn-eval` computes): the images whose top class differs, the largest difference;
2. writes the test images as PNG files and runs `atnn-predict --json` on them through the run folder and through
   the export folder (onnxruntime, no torch): the images whose top class differs, the largest difference.

    python bench/accuracy/export_fashion.py [--data-root /usr/share/datasets/fashion-mnist]

Writes bench/results/export_fashion.json and ends with `export_fashion: <differing images> (goal 0)`.
"""
import argparse, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image
from atnn.data import load_splits
from atnn.export import FILES, FP32_CPU, LOADERS, export_run
from atnn.predict import Predictor
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, REPO, write_result

OUT = REPO/'runs'/'bench-export'
RUNS = {'mlp': ['--config', 'configs/fashion_mnist_mlp.yaml'],
        'resnet18': ['--config', 'configs/fashion_mnist_resnet18.yaml', 'data.subset=10000', 'train.epochs=2',
                     'tta.enabled=false']}


def trained(name: str, root: str) -> Path:
    "The finished run `name` under runs/bench-export (trained now if it is not there)."
    run = OUT/name
    if not (run/'summary.json').is_file():
        shutil.rmtree(run, ignore_errors=True)
        subprocess.run([sys.executable, 'train.py', *RUNS[name], f'data.root={root}', f'output_dir={OUT}',
                        f'name={name}', 'train.progress=false'], cwd=REPO, check=True)
    return run


def agreement(probs: np.ndarray, expected: np.ndarray) -> dict:
    "How far `probs` are from `expected`: images with another top class, largest probability difference."
    return dict(other_class=int((probs.argmax(1) != expected.argmax(1)).sum()),
                max_prob_diff=float(np.abs(probs - expected).max()))


def formats_against_eval(export, pred: Predictor, images) -> dict:
    "Each exported file over all of `images` (a uint8 tensor) against `Predictor`'s probabilities."
    expected, x = pred.probs(images).numpy(), images.numpy()
    out = {}
    for fmt, path in export.files.items():
        run = LOADERS[fmt](path)
        probs = np.concatenate([run(x[i:i + 500]) for i in range(0, len(x), 500)])
        size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob('*')) if p.is_file())
        out[fmt] = dict(file=FILES[fmt], bytes=size, **agreement(probs, expected))
    return out


def predict_json(folder: Path, pngs: Path) -> tuple[dict, float]:
    "`atnn-predict FOLDER PNGS --json --topk 1`: {file name: (class index, probability)}, and its seconds."
    t0 = time.perf_counter()
    r = subprocess.run([shutil.which('atnn-predict'), str(folder), str(pngs), '--json', '--topk', '1'],
                       capture_output=True, text=True, check=True)
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    return {Path(l['path']).name: (l['top'][0]['index'], l['top'][0]['prob']) for l in lines}, time.perf_counter() - t0


def predict_through_both(run: Path, export_folder: Path, x: np.ndarray) -> dict:
    "`atnn-predict` on `x` written as PNG files, through the run folder and through the export folder."
    with tempfile.TemporaryDirectory() as tmp:
        for i, img in enumerate(x): Image.fromarray(img[0]).save(f'{tmp}/{i:05d}.png')
        by_run, run_seconds = predict_json(run, Path(tmp))
        by_export, export_seconds = predict_json(export_folder, Path(tmp))
    assert by_run.keys() == by_export.keys()
    return dict(images=len(by_run), other_class=sum(by_run[k][0] != by_export[k][0] for k in by_run),
                max_prob_diff=max(abs(by_run[k][1] - by_export[k][1]) for k in by_run),
                run_folder_seconds=run_seconds, export_folder_seconds=export_seconds)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    args = p.parse_args()
    rows = []
    for name in RUNS:
        run = trained(name, args.data_root)
        shutil.rmtree(OUT/f'{name}-export', ignore_errors=True)
        export = export_run(run, out=OUT/f'{name}-export')
        pred = Predictor.from_run(run, 'best', FP32_CPU)
        images = pred.to_input(load_splits(pred.cfg.data, pred.cfg.seed).val_x)      # val_split test: 10,000
        rows.append(dict(run=name, images=len(images), formats=formats_against_eval(export, pred, images),
                         predict_png=predict_through_both(run, export.folder, images.numpy())))
        print(json.dumps(rows[-1]))
    write_result('export_fashion', dict(name='export_fashion', data_root=args.data_root, rows=rows))
    differing = sum(f['other_class'] for r in rows for f in r['formats'].values()) + sum(
        r['predict_png']['other_class'] for r in rows)
    print(f"export_fashion: {differing} images with another class (goal 0)")


if __name__ == '__main__': main()
