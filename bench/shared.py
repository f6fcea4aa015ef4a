"""What the benchmark scripts (and the recovery tests) share: where results go, the real data, timing, kill-and-resume.

A script in a subfolder of bench/ imports it after putting bench/ on the path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from shared import REPO, best_of, write_result
"""
import json, os, signal, subprocess, sys, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH/'results'
FASHION_ROOT = '/usr/share/datasets/fashion-mnist'      # Debian's dataset-fashion-mnist: the real files
TIMING_KEYS = ('epoch_seconds', 'images_per_second', 'train_mem_mb', 'val_mem_mb', 'host_peak_rss_mb')
# A run long enough to be killed at any moment (3,000 images at batch 16, 6 epochs) whose data order, augmentation
# draws, dropout, LR schedule and TTA must all resume exactly.
KILLABLE = dict(data=dict(dataset='mnist', root='data', download=False, cache_dir='cache', val_batch_size=200,
                          augment=dict(hflip=False, random_crop=True, random_erasing=True)),
                model=dict(name='mlp', hidden=[256, 128], dropout=0.3), optimizer=dict(lr=0.05),
                scheduler=dict(name='steplr', step_size=2, gamma=0.5),
                train=dict(epochs=6, batch_size=16, progress=False),
                tta=dict(enabled=True, shift=2), output_dir='runs')


def cpu_info() -> tuple[str, list[str]]:
    "The CPU's model name and its bf16 features (Linux; elsewhere 'CPU' and none)."
    try: text = Path('/proc/cpuinfo').read_text()
    except OSError: return 'CPU', []
    model = next((line.split(':', 1)[1].strip() for line in text.splitlines() if line.startswith('model name')), 'CPU')
    return model, sorted(set(text.split()) & {'amx_bf16', 'amx_tile', 'avx512_bf16', 'avx512f'})


def cpu_bf16_kind(flags: list[str] | None = None) -> str:
    "'amx', 'avx512_bf16' or 'no_bf16': this CPU's (or one with `cpu_info`'s `flags`) fastest bf16 hardware."
    flags = set(cpu_info()[1] if flags is None else flags)
    return 'amx' if 'amx_bf16' in flags else 'avx512_bf16' if 'avx512_bf16' in flags else 'no_bf16'


def cpu_has_bf16(flags: list[str] | None = None) -> bool:
    "Does this CPU (or one with `flags`) have bf16 instructions? Without them bf16 is ~10x slower."
    return cpu_bf16_kind(flags) != 'no_bf16'


def write_result(name: str, out) -> Path:
    "Write `out` as bench/results/<name>.json (the one source of the docs' tables); returns the path."
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS/f'{name}.json'
    path.write_text(json.dumps(out, indent=2) + '\n')
    return path


def best_of(fns: dict, repeats: int) -> dict:
    "Fastest wall time of each function in `fns`, calling them in turn (ABAB...) `repeats` times."
    best = dict.fromkeys(fns, float('inf'))
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter(); fn(); best[name] = min(best[name], time.perf_counter() - t0)
    return best


def timeless(metrics: list[dict]) -> list[dict]:
    "Epoch metrics without the fields that measure time or memory (they differ between identical runs)."
    return [{k: v for k, v in m.items() if k not in TIMING_KEYS} for m in metrics]


def read_metrics(run_dir) -> list[dict]:
    "Every epoch's line of a run folder's `metrics.jsonl`."
    return [json.loads(l) for l in (Path(run_dir)/'metrics.jsonl').read_text().splitlines()]


def write_killable(folder, config='slow.yaml') -> str:
    "Write a fake MNIST and the `KILLABLE` config (as `config`) into `folder`; returns the config's file name."
    import yaml
    from atnn.fakes import write_fake_mnist
    write_fake_mnist(Path(folder)/'data', 'MNIST', n_train=3000, n_test=400)
    (Path(folder)/config).write_text(yaml.safe_dump(KILLABLE))
    return config


def start_training(folder, config: str, name: str, resume: bool, launcher=(sys.executable,), **popen):
    "`python train.py --config <config> name=<name>` in `folder` (continuing runs/<name> if `resume`); its Popen."
    args = [*launcher, str(REPO/'train.py'), '--config', config, f'name={name}']
    return subprocess.Popen(args + ([f'resume=runs/{name}'] if resume else []), cwd=folder, text=True, **popen)


def _whole_lines(path: Path) -> list[dict]:
    "The complete JSON lines of `path` (none if it does not exist): a line being appended is left out."
    return [json.loads(l) for l in path.read_text().split('\n')[:-1]] if path.exists() else []


def saved_epoch(checkpoint: Path) -> int:
    "The epochs a checkpoint file holds (0 if there is none yet)."
    import torch
    return torch.load(checkpoint, map_location='cpu', weights_only=True)['epoch'] if checkpoint.exists() else 0


def first_new_epoch_seconds(run_dir: Path, p: subprocess.Popen, done: int) -> float:
    "Wait for `p` to finish an epoch past epoch `done` in `run_dir`'s metrics; its epoch_seconds (0 if `p` ended)."
    while p.poll() is None:
        new = [m for m in _whole_lines(Path(run_dir)/'metrics.jsonl') if m['epoch'] > done]
        if new: return new[0]['epoch_seconds']
        time.sleep(0.01)
    return 0.0


def kill_and_resume(folder, config: str, name: str, kill_after, sig=signal.SIGKILL, timeout=600, in_epochs=False):
    """Train run `name` in `folder`, sending `sig` after each delay of `kill_after` (seconds from each start) and
    resuming from its last checkpoint, then let it finish. With `in_epochs`, each delay is in epochs instead,
    counted from the end of the first epoch that process trains: a moment inside training on a fast machine and
    a slow one alike. Returns (delays that killed a running process, the last process's exit status, its stderr)."""
    folder, killed = Path(folder), []
    checkpoint = folder/'runs'/name/'checkpoints'/'last.pt'
    for delay in kill_after:
        p = start_training(folder, config, name, checkpoint.exists(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        unit = first_new_epoch_seconds(folder/'runs'/name, p, saved_epoch(checkpoint)) if in_epochs else 1
        time.sleep(delay * unit)                   # a random moment: any moment must resume exactly
        if p.poll() is None: p.send_signal(sig); killed.append(round(delay, 2))
        p.communicate(timeout=timeout)
    p = start_training(folder, config, name, checkpoint.exists(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = p.communicate(timeout=timeout)
    return killed, p.returncode, err


def _replaced(path: Path, seen, p: subprocess.Popen):
    "Wait until file `path` is another file than `seen` (an atomic save replaced it); returns its identity."
    while True:
        st = path.stat() if path.exists() else None
        if st is not None and (st.st_ino, st.st_mtime_ns) != seen: return st.st_ino, st.st_mtime_ns
        if p.poll() is not None: raise RuntimeError(f"the run ended (status {p.returncode}) before {path} changed")
        time.sleep(0.005)


def process_tree(pid: int) -> list[int]:
    "`pid` and all its descendants (Linux /proc: torchrun's workers run in sessions of their own)."
    children = {}
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try: children.setdefault(int(stat.read_text().rsplit(')', 1)[1].split()[1]), []).append(int(stat.parent.name))
        except (OSError, ValueError): continue
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def kill_inside_epoch(folder, config: str, name: str, epoch: int, launcher=(sys.executable,), timeout=600) -> dict:
    """Train run `name` in `folder` (resuming it if it has a checkpoint) and SIGKILL it, and every process it
    started, a few steps after its `last.pt` holds a position inside `epoch` (the config must set
    train.checkpoint_every); returns the position that `last.pt` holds after the kill."""
    import torch
    checkpoint = Path(folder)/'runs'/name/'checkpoints'/'last.pt'
    p = start_training(folder, config, name, checkpoint.exists(), launcher, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    def signal_all(sig):
        for pid in process_tree(p.pid):
            try: os.kill(pid, sig)
            except ProcessLookupError: pass
    seen, position = None, None
    while position is None or position['epoch'] != epoch:
        seen = _replaced(checkpoint, seen, p)
        signal_all(signal.SIGSTOP)                  # still while its checkpoint is read: no race with the next save
        position = torch.load(checkpoint, weights_only=True).get('position')
        signal_all(signal.SIGCONT)
    _replaced(checkpoint, seen, p)                  # the next save inside the epoch; it dies some steps after it
    signal_all(signal.SIGKILL)
    p.communicate(timeout=timeout)
    return torch.load(checkpoint, weights_only=True).get('position')


def device_label(device) -> str:
    "The machine a figure was measured on, in words: the GPU's name, or the CPU's model and its core count."
    import torch
    device = torch.device(device)
    if device.type == 'cuda': return torch.cuda.get_device_name(device)
    return f"{cpu_info()[0]}, {os.cpu_count()} cores"


if __name__ == '__main__' and sys.argv[1:] == ['cpu-has-bf16']:      # for the shell scripts: exit status 0 if so
    sys.exit(0 if cpu_has_bf16() else 1)
