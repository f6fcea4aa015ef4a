"""Kill a real training run with SIGKILL at random moments, resume it each time, and compare with an uninterrupted run.

Trains an MLP on a fake MNIST written to a temporary folder (3,000 images, batch 16, 6 epochs, augmentation
on, so that the data order, the augmentation draws, dropout and the LR schedule all have to resume exactly).
Each trial kills the run 1-3 times at uniformly random moments (mid-epoch, during validation, during a
checkpoint write, ...), resumes with `resume=`, and checks that the final metrics.jsonl (all but the timing
and memory fields) and the final weights equal those of the uninterrupted run bit for bit.

    python bench/fault_injection.py [--trials 5] [--seed 0]

Writes bench/results/fault_injection.json and ends with `fault_injection: <identical>/<trials> identical (goal all)`.
"""
import argparse, json, random, signal, subprocess, sys, tempfile, time
from pathlib import Path
import torch
import yaml
from atnn.fakes import write_fake_mnist

REPO = Path(__file__).resolve().parents[1]
TIMING = ('epoch_seconds', 'images_per_second', 'train_mem_mb', 'val_mem_mb', 'host_peak_rss_mb')
CONFIG = dict(output_dir='runs', data=dict(dataset='mnist', root='data', download=False, cache_dir='cache',
                                           val_batch_size=200,
                                           augment=dict(hflip=False, random_crop=True, random_erasing=True)),
              model=dict(name='mlp', hidden=[256, 128], dropout=0.3), optimizer=dict(lr=0.05),
              scheduler=dict(name='steplr', step_size=2, gamma=0.5),
              train=dict(epochs=6, batch_size=16, progress=False),
              tta=dict(enabled=True, shift=2))


def train(folder, name, resume=False):
    args = [sys.executable, str(REPO/'train.py'), '--config', 'c.yaml', f'name={name}']
    args += [f'resume=runs/{name}'] if resume else []
    return subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def outcome(run):
    metrics = [{k: v for k, v in json.loads(l).items() if k not in TIMING}
               for l in (run/'metrics.jsonl').read_text().splitlines()]
    return metrics, torch.load(run/'checkpoints'/'last.pt', weights_only=True)['model']


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--trials', type=int, default=5)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_fake_mnist(folder/'data', 'MNIST', n_train=3000, n_test=400)
        (folder/'c.yaml').write_text(yaml.safe_dump(CONFIG))
        t0 = time.perf_counter()
        ref = train(folder, 'ref'); ref.wait()
        duration = time.perf_counter() - t0
        ref_metrics, ref_weights = outcome(folder/'runs'/'ref')
        results = []
        for trial in range(args.trials):
            name, started, kill_times = f'trial{trial}', False, []
            for _ in range(rng.randint(1, 3)):
                proc = train(folder, name, resume=started)
                delay = rng.uniform(0.1, 0.9) * duration             # from start-up to the last epoch's TTA
                time.sleep(delay)
                if proc.poll() is None: proc.send_signal(signal.SIGKILL); kill_times.append(round(delay, 2))
                proc.wait()
                started = (folder/'runs'/name/'checkpoints'/'last.pt').exists()
            proc = train(folder, name, resume=started)
            _, err = proc.communicate()
            metrics, weights = outcome(folder/'runs'/name)
            same = (proc.returncode == 0 and metrics == ref_metrics
                    and all(torch.equal(weights[k], ref_weights[k]) for k in ref_weights))
            results.append(dict(trial=trial, kills_after_seconds=kill_times, identical=same,
                                returncode=proc.returncode))
            print(f"trial {trial}: killed {len(kill_times)}x (after {kill_times} s), "
                  f"resumed: {'identical' if same else 'DIFFERENT'}")
    identical = sum(r['identical'] for r in results)
    out = dict(name='fault_injection', trials=args.trials, identical=identical, uninterrupted_seconds=duration,
               results=results)
    Path(__file__).parent.joinpath('results').mkdir(exist_ok=True)
    Path(__file__).parent.joinpath('results', 'fault_injection.json').write_text(json.dumps(out, indent=2) + '\n')
    print(f"fault_injection: {identical}/{args.trials} identical (goal all)")


if __name__ == '__main__': main()
