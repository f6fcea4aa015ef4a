"""18-view TTA: accuracy with and without it for a trained model, and its cost against 18 plain evaluations.

Loads a run's checkpoint (default: the resnet18 trained by bench/accuracy/resnet18_fashion.sh), evaluates the validation
set plainly, with TTA, and 18 times plainly, all in one process, and prints the accuracy gain and the time
ratio TTA / (18 plain passes).

    python bench/speed/tta.py [RUN_DIR] [--data-root /usr/share/datasets/fashion-mnist] [--repeats 3]

Writes bench/results/tta.json and ends with `tta: <ratio>x (goal 1.15x)`.
"""
import sys, argparse, time
from pathlib import Path
import torch
from atnn.config import Config
from atnn.data import load_splits
from atnn.loader import DeviceLoader
from atnn.models import create_model
from atnn.tta import tta_accuracy
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, write_result

GOAL = 1.15


@torch.no_grad()
def plain_accuracy(model, dl):
    model.eval()
    correct = sum((model(xb).argmax(-1) == yb).sum().item() for xb, yb in dl)
    return correct / len(dl.y)


def timed(fn, repeats):
    "Best wall time of `repeats` calls (the least disturbed by other work on a shared machine), and the result."
    best, out = float('inf'), None
    for _ in range(repeats):
        t0 = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('run', nargs='?', default='runs/bench-r18/sgd')
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    ck = torch.load(Path(args.run)/'checkpoints'/'best.pt', weights_only=True)
    d = dict(ck['config']); d['data'] = {**d['data'], 'root': args.data_root, 'subset': None}
    d['tta'] = {**d.get('tta', {}), 'enabled': True}
    cfg = Config.from_dict(d)
    torch.set_grad_enabled(False)
    s = load_splits(cfg.data, cfg.seed)
    model = create_model(cfg.model, s.info.channels, s.info.num_classes, s.train_x.shape[-1])
    model.load_state_dict(ck['model'])
    model.eval()
    dl = DeviceLoader(s.val_x, s.val_y, cfg.data.val_batch_size, s.info.mean, s.info.std)
    t_plain, acc = timed(lambda: plain_accuracy(model, dl), args.repeats)
    t_18, _ = timed(lambda: [plain_accuracy(model, dl) for _ in range(18)], 1)
    t_tta, acc_tta = timed(lambda: tta_accuracy(model, dl, cfg.tta), 1)
    ratio = t_tta / t_18
    print(f"model {cfg.model.name} from {args.run} (epoch {ck['epoch']}), {len(dl.y)} validation images")
    print(f"{'evaluation':<28} {'val acc':>8} {'seconds':>9}")
    print(f"{'plain (1 view)':<28} {acc:>8.2%} {t_plain:>9.2f}")
    print(f"{'18 plain passes':<28} {'':>8} {t_18:>9.2f}")
    print(f"{'TTA, 18 views':<28} {acc_tta:>8.2%} {t_tta:>9.2f}")
    out = dict(name='tta', run=args.run, model=cfg.model.name, val_acc=acc, tta_val_acc=acc_tta, plain_seconds=t_plain,
               eighteen_plain_seconds=t_18, tta_seconds=t_tta, ratio=ratio, goal=GOAL, shift=cfg.tta.shift)
    write_result('tta', out)
    print(f"tta: {ratio:.2f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
