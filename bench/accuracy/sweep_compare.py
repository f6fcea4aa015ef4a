"""TPE against random search on one sweep file, same budget and seeds: the best validation accuracy after N trials.

For each sampler and seed, runs `atnn-sweep SWEEP sampler=<s> seed=<k> name=<name>-<s>-s<k>` (continuing the
sweep if its folder exists, so that an interrupted comparison resumes), then reads each leaderboard: the best
validation metric among the first 8, 16, 24 trials (by trial number, i.e. in the order they started), and the
best trial's values, test accuracy (held out, never used to choose) and the sweep's wall time. With --retrain,
the best configuration is then trained again on all training images and its final test accuracy reported.

    python bench/accuracy/sweep_compare.py sweeps/fashion_mnist_mlp.yaml --seeds 0 --workers 2 --retrain \\
        overrides.data.root=/usr/share/datasets/fashion-mnist overrides.data.download=false

Writes bench/results/sweep_compare.json and ends with `sweep_compare: <TPE best / random best at the full
budget>x (goal 1x)`: TPE should find at least as good a configuration as random search with the same trials.
"""
import sys, argparse, csv, json, subprocess
from pathlib import Path
import yaml
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import write_result

CHECKPOINTS = (8, 16, 24)


def run(sweep_file, sampler, seed, workers, extra) -> Path:
    "Run (or continue) one sweep; its folder."
    spec = yaml.safe_load(Path(sweep_file).read_text())
    name = f"{spec['name']}-{sampler}-s{seed}"
    subprocess.run(['atnn-sweep', sweep_file, '--workers', str(workers), f'sampler={sampler}', f'seed={seed}',
                    f'name={name}', *extra], check=True)
    return Path(spec.get('output_dir', 'runs'))/name


def best_after(rows, metric, n) -> float | None:
    "The best `metric` among complete trials numbered below `n`."
    values = [float(r[metric]) for r in rows if r['state'] == 'complete' and int(r['trial']) < n and r[metric]]
    return max(values) if values else None


def overhead(run_dir: Path) -> float | None:
    "A trial's seconds outside its epochs (building the run, checkpoints, the test split at the end), as a fraction."
    if not (run_dir/'summary.json').is_file(): return None
    total = json.loads((run_dir/'summary.json').read_text())['total_seconds']
    epochs = sum(json.loads(l)['epoch_seconds'] for l in (run_dir/'metrics.jsonl').read_text().splitlines())
    return (total - epochs) / total


def wall_seconds(folder: Path) -> float:
    "From the first trial's start to the last one's end, from the study (so a rerun that finds it done keeps it)."
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    name = yaml.safe_load((folder/'sweep.yaml').read_text())['name']
    trials = optuna.load_study(study_name=name, storage=f"sqlite:///{folder.resolve()/'study.db'}").trials
    ends = [t.datetime_complete for t in trials if t.datetime_complete]
    return (max(ends) - min(t.datetime_start for t in trials if t.datetime_start)).total_seconds()


def summarize(folder: Path, metric: str) -> dict:
    with open(folder/'leaderboard.csv') as f: rows = list(csv.DictReader(f))
    best = rows[0]
    fractions = sorted(f for f in (overhead(Path(r['run_dir'])) for r in rows if r['run_dir']) if f is not None)
    skip = {'trial', 'state', metric, 'epochs', 'seconds', 'test_acc', 'run_dir', 'note'}
    return dict(folder=str(folder), trials=len(rows), pruned=sum(r['state'] == 'pruned' for r in rows),
                seconds=wall_seconds(folder), best_trial=int(best['trial']), best_metric=float(best[metric]),
                test_acc=float(best['test_acc']) if best['test_acc'] else None,
                values={k: v for k, v in best.items() if k not in skip},
                best_after={n: best_after(rows, metric, n) for n in CHECKPOINTS},
                median_trial_overhead=fractions[len(fractions) // 2] if fractions else None)


def retrain(runs: dict, overrides: list[str]) -> dict:
    """Train the best sweep's best.yaml on the whole training set (the test split as validation, no early stopping,
    no best-epoch choice: the final epoch's test accuracy is reported), as one retrains after choosing on a hold-out."""
    key = max(runs, key=lambda k: runs[k]['best_metric'])
    best_yaml = Path(runs[key]['folder'])/'best.yaml'
    name = f"{Path(runs[key]['folder']).name}-retrained"
    subprocess.run(['atnn-train', '--config', str(best_yaml), f'name={name}', 'data.val_split=test',
                    'train.early_stopping=null', 'train.progress=false', *overrides], check=True)
    folder = Path(yaml.safe_load(best_yaml.read_text())['output_dir'])/name
    s = json.loads((folder/'summary.json').read_text())
    return dict(sweep=key, config=str(best_yaml), run=str(folder), epochs=s['epochs_run'],
                final_test_acc=s['final_val_acc'], seconds=s['total_seconds'])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('sweep')
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--samplers', nargs='+', default=['tpe', 'random'])
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--retrain', action='store_true', help="then retrain the best configuration on all training images")
    p.add_argument('overrides', nargs='*', help="sweep-file overrides for every sweep")
    args = p.parse_intermixed_args()
    metric = yaml.safe_load(Path(args.sweep).read_text()).get('metric', 'best_val_acc')
    out = dict(name='sweep_compare', sweep=args.sweep, metric=metric, args=vars(args), runs={})
    for seed in args.seeds:
        for sampler in args.samplers:
            folder = run(args.sweep, sampler, seed, args.workers, args.overrides)
            out['runs'][f"{sampler}-s{seed}"] = summarize(folder, metric)
    mean = lambda s: sum(r['best_metric'] for k, r in out['runs'].items() if k.startswith(s)) / len(args.seeds)
    out['ratio'] = mean('tpe') / mean('random') if {'tpe', 'random'} <= set(args.samplers) else None
    for k, r in out['runs'].items():
        after = '  '.join(f"after {n}: {v:.4f}" for n, v in r['best_after'].items() if v is not None)
        print(f"{k:<10} best {metric} {r['best_metric']:.4f} (trial {r['best_trial']}, test {r['test_acc']})  {after}")
    if args.retrain:     # the sweeps' fixed config overrides (e.g. where the data is) apply to the retraining too
        fixed = [o.removeprefix('overrides.') for o in args.overrides if o.startswith('overrides.')]
        out['retrain'] = retrain(out['runs'], fixed)
    write_result('sweep_compare', out)
    if args.retrain:
        r = out['retrain']
        print(f"best configuration retrained on all training images, {r['epochs']} epochs: final test accuracy "
              f"{r['final_test_acc']:.4f} (nothing chosen on it)")
    if out['ratio'] is not None: print(f"sweep_compare: {out['ratio']:.3f}x (goal 1x)")


if __name__ == '__main__': main()
