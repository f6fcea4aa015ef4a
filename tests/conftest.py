import os, subprocess, sys
from pathlib import Path
import pytest
import yaml
from atnn.data import make_fake_mnist

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    "A temporary working folder holding a tiny fake MNIST (torchvision layout) and a quick config."
    make_fake_mnist(tmp_path/'data', 'MNIST', n_train=256, n_test=64)
    cfg = dict(name='quick', output_dir='runs',
               data=dict(dataset='mnist', root='data', download=False, cache_dir='cache', val_batch_size=64,
                         augment=dict(hflip=False, random_crop=False, random_erasing=False)),
               model=dict(name='mlp', hidden=[32]), optimizer=dict(lr=0.05),
               scheduler=dict(name='steplr', step_size=1, gamma=0.5), train=dict(epochs=2, batch_size=32, progress=False))
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
