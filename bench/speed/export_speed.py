"""onnxruntime on the CPU against atnn's eager `Predictor`: one-image latency, throughput at batch 64, start-up.

For the MLP and the resnet18 of bench/accuracy/export_fashion.py (run it first: it trains and exports them
under runs/bench-export/), side by side in one process, alternating (ABAB), the fastest of --repeats rounds:

- latency: one image per call, 50 calls (`Predictor.probs` vs `InferenceSession.run` on the export's model.onnx);
- throughput: 64 images per call, 10 calls;
- start-up: a fresh process that predicts one PNG file, through the run folder (torch, timm, atnn's Predictor)
  or through the export folder (onnxruntime, Pillow, NumPy): seconds to its first prediction and its peak memory.

    python bench/speed/export_speed.py [--repeats 5]

Writes bench/results/export_speed.json and ends with `export_speed: <worst throughput ratio>x (goal 1.0x)`.
"""
import argparse, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from PIL import Image
from atnn.data import load_splits
from atnn.export import FP32_CPU, load_onnx
from atnn.predict import Predictor
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, best_of, write_result

OUT, GOAL = REPO/'runs'/'bench-export', 1.0
CHILD = {'run folder (torch)': "from atnn.predict import Predictor\nm = Predictor.from_run({folder!r})\n"
                               "top = list(m.predict_files([{png!r}], 1))",
         'export folder (onnxruntime)': "from atnn.onnx_predict import ExportedModel, predict_files\n"
                                        "m = ExportedModel({folder!r})\ntop = list(predict_files(m, [{png!r}], 1))"}
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec
REPORT = ("\nimport sys\nhwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
          "print(int(hwm) / 1024, 'torch' in sys.modules)")


def calls(fn, x, n: int):
    "A function that calls `fn(x)` `n` times."
    def run():
        for _ in range(n): fn(x)
    return run


def model_speed(name: str, repeats: int) -> dict:
    "Latency (1 image) and throughput (64 images) of the eager `Predictor` and of onnxruntime, ABAB."
    pred = Predictor.from_run(OUT/name, 'best', FP32_CPU)
    onnx = load_onnx(OUT/f'{name}-export'/'model.onnx')
    x = pred.to_input(load_splits(pred.cfg.data, pred.cfg.seed).val_x[:64])
    one = best_of({'eager': calls(pred.probs, x[:1], 50), 'onnxruntime': calls(onnx, x[:1].numpy(), 50)}, repeats)
    batch = best_of({'eager': calls(pred.probs, x, 10), 'onnxruntime': calls(onnx, x.numpy(), 10)}, repeats)
    return dict(latency_ms={k: v / 50 * 1000 for k, v in one.items()},
                images_per_second={k: 640 / v for k, v in batch.items()},
                latency_ratio=one['eager'] / one['onnxruntime'], throughput_ratio=batch['eager'] / batch['onnxruntime'])


def start_up(name: str, repeats: int) -> dict:
    "Seconds to the first prediction and peak memory (MB) of a fresh process, through each folder, alternating."
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        png = f'{tmp}/0.png'
        Image.new('L', (28, 28), 128).save(png)
        folders = {'run folder (torch)': OUT/name, 'export folder (onnxruntime)': OUT/f'{name}-export'}
        for _ in range(repeats):
            for way, code in CHILD.items():
                t0 = time.perf_counter()
                r = subprocess.run([sys.executable, '-c', code.format(folder=str(folders[way]), png=png) + REPORT],
                                   capture_output=True, text=True, check=True)
                seconds, (mb, torch_loaded) = time.perf_counter() - t0, r.stdout.split()[-2:]
                old = best.get(way, dict(seconds=float('inf')))
                best[way] = dict(seconds=min(seconds, old['seconds']), peak_mb=float(mb), torch=torch_loaded == 'True')
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    cases = {name: dict(**model_speed(name, args.repeats), start_up=start_up(name, 3)) for name in ('mlp', 'resnet18')}
    for name, c in cases.items():
        print(f"{name}: latency {c['latency_ms']['eager']:.2f} vs {c['latency_ms']['onnxruntime']:.2f} ms "
              f"({c['latency_ratio']:.1f}x), batch 64 {c['images_per_second']['eager']:,.0f} vs "
              f"{c['images_per_second']['onnxruntime']:,.0f} images/s ({c['throughput_ratio']:.2f}x)")
        for way, s in c['start_up'].items(): print(f"  start-up, {way}: {s['seconds']:.2f} s, {s['peak_mb']:.0f} MB")
    worst = min(c['throughput_ratio'] for c in cases.values())
    write_result('export_speed', dict(name='export_speed', threads=torch.get_num_threads(), repeats=args.repeats,
                                      cases=cases, worst_throughput_ratio=worst, goal=GOAL))
    print(f"export_speed: {worst:.2f}x (goal {GOAL:.1f}x)")


if __name__ == '__main__': main()
