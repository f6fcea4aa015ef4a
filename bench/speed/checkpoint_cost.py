"""Checkpoints inside epochs: a training epoch with `train.checkpoint_every: {steps: N}` against the same without.

Real Fashion-MNIST and the example configs (configs/fashion_mnist_mlp.yaml on all 60,000 training images,
configs/fashion_mnist_resnet18.yaml on the first 6,000), so each `last.pt` holds the weights, SGD's momentum,
the position in the epoch and every generator. One learner per model; its training epoch alternates
between four setups (ABCD DCBA ...) and each keeps its fastest epoch: no `Checkpoints` callback at all,
`Checkpoints` as every run has it with `checkpoint_every` off (the per-step hook alone), with a save every N
steps (written by a thread, as runs do), and the same saves written in the loop (`background=False`), written where
runs go (`--dir`, default runs/; the cost depends on that disk). Also reported: the milliseconds the training loop
itself waits per save (the snapshot; the file is written by a thread, which on a CPU-only machine still takes
cores from training: that part shows only in the epoch time).

    python bench/speed/checkpoint_cost.py [--data-root /usr/share/datasets/fashion-mnist] [--repeats 5]

Writes bench/results/checkpoint_cost.json and ends with `checkpoint_cost: <worst ratio>x (goal 1.05x)`: epoch time
with a save every N steps over epoch time with checkpoint_every off.
"""
import argparse, shutil, sys, tempfile, time
from pathlib import Path
import torch
from atnn.callbacks import Checkpoints
from atnn.config import CheckpointEveryConfig, load_config
from atnn.run import create_learner
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, REPO, write_result

GOAL = 1.05
CASES = {'mlp': dict(config='fashion_mnist_mlp.yaml', subset=None, every=100),
         'resnet18': dict(config='fashion_mnist_resnet18.yaml', subset=6000, every=10)}


class CountedCheckpoints(Checkpoints):
    "`Checkpoints` that counts its saves and the seconds the training loop waits for them."
    saves, seconds = 0, 0.0
    def save(self, learn, *names, inside_epoch=False):
        t0 = time.perf_counter()
        super().save(learn, *names, inside_epoch=inside_epoch)
        self.saves, self.seconds = self.saves + 1, self.seconds + time.perf_counter() - t0


def case(name: str, c: dict, data_root: str, folder: Path, repeats: int) -> dict:
    cfg = load_config(REPO/'configs'/c['config'], [f'data.root={data_root}', 'data.download=false',
                                                     f'data.subset={c["subset"] or "null"}', 'train.progress=false'])
    learn = create_learner(cfg)
    run_dir = Path(tempfile.mkdtemp(dir=folder))
    (run_dir/'checkpoints').mkdir()
    every = CheckpointEveryConfig(steps=c['every'])
    setups = {'none': [], 'off': [Checkpoints(run_dir)], 'every': [CountedCheckpoints(run_dir, every=every)],
              'in_loop': [CountedCheckpoints(run_dir, every=every, background=False)]}
    best = dict.fromkeys(setups, float('inf'))
    learn.epoch = 1
    for r in range(repeats):
        for setup in list(setups)[::1 if r % 2 == 0 else -1]:     # ABCD DCBA ...: no setup always goes first
            learn.cbs, learn.epoch_t0 = setups[setup], time.perf_counter()
            t0 = time.perf_counter(); learn.one_epoch(train=True)
            best[setup] = min(best[setup], time.perf_counter() - t0)
    counted = setups['every'][0]
    counted.wait()
    saves = counted.saves // repeats
    out = dict(config=c['config'], images=len(learn.train_dl.y), batch_size=learn.train_dl.batch_size,
               steps=len(learn.train_dl), every_steps=c['every'], saves_per_epoch=saves,
               checkpoint_mb=(run_dir/'checkpoints'/'last.pt').stat().st_size / 2**20,
               **{f'{k}_seconds': v for k, v in best.items()},
               ms_per_save=1000 * (best['every'] - best['off']) / saves, ratio=best['every'] / best['off'],
               loop_ms_per_save=1000 * counted.seconds / counted.saves,
               in_loop_ratio=best['in_loop'] / best['off'],
               in_loop_ms_per_save=1000 * setups['in_loop'][0].seconds / setups['in_loop'][0].saves,
               hook_ratio=best['off'] / best['none'])
    shutil.rmtree(run_dir)
    print(f"{name:<9} {out['steps']} steps, a save every {c['every']} ({saves} saves of {out['checkpoint_mb']:.1f} MB):"
          f" epoch {best['off']:.2f} s -> {best['every']:.2f} s ({out['ratio']:.3f}x, {out['ms_per_save']:.0f} ms a"
          f" save, {out['loop_ms_per_save']:.0f} ms of it in the loop; written in the loop {out['in_loop_ratio']:.3f}x,"
          f" {out['in_loop_ms_per_save']:.0f} ms a save); the hook alone {out['hook_ratio']:.3f}x", flush=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--dir', default=str(REPO/'runs'), help="where the checkpoints are written")
    p.add_argument('--repeats', type=int, default=5)
    args = p.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    cases = {name: case(name, c, args.data_root, Path(args.dir), args.repeats) for name, c in CASES.items()}
    worst = max(c['ratio'] for c in cases.values())
    write_result('checkpoint_cost', dict(name='checkpoint_cost', goal=GOAL, worst_ratio=worst, repeats=args.repeats,
                                         threads=torch.get_num_threads(), cases=cases))
    print(f"checkpoint_cost: {worst:.3f}x (goal {GOAL:.2f}x)")


if __name__ == '__main__': main()
