"The learning-rate finder from the command line, and what a run shows in a notebook kernel and on a terminal."
import json, os, subprocess, sys
from pathlib import Path
import pytest
from atnn.cli import main
from conftest import REPO, run_cli, tree


def test_lr_find_writes_a_new_run_folder_and_prints_the_override(workdir):
    r = run_cli('--config', 'quick.yaml', '--lr-find', cwd=workdir)
    assert r.returncode == 0, r.stderr
    folder = workdir/'runs'/'quick-lr_find'
    assert sorted(p.name for p in folder.iterdir()) == ['config.yaml', 'lr_find.json', 'lr_find.png']
    found = json.loads((folder/'lr_find.json').read_text())
    assert {'suggestion', 'rule', 'valley', 'steepest', 'lrs', 'losses'} <= set(found)
    assert found['rule'] == 'steepest' and found['suggestion'] == found['steepest'] and len(found['lrs']) > 20
    assert f"optimizer.lr={found['suggestion']:.3g}" in r.stdout
    assert (folder/'lr_find.png').read_bytes()[:4] == b'\x89PNG'
    assert not (workdir/'runs'/'quick').exists(), "the range test trains no run"
    again = run_cli('--config', 'quick.yaml', '--lr-find', cwd=workdir)
    assert again.returncode == 0 and (workdir/'runs'/'quick-lr_find-2').is_dir(), "never over an earlier result"


@pytest.mark.parametrize('override, message', [('optimizer.lr=-1', 'error: optimizer.lr: must be > 0'),
                                               ('model.nme=mlp', 'error: model.nme: unknown key')])
def test_lr_find_refuses_a_bad_config_as_training_does(workdir, capsys, override, message):
    before = tree(workdir)
    assert main(['--config', 'quick.yaml', '--lr-find', override]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count('\n') == 1, err
    assert tree(workdir) == before


def test_lr_find_with_sam_and_muon(workdir):
    for opt in ('{name: sam, base: sgd, lr: 0.05}', '{name: muon, lr: 0.02}'):
        assert main(['--config', 'quick.yaml', '--lr-find', f'optimizer={opt}', 'name=o']) == 0
    assert len(list((workdir/'runs').glob('o-lr_find*'))) == 2


NOTEBOOK_CELL = """
import os
os.chdir({workdir!r})
from atnn.config import load_config
from atnn.run import train
summary = train(load_config('quick.yaml', ['train.epochs=3', 'name=nb', 'train.progress=true']))
"""


def test_a_run_in_a_notebook_kernel_draws_live_and_shows_results(workdir):
    "Run a notebook cell through execnb (what nbdev_test uses) and read its outputs."
    from execnb.nbio import new_nb, mk_cell
    from execnb.shell import CaptureShell
    nb = new_nb([mk_cell(NOTEBOOK_CELL.format(workdir=str(workdir)))])
    CaptureShell().run_all(nb, exc_stop=True)
    outputs = nb.cells[0].outputs
    images = [o for o in outputs if 'image/png' in o.get('data', {})]
    # the curves after each of the 3 epochs (Jupyter replaces the figure in place through its display id; execnb
    # records each update as an output), then the results grid
    assert len(images) == 4, [o.get('output_type') for o in outputs]
    assert 'epoch   3/3' in ''.join(''.join(o.get('text', '')) for o in outputs if o.get('output_type') == 'stream')


def test_on_a_terminal_a_run_prints_lines_only(workdir):
    r = run_cli('--config', 'quick.yaml', 'name=term', cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert 'IPython' not in r.stdout + r.stderr and 'Image' not in r.stdout and 'Figure' not in r.stdout
    lines = [l for l in r.stdout.splitlines() if not l.startswith('note:')]
    assert lines[0].startswith('run folder:') and lines[1].startswith('epoch   1/2') and lines[2].startswith('epoch')
