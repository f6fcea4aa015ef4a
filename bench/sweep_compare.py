"""TPE against random search on one sweep file, same budget and seeds: the best validation accuracy after N trials.

For each sampler and seed, runs `atnn-sweep SWEEP sampler=<s> seed=<k> name=<name>-<s>-s<k>` (continuing the
sweep if its folder exists, so that an interrupted comparison resumes), then reads each leaderboard: the best
validation metric among the first 8, 16, 24 trials (by trial number, i.e. in the order they started), and the
best trial's values, test accuracy (held out, never used to choose) and the sweep's wall time.

    python bench/sweep_compare.py sweeps/fashion_mnist_mlp.yaml --seeds 0 --workers 2 \\
        overrides.data.root=/usr/share/datasets/fashion-mnist

Writes bench/results/sweep_compare.json and ends with `sweep_compare: <TPE best / random best at the full
budget>x (goal 1x)`: TPE should find at least as good a configuration as random search with the same trials.
"""
import argparse, csv, json, subprocess, time
from pathlib import Path
import yaml

CHECKPOINTS = (8, 16, 24)


def run(sweep_file, sampler, seed, workers, extra) -> tuple[Path, float]:
    "Run (or continue) one sweep; its folder and wall seconds."
    spec = yaml.safe_load(Path(sweep_file).read_text())
    name = f"{spec['name']}-{sampler}-s{seed}"
    t0 = time.perf_counter()
    subprocess.run(['atnn-sweep', sweep_file, '--workers', str(workers), f'sampler={sampler}', f'seed={seed}',
                    f'name={name}', *extra], check=True)
    return Path(spec.get('output_dir', 'runs'))/name, time.perf_counter() - t0


def best_after(rows, metric, n) -> float | None:
    "The best `metric` among complete trials numbered below `n`."
    values = [float(r[metric]) for r in rows if r['state'] == 'complete' and int(r['trial']) < n and r[metric]]
    return max(values) if values else None


def summarize(folder: Path, metric: str, seconds: float) -> dict:
    with open(folder/'leaderboard.csv') as f: rows = list(csv.DictReader(f))
    best = rows[0]
    skip = {'trial', 'state', metric, 'epochs', 'seconds', 'test_acc', 'run_dir', 'note'}
    return dict(folder=str(folder), trials=len(rows), pruned=sum(r['state'] == 'pruned' for r in rows),
                seconds=seconds, best_trial=int(best['trial']), best_metric=float(best[metric]),
                test_acc=float(best['test_acc']) if best['test_acc'] else None,
                values={k: v for k, v in best.items() if k not in skip},
                best_after={n: best_after(rows, metric, n) for n in CHECKPOINTS})


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('sweep')
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--samplers', nargs='+', default=['tpe', 'random'])
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('overrides', nargs='*', help="sweep-file overrides for every sweep")
    args = p.parse_args()
    metric = yaml.safe_load(Path(args.sweep).read_text()).get('metric', 'best_val_acc')
    out = dict(name='sweep_compare', sweep=args.sweep, metric=metric, args=vars(args), runs={})
    for seed in args.seeds:
        for sampler in args.samplers:
            folder, seconds = run(args.sweep, sampler, seed, args.workers, args.overrides)
            out['runs'][f"{sampler}-s{seed}"] = summarize(folder, metric, seconds)
    mean = lambda s: sum(r['best_metric'] for k, r in out['runs'].items() if k.startswith(s)) / len(args.seeds)
    out['ratio'] = mean('tpe') / mean('random') if {'tpe', 'random'} <= set(args.samplers) else None
    Path(__file__).parent.joinpath('results', 'sweep_compare.json').write_text(json.dumps(out, indent=2) + '\n')
    for k, r in out['runs'].items():
        after = '  '.join(f"after {n}: {v:.4f}" for n, v in r['best_after'].items() if v is not None)
        print(f"{k:<10} best {metric} {r['best_metric']:.4f} (trial {r['best_trial']}, test {r['test_acc']})  {after}")
    if out['ratio'] is not None: print(f"sweep_compare: {out['ratio']:.3f}x (goal 1x)")


if __name__ == '__main__': main()
