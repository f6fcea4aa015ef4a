"""The report experiment end to end on a GPU, on CIFAR-100-shaped synthetic data: configs/current_config.yaml as is.

CIFAR-100 can't be downloaded here, so this writes 50,000 training and 10,000 test images (32x32x3 uint8, 100
classes) as CIFAR-100 pickles: each class a smooth pattern (4x4 random colours, upsampled) plus strong noise, so
that a model learns it gradually and flips and crops don't erase it. Then `python train.py` runs with every
setting of the report (batch-size schedule, StepLR, early stopping, 18-view TTA at the end); only the data root
changes. The wall time from the command's start to its summary goes into bench/results/gpu_report.json
(`total_seconds`, epochs run, the device's name), beside the run's own summary.

With --deadline S the run is interrupted after S seconds (Ctrl-C: it checkpoints and stops) and the total is
estimated from the epochs it measured: each batch-size phase at its measured epoch time (a phase not reached at
the slowest measured one, an upper bound: larger batches train faster), plus the start-up seen.

    python bench/gpu/gpu_report.py [--deadline 480] [--noise 150] [--dry-run-cpu]
"""
import argparse, json, pickle, signal, subprocess, sys, tempfile, time
from pathlib import Path
import torch
import torch.nn.functional as F
from atnn.config import load_config
from atnn.formats import CIFAR_FOLDERS
from atnn.schedule import batch_size_table
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, read_metrics, write_result

CONFIG = REPO/'configs'/'current_config.yaml'


def write_learnable_cifar100(root: Path, n_train: int, n_test: int, noise: float, seed=0) -> Path:
    "CIFAR-100 pickles under `root` (torchvision's layout) of smooth class patterns plus Gaussian `noise`."
    g = torch.Generator().manual_seed(seed)
    patterns = F.interpolate(torch.rand(100, 3, 4, 4, generator=g) * 255, size=32, mode='bilinear')
    folder = root/CIFAR_FOLDERS['cifar100']
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (('train', n_train), ('test', n_test)):
        y = torch.arange(n) % 100
        y = y[torch.randperm(n, generator=g)]
        x = (patterns[y] + noise * torch.randn(n, 3, 32, 32, generator=g)).clamp(0, 255).to(torch.uint8)
        data = {'data': x.reshape(n, -1).numpy(), 'fine_labels': y.tolist(), 'coarse_labels': (y // 5).tolist(),
                'filenames': [f'{i}.png' for i in range(n)]}
        (folder/split).write_bytes(pickle.dumps(data, protocol=2))
    return folder


def estimate_total(metrics: list[dict], startup: float, cfg) -> float:
    "Seconds the whole run would take: each phase at its measured epoch time, unreached phases at the slowest one."
    measured = {}
    for m in metrics: measured.setdefault(m['batch_size'], []).append(m['epoch_seconds'])
    slowest = max(s for times in measured.values() for s in times)
    total = startup
    for first, last, bs in batch_size_table(cfg.train.batch_size, cfg.train.batch_size_schedule, cfg.train.epochs):
        times = measured.get(bs, [])
        per_epoch = sorted(times)[len(times) // 2] if times else slowest
        total += per_epoch * (last - first + 1)
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--deadline', type=float, default=None, help="interrupt after this many seconds and estimate")
    p.add_argument('--noise', type=float, default=150.0)
    p.add_argument('--dry-run-cpu', action='store_true', help="check the script on the CPU: tiny data, 2 epochs")
    args = p.parse_args()
    if not args.dry_run_cpu and not torch.cuda.is_available():
        raise SystemExit("gpu_report needs a CUDA GPU (--dry-run-cpu checks the script)")
    n_train, n_test = (600, 200) if args.dry_run_cpu else (50_000, 10_000)
    work = Path(tempfile.mkdtemp(prefix='atnn-report-'))
    write_learnable_cifar100(work/'data', n_train, n_test, args.noise)
    quick = ['train.epochs=2', 'device=cpu', 'train.batch_size_schedule.start_epoch=1',
             'train.batch_size_schedule.end_epoch=2', 'train.batch_size_schedule.every=1'] if args.dry_run_cpu else []
    overrides = [f'data.root={work/"data"}', 'data.download=false', 'train.progress=false',
                 f'output_dir={work/"runs"}', *quick]
    cfg = load_config(CONFIG, overrides)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() and not args.dry_run_cpu else 'CPU (dry run)'
    print(f"{device}, torch {torch.__version__}; {n_train:,} + {n_test:,} images in {work}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(REPO/'train.py'), '--config', str(CONFIG), *overrides], cwd=REPO)
    try: proc.wait(timeout=args.deadline)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT); proc.wait()
    wall = time.perf_counter() - t0
    run_dir = work/'runs'/cfg.name
    metrics = read_metrics(run_dir) if (run_dir/'metrics.jsonl').exists() else []
    summary_file = run_dir/'summary.json'
    finished = proc.returncode == 0 and summary_file.exists()
    out = dict(device=device, torch=torch.__version__, config=str(CONFIG.relative_to(REPO)), noise=args.noise,
               train_images=n_train, val_images=n_test, finished=finished, exit_status=proc.returncode,
               total_seconds=wall if finished else None, wall_seconds=wall, epochs_run=len(metrics),
               summary=json.loads(summary_file.read_text()) if finished else None,
               epochs=[{k: m[k] for k in ('epoch', 'batch_size', 'lr', 'epoch_seconds', 'val_acc')} for m in metrics])
    if metrics:
        startup = wall - sum(m['epoch_seconds'] for m in metrics) if not finished else None
        out['estimated_total_seconds'] = wall if finished else estimate_total(metrics, startup, cfg)
    if not args.dry_run_cpu: write_result('gpu_report', out)
    total = out.get('estimated_total_seconds')
    how = 'measured' if finished else 'estimated from the epochs run (final TTA not included)'
    print(f"gpu_report: {total / 60 if total else float('nan'):.1f} minutes, {how}; {len(metrics)} epochs run "
          f"(goal 5 minutes)")


if __name__ == '__main__': main()
