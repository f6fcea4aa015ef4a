"""Kill a real training run with SIGKILL at random moments, resume it each time, and compare with an uninterrupted run.

Trains an MLP on a fake MNIST written to a temporary folder (3,000 images, batch 16, 6 epochs, augmentation
on, so that the data order, the augmentation draws, dropout and the LR schedule all have to resume exactly).
Each trial kills the run 1-3 times at uniformly random moments (mid-epoch, during validation, during a
checkpoint write, ...), resumes with `resume=`, and checks that the final metrics.jsonl (all but the timing
and memory fields) and the final weights equal those of the uninterrupted run bit for bit.

    python bench/faults/fault_injection.py [--trials 5] [--seed 0]

Writes bench/results/fault_injection.json and ends with `fault_injection: <identical>/<trials> identical (goal all)`.
"""
import argparse, random, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import kill_and_resume, read_metrics, start_training, timeless, write_killable, write_result


def outcome(run):
    return timeless(read_metrics(run)), torch.load(run/'checkpoints'/'last.pt', weights_only=True)['model']


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--trials', type=int, default=5)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_killable(folder)
        t0 = time.perf_counter()
        start_training(folder, config, 'ref', resume=False).wait()
        duration = time.perf_counter() - t0
        ref_metrics, ref_weights = outcome(folder/'runs'/'ref')
        results = []
        for trial in range(args.trials):
            delays = [rng.uniform(0.1, 0.9) * duration for _ in range(rng.randint(1, 3))]   # start-up to last TTA
            kills, returncode, _ = kill_and_resume(folder, config, f'trial{trial}', delays)
            metrics, weights = outcome(folder/'runs'/f'trial{trial}')
            same = (returncode == 0 and metrics == ref_metrics
                    and all(torch.equal(weights[k], ref_weights[k]) for k in ref_weights))
            results.append(dict(trial=trial, kills_after_seconds=kills, identical=same, returncode=returncode))
            print(f"trial {trial}: killed {len(kills)}x (after {kills} s), "
                  f"resumed: {'identical' if same else 'DIFFERENT'}")
    identical = sum(r['identical'] for r in results)
    write_result('fault_injection', dict(name='fault_injection', trials=args.trials, identical=identical,
                                         uninterrupted_seconds=duration, results=results))
    print(f"fault_injection: {identical}/{args.trials} identical (goal all)")


if __name__ == '__main__': main()
