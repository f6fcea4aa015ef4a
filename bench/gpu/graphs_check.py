"""Eager against CUDA-graphed training steps on the GPU: the report's model at the report's batch sizes.

resnest26d at 32 px, 100 classes, the report's optimizer (SGD, Nesterov momentum 0.99) and augmentation (flip,
crop, erasing), through atnn's own Learner and DeviceLoader on synthetic CIFAR-100-shaped data held on the GPU;
batch 64 and 128, fp32 (TF32) and bf16. For each pair the eager and the graphed learner alternate timed epochs
(ABAB, best of --rounds) after a warm-up epoch each (cuDNN's autotuning; for the graph its 3 eager steps and the
capture). Then the report's 18-view TTA over the same images at batch 500, eager and graphed (captures included,
both accuracies compared). With --compile, torch.compile (default and reduce-overhead modes) is timed the same way,
with its compile time, so that the JSON says which wins over a run of 80 epochs of 50,000 images.

    python bench/gpu/graphs_check.py [--images 6400] [--rounds 3] [--compile] [--dry-run-cpu]

Writes bench/results/gpu_graphs.json (with --compile: gpu_graphs_compile.json); ends
`gpu_graphs: <graphed/eager at batch 64, fp32>x (goal 3x)`.
"""
import argparse, sys, time
from pathlib import Path
import torch
from atnn.augment import Augment
from atnn.callbacks import learner_tta_accuracy
from atnn.config import Config
from atnn.fakes import fake_images
from atnn.graphs import CUDAGraphs, Rehearsal, attach_graphs
from atnn.learner import Learner, compile_warm_up
from atnn.loader import DeviceLoader
from atnn.models import create_model
from atnn.optim import create_optimizer
from atnn.run import compile_model
from atnn.utils import peak_memory_mb, reset_peak_memory, use_fast_cuda_kernels
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import cpu_has_bf16, write_result

MEAN, STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
REPORT = Config.from_dict({'model': {'name': 'resnest26d'}, 'data': {'dataset': 'cifar100', 'augment': {
    'hflip': True, 'random_crop': True, 'random_erasing': True}}, 'optimizer': {
    'name': 'sgd', 'lr': 0.0003, 'weight_decay': 0.005, 'momentum': 0.99, 'nesterov': True}})
RUN_IMAGES, RUN_EPOCHS = 50_000, 80            # the report's run, for the totals


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def build(way: str, precision: str, bs: int, x, y, device) -> Learner:
    "A learner for `way` (eager | graphed | compile:<mode>) at `precision` and batch `bs`, epoch 1 under way."
    torch.manual_seed(0)
    model = create_model(REPORT.model, 3, 100, 32).to(device)
    opt = create_optimizer(REPORT.optimizer, model)
    if way.startswith('compile:'): model = compile_model(model, way.split(':')[1], device)
    augment = Augment(REPORT.data.augment, MEAN, seed=0, device=device)
    train_dl = DeviceLoader(x, y, bs, MEAN, STD, shuffle=True, device=device, augment=augment, keep_on_device=True)
    val_dl = DeviceLoader(x[:500], y[:500], 500, MEAN, STD, device=device, keep_on_device=True)
    learn = Learner(model, train_dl, val_dl, opt, device=device, precision=precision, compiled=way != 'eager')
    if way == 'graphed': attach_graphs(learn, CUDAGraphs(device) if device.type == 'cuda' else Rehearsal())
    learn.epoch = 1
    return learn


def timed_epoch(learn: Learner) -> float:
    "Seconds of one training epoch, the device's queue included."
    sync(learn.device); t0 = time.perf_counter()
    learn.one_epoch(train=True)
    sync(learn.device)
    return time.perf_counter() - t0


def compare(ways, precision: str, bs: int, x, y, device, rounds: int) -> dict:
    "Best images/s of each of `ways` at (`precision`, `bs`), alternating; with warm-up and compile seconds."
    learners, rows = {}, {}
    for way in ways:
        learners[way] = learn = build(way, precision, bs, x, y, device)
        compile_s = compile_warm_up(learn) if way.startswith('compile:') else 0.0
        rows[way] = dict(compile_seconds=compile_s, first_epoch_seconds=timed_epoch(learn), best_seconds=float('inf'))
    reset_peak_memory(device)
    for _ in range(rounds):
        for way, learn in learners.items():
            rows[way]['best_seconds'] = min(rows[way]['best_seconds'], timed_epoch(learn))
    for way, r in rows.items():
        r['images_per_second'] = len(x) / r['best_seconds']
        r['run_seconds'] = r['compile_seconds'] + RUN_EPOCHS * RUN_IMAGES / r['images_per_second']   # 80 epochs
        g = learners[way].train_graphs
        if g is not None: r['graph_counts'] = dict(g.counts)
    rows['peak_train_mem_mb'] = peak_memory_mb(device)
    eager = rows['eager']['images_per_second']
    for way in ways[1:]: rows[f'{way}_vs_eager'] = rows[way]['images_per_second'] / eager
    return rows


def tta_compare(x, y, device, rounds: int) -> dict:
    "Seconds of the report's 18-view TTA over (x, y) at batch 500, eager and graphed: the first call, the best."
    dl = DeviceLoader(x, y, 500, MEAN, STD, device=device, keep_on_device=True)
    learners = {way: build(way, 'fp32', 64, x, y, device) for way in ('eager', 'graphed')}
    def timed(learn):
        sync(device); t0 = time.perf_counter()
        acc = learner_tta_accuracy(learn, dl, REPORT.tta)       # graphs captured per pass shape, freed after
        sync(device)
        return time.perf_counter() - t0, acc
    rows = {way: dict(zip(('first_seconds', 'accuracy'), timed(learn))) for way, learn in learners.items()}
    for _ in range(rounds):
        for way, learn in learners.items():
            rows[way]['best_seconds'] = min(rows[way].get('best_seconds', float('inf')), timed(learn)[0])
    rows['same_accuracy'] = rows['eager']['accuracy'] == rows['graphed']['accuracy']
    rows['graphed_vs_eager'] = rows['eager']['best_seconds'] / rows['graphed']['best_seconds']
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', type=int, default=6400)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--compile', action='store_true', help="also torch.compile's default and reduce-overhead modes")
    p.add_argument('--dry-run-cpu', action='store_true', help="check the script on the CPU (tiny data, stand-ins)")
    args = p.parse_args()
    if args.dry_run_cpu: device, args.images, args.rounds = torch.device('cpu'), 192, 1
    elif not torch.cuda.is_available():
        raise SystemExit("graphs_check needs a CUDA GPU; this machine has none (--dry-run-cpu checks the script)")
    else: device = torch.device('cuda')
    use_fast_cuda_kernels(device)
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU (dry run: stand-in graphs)'
    print(f"{name}, torch {torch.__version__}, cudnn.benchmark={torch.backends.cudnn.benchmark}", flush=True)
    x, y = fake_images(args.images, (3, 32, 32), 100)
    result = 'gpu_graphs_compile' if args.compile else 'gpu_graphs'
    ways = ['eager', 'graphed'] + (['compile:default', 'compile:reduce-overhead'] if args.compile else [])
    out = dict(device=name, torch=torch.__version__, images=args.images, rounds=args.rounds, model='resnest26d',
               img_size=32, results={})
    precisions = ('fp32', 'bf16') if device.type == 'cuda' or cpu_has_bf16() else ('fp32',)
    if len(precisions) == 1: print("note: bf16 left out of the dry run: this CPU has no bf16 instructions", flush=True)
    for precision in precisions:
        for bs in (64, 128):
            r = out['results'][f'{precision}_bs{bs}'] = compare(ways, precision, bs, x, y, device, args.rounds)
            print(f"{precision} batch {bs}: " + ', '.join(
                f"{w} {r[w]['images_per_second']:,.0f} img/s" + (f" (compiled in {r[w]['compile_seconds']:.0f} s)"
                                                                  if r[w]['compile_seconds'] else '') for w in ways)
                  + f"; graphed {r['graphed_vs_eager']:.2f}x eager", flush=True)
            if device.type == 'cuda': write_result(result, out)    # after each: a cut-short run keeps its rows
    if not args.compile:
        t = out['tta_fp32'] = tta_compare(x, y, device, args.rounds)
        print(f"TTA (18 views) of {len(x)} images, fp32: eager {t['eager']['best_seconds']:.2f} s, graphed "
              f"{t['graphed']['best_seconds']:.2f} s ({t['graphed_vs_eager']:.2f}x; same accuracy: "
              f"{t['same_accuracy']})", flush=True)
        if device.type == 'cuda': write_result(result, out)
    ratio = out['results']['fp32_bs64']['graphed_vs_eager']
    print(f"gpu_graphs: {ratio:.2f}x (goal 3x)")


if __name__ == '__main__': main()
