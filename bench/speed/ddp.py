"""Two processes x one thread (torchrun, Gloo) against one process x two threads: the same run, side by side.

Real Fashion-MNIST (Debian's dataset-fashion-mnist), the Fashion-MNIST MLP config without dropout (so that the
two runs must agree: same global batch, same data order, gradients averaged exactly), and resnet18 on the
first 10,000 images for 2 epochs (BatchNorm statistics are per process under DDP, so its metrics only come close).
Each case runs the two ways back to back; wall time is the whole command, start-up included.

    python bench/speed/ddp.py [--data-root /usr/share/datasets/fashion-mnist] [--cases mlp resnet18]

Writes bench/results/ddp.json and ends with `ddp: <ratio>x (goal 1.00x)`: the worst ratio of one-process time
over two-process time (above 1: two processes were faster).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, FASHION_ROOT, write_result

GOAL = 1.0
CASES = {
    'mlp': ['--config', 'configs/fashion_mnist_mlp.yaml', 'model.dropout=0'],
    'resnet18': ['--config', 'configs/fashion_mnist_resnet18.yaml', 'data.subset=10000', 'train.epochs=2',
                 'tta.enabled=false'],
}


def run(cmd, env, tmp, name) -> tuple[float, dict, list]:
    t0 = time.perf_counter()
    r = subprocess.run([*cmd, f'output_dir={tmp}', f'name={name}', 'train.progress=false'], cwd=REPO, env=env,
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode: sys.exit(f"{name} failed:\n{r.stderr[-3000:]}")
    run_dir = Path(tmp)/name
    metrics = [json.loads(l) for l in (run_dir/'metrics.jsonl').read_text().splitlines()]
    return seconds, json.loads((run_dir/'summary.json').read_text()), metrics


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--cases', nargs='+', default=list(CASES), choices=list(CASES))
    args = p.parse_args()
    base = {k: v for k, v in os.environ.items() if k not in ('OMP_NUM_THREADS', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK')}
    one_env = {**base, 'OMP_NUM_THREADS': '2'}
    two_env = {**base, 'OMP_NUM_THREADS': '1'}
    out = dict(name='ddp', goal=GOAL, cases={})
    with tempfile.TemporaryDirectory() as tmp:
        common = [f'data.root={args.data_root}', f'data.cache_dir={tmp}/cache']
        subprocess.run([sys.executable, 'train.py', *CASES['mlp'], *common, f'output_dir={tmp}', 'name=warm-cache',
                        'train.epochs=1', 'tta.enabled=false', 'train.progress=false'], cwd=REPO, env=one_env,
                       capture_output=True, check=True)            # decode the data once, outside the clocks
        for case in args.cases:
            cfg = [*CASES[case], *common]
            one = run([sys.executable, 'train.py', *cfg], one_env, tmp, f'{case}-1x2')
            torchrun = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2']
            two = run([*torchrun, 'train.py', *cfg], two_env, tmp, f'{case}-2x1')
            pairs = list(zip(one[2], two[2]))
            row = dict(one_process_seconds=one[0], two_processes_seconds=two[0], ratio=one[0] / two[0],
                       one_process_epoch_seconds=sum(m['epoch_seconds'] for m in one[2]),
                       two_processes_epoch_seconds=sum(m['epoch_seconds'] for m in two[2]),
                       one_process_val_acc=one[1]['final_val_acc'], two_processes_val_acc=two[1]['final_val_acc'],
                       max_abs_diff_val_loss=max(abs(a['val_loss'] - b['val_loss']) for a, b in pairs),
                       max_abs_diff_train_loss=max(abs(a['train_loss'] - b['train_loss']) for a, b in pairs))
            out['cases'][case] = row
            print(f"{case:9} 1 process x 2 threads {one[0]:7.1f} s (epochs {row['one_process_epoch_seconds']:.1f} s) "
                  f"val acc {row['one_process_val_acc']:.4f} | 2 processes x 1 thread {two[0]:7.1f} s "
                  f"(epochs {row['two_processes_epoch_seconds']:.1f} s) val acc {row['two_processes_val_acc']:.4f} | "
                  f"ratio {row['ratio']:.2f}x, max |train loss diff| {row['max_abs_diff_train_loss']:.2g}, "
                  f"max |val loss diff| {row['max_abs_diff_val_loss']:.2g}")
    write_result('ddp', out)
    worst = min(r['ratio'] for r in out['cases'].values())
    print(f"ddp: {worst:.2f}x (goal {GOAL:.2f}x)")


if __name__ == '__main__':
    main()
