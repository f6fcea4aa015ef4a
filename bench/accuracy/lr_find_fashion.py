"""The learning-rate range test on real Fashion-MNIST: its suggestion against the hand-set rate, same epochs.

For each setup (the MLP with SGD as configs/fashion_mnist_mlp.yaml sets it; the same MLP with AdamW at the
common 1e-3; resnet18 as configs/fashion_mnist_resnet18.yaml, slow on a CPU), in one process:

- `lr_find_run`: the range test (100 batches), timed, and its suggestion;
- a run at the hand-set rate, one at the steepest-descent rate (atnn's suggestion) and one at the valley rate
  (fastai's default rule), same config otherwise, same epochs; reported is each run's final-epoch test accuracy
  (nothing chosen on the test split) and the mean epoch time.

    python bench/accuracy/lr_find_fashion.py [--setups mlp-sgd mlp-adamw resnet18]
        [--root /usr/share/datasets/fashion-mnist]

Writes bench/results/lr_find_fashion.json and ends with `lr_find_fashion: <worst gap in points>` and
`lr_find cost: <range test seconds / epoch seconds>x (goal < 1x)`.
"""
import sys, argparse, json, tempfile
from pathlib import Path
import torch
from atnn.config import load_config
from atnn.run import lr_find_run, train
from atnn.utils import resolve_device
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, RESULTS


def device_label(name) -> str:
    dev = resolve_device(name)
    return torch.cuda.get_device_name(dev) if dev.type == 'cuda' else dev.type


RESULT = RESULTS/'lr_find_fashion.json'
SETUPS = {
    'mlp-sgd': ('configs/fashion_mnist_mlp.yaml', []),
    'mlp-adamw': ('configs/fashion_mnist_mlp.yaml', ['optimizer={name: adamw, lr: 0.001, weight_decay: 0.01}']),
    'resnet18': ('configs/fashion_mnist_resnet18.yaml', []),
}


def measure(name, path, extra, root, out_dir) -> dict:
    common = [f'data.root={root}', 'data.download=false', f'output_dir={out_dir}', 'train.progress=false',
              'train.early_stopping=null', 'tta.enabled=false', *extra]
    cfg = lambda *more: load_config(path, [*common, f'name={name}', *more])
    found = lr_find_run(cfg())
    hand = train(cfg())
    valley = train(cfg(f"optimizer.lr={found['valley']:.4g}", f'name={name}-valley'))
    steepest = train(cfg(f"optimizer.lr={found['steepest']:.4g}", f'name={name}-steepest'))
    epoch_s = lambda s: sum(json.loads(l)['epoch_seconds'] for l in
                            (Path(s['run_dir'])/'metrics.jsonl').read_text().splitlines()) / s['epochs_run']
    return dict(setup=name, device=device_label(cfg().device), config=path, extra=extra, hand_lr=cfg().optimizer.lr,
                rule=found['rule'],
                suggestion=found['suggestion'], valley=found['valley'], steepest=found['steepest'],
                lr_find_seconds=found['seconds'], epochs=hand['epochs_run'], hand_test_acc=hand['final_val_acc'],
                valley_test_acc=valley['final_val_acc'], steepest_test_acc=steepest['final_val_acc'],
                suggested_test_acc={'valley': valley, 'steepest': steepest}[found['rule']]['final_val_acc'],
                epoch_seconds=epoch_s(hand))


def earlier_rows() -> list[dict]:
    "Rows of the last results file (the setups measured now replace theirs; a GPU measures what a CPU cannot)."
    return json.loads(RESULT.read_text())['rows'] if RESULT.exists() else []


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--setups', nargs='+', default=['mlp-sgd', 'mlp-adamw'], choices=list(SETUPS))
    p.add_argument('--root', default=FASHION_ROOT)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measured = [measure(s, *SETUPS[s], args.root, tmp) for s in args.setups]
    rows = [r for r in earlier_rows() if r['setup'] not in args.setups] + measured   # other setups: kept as measured
    gap = max(100 * (r['hand_test_acc'] - r['suggested_test_acc']) for r in rows)
    cost = max(r['lr_find_seconds'] / r['epoch_seconds'] for r in rows)
    out = dict(name='lr_find_fashion', root=args.root, rows=rows, worst_gap_points=gap, cost_ratio=cost,
               goal_gap_points=0.5, goal_cost=1.0)
    RESULT.write_text(json.dumps(out, indent=2) + '\n')
    for r in rows:
        print(f"{r['setup']:<10} hand lr {r['hand_lr']:g}: {r['hand_test_acc']:.4f}   steepest {r['steepest']:.3g}: "
              f"{r['steepest_test_acc']:.4f}   valley {r['valley']:.3g}: {r['valley_test_acc']:.4f}   range test "
              f"{r['lr_find_seconds']:.1f} s, epoch {r['epoch_seconds']:.1f} s")
    print(f"lr_find_fashion: {gap:+.2f} points worst gap (goal <= 0.5)")
    print(f"lr_find cost: {cost:.2f}x an epoch (goal < 1x)")


if __name__ == '__main__': main()
