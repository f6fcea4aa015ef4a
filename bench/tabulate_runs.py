"""A markdown table of finished runs: `python bench/tabulate_runs.py RUN_DIR [RUN_DIR ...]`."""
import json, sys
from pathlib import Path
import yaml


def row(run: Path) -> str:
    cfg = yaml.safe_load((run/'config.yaml').read_text())
    metrics = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
    summary = json.loads((run/'summary.json').read_text()) if (run/'summary.json').is_file() else {}
    o, m = cfg['optimizer'], cfg['model']
    what = o['name'] + (f" over {o['base']} (rho {o['rho']})" if o['name'] == 'sam' else '')
    keys = {k: o[k] for k in ('lr', 'momentum', 'betas', 'fallback_lr') if o.get(k) is not None}
    sec = sum(x['epoch_seconds'] for x in metrics) / len(metrics)
    aug = [k for k in ('hflip', 'random_crop', 'color_jitter', 'random_erasing') if cfg['data']['augment'][k]]
    tta = f"{summary['tta_val_acc']:.2%}" if summary.get('tta_val_acc') is not None else '-'
    return (f"| {run.name} | {m['name']}{' small stem' if m.get('small_stem') else ''} | {what} "
            f"| {', '.join(f'{k} {v}' for k, v in keys.items())} | {len(metrics)} "
            f"| {', '.join(aug) or 'none'} | {metrics[-1]['val_acc']:.2%} | {tta} | {sec:.1f} |")


print('| run | model | optimizer | settings | epochs | augmentation | final val acc | with TTA | s/epoch |')
print('|---|---|---|---|---|---|---|---|---|')
for d in sys.argv[1:]: print(row(Path(d)))
