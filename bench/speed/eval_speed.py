"""atnn-eval's speed: `Predictor.interpret` (what `atnn-eval --no-tta` computes) vs training's own validation pass.

Same model object, same 10,000 Fashion-MNIST test images, same batch size, one process, alternating the two
(ABAB...) and keeping the fastest of each. The evaluation also loads its split (from the cache) and builds the
report (per class, confusion); the validation pass has its tensors in memory already.

    python bench/speed/eval_speed.py [--data-root /usr/share/datasets/fashion-mnist] [--repeats 3]

Writes bench/results/eval_speed.json and ends with `eval_speed: <ratio>x (goal 1.0x)`: evaluation seconds over
validation-pass seconds for resnet18 (lower is better; the MLP's figures, milliseconds, are reported too).
"""
import argparse, sys
from pathlib import Path
import torch
from atnn.config import Config
from atnn.data import get_dataset
from atnn.predict import Predictor
import atnn.evaluate  # noqa: F401  (Predictor.interpret)
from atnn.run import create_learner
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, best_of, write_result

GOAL = 1.0
OFF = dict(hflip=False, random_crop=False, color_jitter=False, random_erasing=False)


def case(model: str, data_root: str, repeats: int) -> dict:
    cfg = Config.from_dict(dict(data=dict(dataset='fashion_mnist', root=data_root, download=False, val_batch_size=500,
                                          augment=OFF), model=dict(name=model), tta=dict(enabled=False),
                                train=dict(progress=False)))
    learn = create_learner(cfg)
    pred = Predictor(learn.model, cfg, get_dataset('fashion_mnist'), learn.device)
    torch.set_grad_enabled(False)
    t = best_of({'validation_pass': lambda: learn.one_epoch(train=False),
                 'evaluation': lambda: pred.interpret('val', tta=False)}, repeats)
    torch.set_grad_enabled(True)
    return dict(images=len(learn.val_dl.y), **{f'{k}_seconds': v for k, v in t.items()},
                ratio=t['evaluation'] / t['validation_pass'])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    cases = {m: case(m, args.data_root, args.repeats) for m in ('mlp', 'resnet18')}
    for m, c in cases.items():
        print(f"{m:<9} validation pass {c['validation_pass_seconds']:.3f} s, evaluation {c['evaluation_seconds']:.3f} s"
              f" ({c['images']:,} images): {c['ratio']:.2f}x")
    out = dict(name='eval_speed', data_root=args.data_root, repeats=args.repeats, cases=cases,
               ratio=cases['resnet18']['ratio'], goal=GOAL)
    write_result('eval_speed', out)
    print(f"eval_speed: {out['ratio']:.2f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
