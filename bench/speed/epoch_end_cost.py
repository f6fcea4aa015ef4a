"""What the end of an epoch costs the training loop: last.pt and best.pt (the report's resnest26d) and curves.png.

The bookkeeping after each epoch was written in the loop: two checkpoint files of 122 MB each (the weights and
SGD's momentum; best.pt too when the metric improved) and a redrawn curves.png. With CUDA-graphed epochs of a few
seconds (nbs/08a_graphs) that is a real share of the run, so now the files are written by the checkpoint thread
from a snapshot and curves.png is redrawn at most every 30 seconds (and at the end). This times, side by side
(ABAB, best of --repeats), the seconds `after_epoch` takes in the loop, old way and new way, for a resnest26d
learner (100 classes, 32 px) whose metric improves every epoch (so both files are written) and an 80-epoch history.
Between two epochs it waits --gap seconds (standing for the training epoch, during which the thread writes).

    python bench/speed/epoch_end_cost.py [--repeats 5] [--gap 1.0] [--dir runs]

Writes bench/results/epoch_end_cost.json; ends `epoch_end_cost: <old / new loop seconds>x (goal 5x)`.
"""
import argparse, shutil, sys, tempfile, time
from pathlib import Path
import torch
from atnn.callbacks import Checkpoints, Curves, RunResults
from atnn.config import Config
from atnn.fakes import fake_images
from atnn.learner import Learner
from atnn.loader import DeviceLoader
from atnn.models import create_model
from atnn.optim import create_optimizer
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, write_result

GOAL = 5.0
REPORT = Config.from_dict({'model': {'name': 'resnest26d'}, 'optimizer': {
    'name': 'sgd', 'lr': 0.0003, 'weight_decay': 0.005, 'momentum': 0.99, 'nesterov': True}})


def report_learner() -> Learner:
    "resnest26d for 100 classes after one SGD step (momentum buffers exist), with an 80-epoch history."
    model = create_model(REPORT.model, 3, 100, 32)
    opt = create_optimizer(REPORT.optimizer, model)
    model(torch.randn(2, 3, 32, 32)).sum().backward(); opt.step()
    x, y = fake_images(64, (3, 32, 32), 100)
    dl = DeviceLoader(x, y, 64, (0.5,) * 3, (0.25,) * 3, shuffle=True)
    learn = Learner(model, dl, dl, opt)
    learn.history = [dict(epoch=e, lr=0.0003, batch_size=64, train_loss=1 / e, train_acc=e / 100, val_loss=1 / e,
                          val_acc=e / 100, epoch_seconds=3.0, train_mem_mb=1.0, val_mem_mb=1.0) for e in range(1, 81)]
    learn.results = RunResults()
    return learn


def epoch_end(learn: Learner, cbs: list, epoch: int) -> float:
    "Seconds the loop spends in `after_epoch` of `cbs` at `epoch` (the metric improves: best.pt is written too)."
    learn.epoch, learn.metrics = epoch, {**learn.history[-1], 'val_acc': epoch / 1000}
    t0 = time.perf_counter()
    for cb in cbs: cb.after_epoch(learn)
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--gap', type=float, default=1.0, help="seconds between two epochs' ends (the training epoch)")
    p.add_argument('--dir', default=str(REPO/'runs'), help="where the files are written")
    args = p.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    learn = report_learner()
    folders = {k: Path(tempfile.mkdtemp(dir=args.dir)) for k in ('old', 'new')}
    setups = {'old': [Checkpoints(folders['old'], background=False), Curves(folders['old'], every_seconds=0)],
              'new': [Checkpoints(folders['new']), Curves(folders['new'])]}
    best = dict.fromkeys(setups, float('inf'))
    for _, cbs in setups.items(): epoch_end(learn, cbs, 1); time.sleep(args.gap)     # first calls; new draws now
    for r in range(args.repeats):
        for name in (['old', 'new'] if r % 2 == 0 else ['new', 'old']):
            best[name] = min(best[name], epoch_end(learn, setups[name], r + 2))
            time.sleep(args.gap)
    setups['new'][0].wait()
    mb = (folders['new']/'checkpoints'/'last.pt').stat().st_size / 2**20
    for f in folders.values(): shutil.rmtree(f)
    ratio = best['old'] / best['new']
    write_result('epoch_end_cost', dict(name='epoch_end_cost', goal=GOAL, repeats=args.repeats, gap_seconds=args.gap,
                                        threads=torch.get_num_threads(), checkpoint_mb=mb, files_per_epoch=2,
                                        old_seconds=best['old'], new_seconds=best['new'], ratio=ratio))
    print(f"end of an epoch (last.pt + best.pt of {mb:.0f} MB each, curves.png of 80 epochs): in the loop "
          f"{1000 * best['old']:.0f} ms; with the checkpoint thread and curves every 30 s {1000 * best['new']:.0f} ms")
    print(f"epoch_end_cost: {ratio:.1f}x (goal {GOAL:.0f}x)")


if __name__ == '__main__': main()
