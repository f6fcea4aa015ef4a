"""Evaluation on real Fashion-MNIST: finished runs evaluated and predicted from PNG files, and why the test split
must not choose the epoch.

    python bench/accuracy/fashion_eval.py [RUN_DIR ...] [--data-root /usr/share/datasets/fashion-mnist] [--seeds 3]

1. Each RUN_DIR (default: the MLP and resnet18 of bench/accuracy/fashion_results.py) is evaluated on the official test
   split with `atnn-eval RUN_DIR --split test` (the MLP with --no-tta: shifted views hurt a model that sees
   pixels), the 10,000 test images are written as PNG files, and `atnn-predict RUN_DIR FOLDER --json` (--tta
   when the evaluation used it) must agree with the evaluation's predictions.csv image for image. The confusion
   figure is copied to bench/results/fashion_<run>_confusion.png.
2. Choosing on the test split: configs/fashion_mnist_mlp_holdout.yaml (10% of train held out for validation)
   with seeds 0..N-1, the test accuracy measured after every epoch by a callback that decides nothing. "Chosen
   on the test split" reports the best of those epochs (what picking the best epoch on the test split, as the
   report did, reports); "chosen on validation" reports the test accuracy of the epoch with the best held-out
   validation accuracy (what atnn's `test_acc` reports).

Writes bench/results/fashion_eval.json, the one source of the README's evaluation tables.
"""
import argparse, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from PIL import Image
from atnn.config import load_config
from atnn.data import get_dataset, load_split
from atnn.callbacks import TestEval
from atnn.predict import run_config
from atnn.run import create_learner
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, RESULTS, FASHION_ROOT



def command(*args) -> tuple[str, float]:
    "Run an atnn console script from the repository; its stdout and wall seconds (exit status must be 0)."
    t0 = time.perf_counter()
    r = subprocess.run(list(args), cwd=REPO, capture_output=True, text=True)
    if r.returncode: sys.exit(f"{' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout, time.perf_counter() - t0


def evaluate(run: Path, data_root: str) -> dict:
    "atnn-eval on the test split, then atnn-predict on the same images as PNG files; the figures."
    cfg = run_config(run, [f'data.root={data_root}'])
    tta = cfg.model.name != 'mlp'
    out, eval_seconds = command('atnn-eval', str(run), '--split', 'test', *([] if tta else ['--no-tta']),
                                f'data.root={data_root}')
    folder = Path(out.strip().splitlines()[-1].removeprefix('written: '))
    report = json.loads((folder/'report.json').read_text())
    expected = [int(l.split(',')[2]) for l in (folder/'predictions.csv').read_text().splitlines()[1:]]
    shutil.copy(folder/'confusion.png', RESULTS/f'fashion_{run.name}_confusion.png')
    x, _ = load_split(get_dataset(cfg.data.dataset), cfg.data, train=False)
    with tempfile.TemporaryDirectory() as tmp:
        for i, img in enumerate(x): Image.fromarray(img[0].numpy()).save(f'{tmp}/{i:05d}.png')
        out, predict_seconds = command('atnn-predict', str(run), tmp, '--json', '--topk', '1',
                                       *(['--tta'] if tta else []))
    predicted = [json.loads(l)['top'][0]['index'] for l in out.splitlines()]
    return dict(run=run.name, model=cfg.model.name, eval_folder=str(folder.relative_to(REPO)), tta=tta,
                eval_seconds=eval_seconds, predict_seconds=predict_seconds, images=len(expected),
                predict_agrees=sum(a == b for a, b in zip(predicted, expected)), predicted_files=len(predicted),
                **{k: report[k] for k in ('accuracy', 'top5_accuracy', 'loss', 'tta_accuracy', 'predictions',
                                          'per_class', 'most_confused', 'epoch', 'checkpoint')})


class TestEveryEpoch:
    "Record the test accuracy after every epoch (decides nothing; TestEval's loader)."
    order = 30
    def __init__(self): self.accs = []
    def after_epoch(self, learn):
        test_dl = next(cb.test_dl for cb in learn.cbs if isinstance(cb, TestEval))
        self.accs.append(learn.one_epoch(train=False, dl=test_dl)[1])


def held_out(seed: int, data_root: str) -> dict:
    "One seed of the hold-out MLP: test accuracy per epoch, and the epoch each rule picks."
    cfg = load_config(REPO/'configs'/'fashion_mnist_mlp_holdout.yaml',
                      [f'data.root={data_root}', f'seed={seed}', 'train.progress=false'])
    rec = TestEveryEpoch()
    learn = create_learner(cfg, cbs=[rec])
    learn.fit(cfg.train.epochs)
    val = [m['val_acc'] for m in learn.history]
    by_val, by_test = val.index(max(val)), rec.accs.index(max(rec.accs))
    return dict(seed=seed, val_acc=val, test_acc=rec.accs, epoch_by_val=by_val + 1, epoch_by_test=by_test + 1,
                test_acc_chosen_on_val=rec.accs[by_val], test_acc_chosen_on_test=rec.accs[by_test])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('runs', nargs='*', default=['runs/results-fashion/mlp', 'runs/results-fashion/resnet18'])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--seeds', type=int, default=3)
    args = p.parse_args()
    evals = [evaluate(REPO/r, args.data_root) for r in args.runs]
    for e in evals:
        print(f"{e['run']}: test accuracy {e['accuracy']:.4f} (TTA {e['tta_accuracy']}), atnn-predict agrees on "
              f"{e['predict_agrees']}/{e['images']} images")
    seeds = [held_out(s, args.data_root) for s in range(args.seeds)]
    for s in seeds:
        print(f"seed {s['seed']}: chosen on validation {s['test_acc_chosen_on_val']:.4f} (epoch {s['epoch_by_val']}), "
              f"on the test split {s['test_acc_chosen_on_test']:.4f} (epoch {s['epoch_by_test']})")
    out = dict(name='fashion_eval', data_root=args.data_root, evaluations=evals, held_out=seeds,
               commit=subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True,
                                     text=True).stdout.strip())
    (RESULTS/'fashion_eval.json').write_text(json.dumps(out, indent=2) + '\n')
    gap = sum(s['test_acc_chosen_on_test'] - s['test_acc_chosen_on_val'] for s in seeds) / len(seeds)
    print(f"fashion_eval: choosing the epoch on the test split adds {gap:.2%} on average ({len(seeds)} seeds)")


if __name__ == '__main__': main()
