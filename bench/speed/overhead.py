"""Training overhead: one atnn training epoch against a bare PyTorch loop over the same pre-made tensors.

Same model, same optimizer, same batch size, same data. The bare loop indexes a pre-normalized float tensor
and does forward, loss, backward, step, nothing else. atnn's epoch is `Learner.one_epoch(train=True)` with
its DeviceLoader (uint8 -> float, normalization), loss/accuracy bookkeeping and the non-finite-loss check.
The two alternate (AB BA AB ...) and each takes its fastest epoch, to damp the noise of a shared machine.

    python bench/speed/overhead.py [--repeats 4]

Writes bench/results/overhead.json and ends with `overhead: <worst ratio>x (goal 1.10x)`.
"""
import sys, argparse, time
from pathlib import Path
import torch
import torch.nn.functional as F
from atnn.config import Config
from atnn.fakes import fake_images
from atnn.learner import Learner
from atnn.loader import DeviceLoader
from atnn.models import create_model
from atnn.optim import create_optimizer
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import write_result

GOAL = 1.10
CASES = {'mlp': dict(n=60000, batch_size=128), 'resnet18': dict(n=4000, batch_size=128)}


def bare_epoch(model, opt, x, y, bs, g):
    model.train()
    order = torch.randperm(len(x), generator=g)
    for i in range(0, len(x), bs):
        idx = order[i:i + bs]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=4)
    args = p.parse_args()
    results = {}
    for name, case in CASES.items():
        cfg = Config.from_dict({'model': {'name': name}, 'optimizer': {'name': 'sgd', 'lr': 0.01}})
        x8, y = fake_images(case['n'], (1, 28, 28), 10)
        mean, std = (0.2860,), (0.3530,)
        x = (x8.float() / 255 - mean[0]) / std[0]
        torch.manual_seed(0)
        model = create_model(cfg.model, 1, 10, 28)
        opt = create_optimizer(cfg.optimizer, model)
        dl = DeviceLoader(x8, y, case['batch_size'], mean, std, shuffle=True)
        learn = Learner(model, dl, None, opt)
        g = torch.Generator().manual_seed(0)
        times = {'bare': [], 'atnn': []}
        bare_epoch(model, opt, x[:1024], y[:1024], case['batch_size'], g)        # warm-up
        runs = {'bare': lambda: bare_epoch(model, opt, x, y, case['batch_size'], g),
                'atnn': lambda: learn.one_epoch(train=True)}
        for r in range(args.repeats):
            for which in (('bare', 'atnn') if r % 2 == 0 else ('atnn', 'bare')):     # ABBA: no side always goes first
                t0 = time.perf_counter(); runs[which](); times[which].append(time.perf_counter() - t0)
        ratio = min(times['atnn']) / min(times['bare'])
        results[name] = dict(images=case['n'], batch_size=case['batch_size'], bare_seconds=min(times['bare']),
                             atnn_seconds=min(times['atnn']), ratio=ratio, all_seconds=times)
        print(f"{name:9s} bare {min(times['bare']):6.2f} s  atnn {min(times['atnn']):6.2f} s  ratio {ratio:.3f}x")
    worst = max(r['ratio'] for r in results.values())
    out = dict(name='overhead', goal=GOAL, worst_ratio=worst, cases=results, threads=torch.get_num_threads())
    write_result('overhead', out)
    print(f"overhead: {worst:.2f}x (goal {GOAL:.2f}x)")


if __name__ == '__main__': main()
