"""`train.precision: auto` (with `train.channels_last: auto`) against fp32: training epochs at the choice vs at fp32.

Real Fashion-MNIST and the example configs: the MLP (configs/fashion_mnist_mlp.yaml, 60,000 images), resnet18
with the small stem (configs/fashion_mnist_resnet18.yaml with model.small_stem=true, the first 2,000 images) and
with timm's ImageNet stem (the same config, the first 6,000). For each, one learner built with `auto` (which
times the candidates and prints its rates) and one at fp32; their training epochs alternate (ABAB...), fastest
of --repeats each. The measuring itself is timed too: the seconds `fast_path` took inside `create_learner`.

    python bench/speed/precision_auto.py [--data-root /usr/share/datasets/fashion-mnist] [--repeats 3] [--name N]

Writes one result per kind of CPU: bench/results/precision_auto.json on a CPU with AMX, precision_auto_avx512_bf16.json
on one with AVX512-BF16 but no AMX, precision_auto_no_bf16.json on one with neither (where bf16 has no hardware support
and `auto` must keep fp32). It ends with `<name>: <lowest speedup>x
(goal 1.0x; 2x with AMX or AVX512-BF16 for resnet18 with the small stem)`: fp32 epoch time over the choice's.
"""
import argparse, sys, time
from pathlib import Path
import torch
import atnn.run
from atnn.config import load_config
from atnn.fastpath import fast_path
from atnn.run import create_learner
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, REPO, best_of, cpu_bf16_kind, cpu_info, write_result

RESULT_NAMES = {'amx': 'precision_auto', 'avx512_bf16': 'precision_auto_avx512_bf16',
                'no_bf16': 'precision_auto_no_bf16'}
CASES = {'mlp': ('fashion_mnist_mlp.yaml', ['data.subset=null']),
         'resnet18, small stem': ('fashion_mnist_resnet18.yaml', ['model.small_stem=true', 'data.subset=2000']),
         'resnet18, ImageNet stem': ('fashion_mnist_resnet18.yaml', ['data.subset=6000'])}


def timed_fast_path(seconds: list):
    "`fast_path` as `create_learner` calls it, appending the seconds each call took to `seconds`."
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try: return fast_path(*args, **kwargs)
        finally: seconds.append(time.perf_counter() - t0)
    return timed


def case(config: str, overrides: list, data_root: str, repeats: int) -> dict:
    common = [f'data.root={data_root}', 'data.download=false', 'train.progress=false', 'tta.enabled=false', *overrides]
    built, measuring = {}, []
    atnn.run.fast_path = timed_fast_path(measuring)
    for name, extra in (('fp32', ['train.precision=fp32', 'train.channels_last=false']),
                        ('auto', ['train.precision=auto', 'train.channels_last=auto'])):
        cfg = load_config(REPO/'configs'/config, [*common, *extra])
        built[name] = (create_learner(cfg), cfg)
    fp32, auto = built['fp32'][0], built['auto'][0]
    t = best_of({'fp32': lambda: fp32.one_epoch(train=True), 'auto': lambda: auto.one_epoch(train=True)}, repeats)
    cfg = built['auto'][1]
    return dict(config=config, overrides=overrides, images=len(auto.train_dl.y), batch_size=auto.train_dl.batch_size,
                chosen=dict(precision=cfg.train.precision, channels_last=cfg.train.channels_last),
                fp32_seconds=t['fp32'], auto_seconds=t['auto'], speedup=t['fp32'] / t['auto'],
                measuring_seconds=sum(measuring))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--name', help='the result file (default: by the CPU\'s bf16 hardware, see above)')
    args = p.parse_args()
    cpu, flags = cpu_info()
    name = args.name or RESULT_NAMES[cpu_bf16_kind(flags)]
    cases = {}
    for model, (config, overrides) in CASES.items():
        c = cases[model] = case(config, overrides, args.data_root, args.repeats)
        print(f"{model}: chose {c['chosen']}, epoch of {c['images']:,} images {c['fp32_seconds']:.2f} s fp32 -> "
              f"{c['auto_seconds']:.2f} s: {c['speedup']:.2f}x (measuring took {c['measuring_seconds']:.1f} s)",
              flush=True)
    lowest = min(c['speedup'] for c in cases.values())
    write_result(name, dict(name=name, cpu=cpu, cpu_flags=flags, threads=torch.get_num_threads(),
                            repeats=args.repeats, lowest_speedup=lowest, cases=cases))
    print(f"{name}: {lowest:.2f}x (goal 1.0x; 2x with AMX or AVX512-BF16 for resnet18 with the small stem)")


if __name__ == '__main__': main()
