import json, os, subprocess, sys
from pathlib import Path
import pytest
import yaml
from atnn.fakes import write_fake_mnist

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO/'bench'))             # the benchmarks' shared module: kill-and-resume, timing keys
from shared import kill_and_resume, kill_inside_epoch, read_metrics, timeless, write_killable  # noqa: F401


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    "A temporary working folder holding a tiny fake MNIST (torchvision layout) and a quick config."
    write_fake_mnist(tmp_path/'data', 'MNIST', n_train=256, n_test=64)
    cfg = dict(name='quick', output_dir='runs',
               data=dict(dataset='mnist', root='data', download=False, cache_dir='cache', val_batch_size=64,
                         augment=dict(hflip=False, random_crop=False, random_erasing=False)),
               model=dict(name='mlp', hidden=[32]), optimizer=dict(lr=0.05),
               scheduler=dict(name='steplr', step_size=1, gamma=0.5),
               train=dict(epochs=2, batch_size=32, progress=False))
    (tmp_path/'quick.yaml').write_text(yaml.safe_dump(cfg))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(*args, cwd, entry=(sys.executable, str(REPO/'train.py'))):
    "Run the command line in a subprocess; returns the CompletedProcess (text output)."
    env = {**os.environ, 'PYTHONWARNINGS': 'ignore'}
    return subprocess.run([*entry, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def tree(folder) -> dict:
    "Every file under `folder` with its size and modification time, to check that nothing changed."
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(Path(folder).rglob('*')) if p.is_file()}


def metrics(workdir, name) -> list[dict]:
    "The metrics of run `name` under `workdir/runs`."
    return read_metrics(Path(workdir)/'runs'/name)


def summary(workdir, name) -> dict:
    "The `summary.json` of run `name` under `workdir/runs`."
    return json.loads((Path(workdir)/'runs'/name/'summary.json').read_text())


def read_wandb_records(path) -> list:
    "The protobuf records of an offline W&B run file (`run-<id>.wandb`: a LevelDB-style log of 32 KiB blocks)."
    import struct
    from wandb.proto import wandb_internal_pb2 as pb
    data, block, pos, chunks, records = Path(path).read_bytes(), 32768, 7, b'', []
    assert data[:4] == b':W&B', f"{path} is not a W&B run file"
    while pos + 7 <= len(data):
        if block - pos % block < 7: pos += block - pos % block; continue      # block trailer padding
        _, length, kind = struct.unpack('<IHB', data[pos:pos + 7])
        if kind == 0: pos += block - pos % block; continue
        chunks += data[pos + 7:pos + 7 + length]; pos += 7 + length
        if kind in (1, 4):                                                        # FULL or LAST
            r = pb.Record(); r.ParseFromString(chunks); records.append(r); chunks = b''
    return records


def default_sigint():
    """For Popen's preexec_fn: Ctrl-C's default disposition in the child. A shell that runs the tests in the
    background hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pytest_configure(config):
    config.addinivalue_line('markers', "gpu: needs CUDA (skipped without it); run on a GPU with `pytest -m gpu`")
