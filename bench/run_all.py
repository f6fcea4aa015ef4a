"""Run the CPU benchmarks one after the other; each writes its bench/results/<name>.json.

    python bench/run_all.py [--data-root /usr/share/datasets/fashion-mnist]

Runs speed/data_pipeline.py, speed/overhead.py, speed/time_to_accuracy.py and speed/tta.py (the last on the
augmented resnet18 of accuracy/resnet18_fashion.sh if it exists, else on a quick one trained here for one epoch).
Takes about 10 minutes on a 2-core CPU. faults/fault_injection.py, speed/ddp.py and gpu/gpu_check.py are run on
their own. The docs' tables are made from the JSON files (bench/tables.py), never copied by hand.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def run(name, args):
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    last = (p.stdout.strip().splitlines() or ['(no output)'])[-1]
    if not any(c.isalnum() for c in last): last = 'done'          # a run's printed summary ends with '}'
    ok = p.returncode == 0
    print(f"{name}: {last}  [{seconds:.0f} s]" if ok else f"{name}: FAILED\n{p.stderr[-2000:]}", flush=True)
    return dict(name=name, command='python ' + ' '.join(str(a) for a in args), result=last if ok else 'FAILED',
                seconds=seconds)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default='/usr/share/datasets/fashion-mnist')
    args = p.parse_args()
    rows = [run('data_pipeline', ['bench/speed/data_pipeline.py']),
            run('overhead', ['bench/speed/overhead.py']),
            run('time_to_accuracy', ['bench/speed/time_to_accuracy.py', '--data-root', args.data_root])]
    model_run = REPO/'runs'/'bench-r18'/'sgd-flip-crop'
    if not (model_run/'checkpoints'/'best.pt').is_file():
        model_run = REPO/'runs'/'bench-quick'/'resnet18-flip-crop'
        if not (model_run/'checkpoints'/'best.pt').is_file():
            rows.append(run('tta model (resnet18, 1 epoch)', [
                'train.py', '--config', 'configs/fashion_mnist_resnet18.yaml', f'data.root={args.data_root}',
                'data.subset=5000', 'train.epochs=1', 'tta.enabled=false', 'output_dir=runs/bench-quick',
                'name=resnet18-flip-crop', 'train.progress=false', 'data.augment.hflip=true',
                'data.augment.random_crop=true', 'data.augment.crop_padding=2']))
    rows.append(run('tta', ['bench/speed/tta.py', str(model_run.relative_to(REPO)), '--data-root', args.data_root,
                            '--repeats', '1']))
    (BENCH/'results'/'run_all.json').write_text(json.dumps(rows, indent=2) + '\n')


if __name__ == '__main__': main()
