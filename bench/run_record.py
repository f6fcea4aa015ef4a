"""Keep finished runs as one results file: each run's resolved config, summary and per-epoch metrics.

Runs made on a lent machine (a GPU session) come back as folders that are not kept in git; this turns them into
the one source the README's tables are made from.

    python bench/run_record.py NAME RUN_DIR... [--command 'what produced them']

Writes bench/results/NAME.json and prints one line per run: `<run>: <final val acc> (<tta>) in <seconds> s`.
"""
import argparse, json
from pathlib import Path
import yaml


def record(run_dir: Path) -> dict:
    metrics = [json.loads(l) for l in (run_dir/'metrics.jsonl').read_text().splitlines() if l.strip()]
    summary = json.loads((run_dir/'summary.json').read_text()) if (run_dir/'summary.json').exists() else None
    return dict(run=run_dir.name, config=yaml.safe_load((run_dir/'config.yaml').read_text()), summary=summary,
                metrics=metrics)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('name')
    p.add_argument('runs', nargs='+', type=Path)
    p.add_argument('--command', default=None, help="the command that produced the runs, kept beside them")
    args = p.parse_args()
    runs = [record(r) for r in args.runs if (r/'metrics.jsonl').exists()]
    out = Path(__file__).parent/'results'/f'{args.name}.json'
    out.write_text(json.dumps(dict(name=args.name, command=args.command, runs=runs), indent=1) + '\n')
    for r in runs:
        s = r['summary'] or {}
        print(f"{r['run']}: {s.get('final_val_acc')} (TTA {s.get('tta_val_acc')}) in {s.get('total_seconds')} s"
              + ('' if r['summary'] else f" (unfinished: {len(r['metrics'])} epochs)"))


if __name__ == '__main__': main()
