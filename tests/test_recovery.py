"Tracking and recovery: W&B offline, exact resume after kills and Ctrl-C, NaN losses, bad checkpoints."
import json, random, signal, subprocess, sys, time
import pytest
import torch
import yaml
from atnn.cli import main
from conftest import (REPO, default_sigint, kill_and_resume, kill_inside_epoch, read_metrics, read_wandb_records,
                      timeless, write_killable)

@pytest.fixture
def slowdir(workdir):
    "A config with enough steps per epoch (3000 images, batch 16) to be killed at any moment."
    write_killable(workdir, 'slow.yaml')
    return workdir


def test_wandb_offline_logs_every_key(workdir):
    assert main(['--config', 'quick.yaml', 'name=wb', 'wandb.enabled=true', 'wandb.mode=offline',
                 'wandb.tags=[test]']) == 0
    run = workdir/'runs'/'wb'
    files = list(run.glob('wandb/offline-run-*/run-*.wandb'))
    assert len(files) == 1
    deadline = time.time() + 60          # wandb-core may still be flushing the file when finish() returns
    while True:
        records = read_wandb_records(files[0])
        if sum(r.HasField('history') for r in records) >= 2 and any(r.HasField('exit') for r in records): break
        assert time.time() < deadline, "the offline W&B file never got its history and exit records"
        time.sleep(0.2)
    items = lambda its: {i.key or '.'.join(i.nested_key): json.loads(i.value_json) for i in its}
    history = [items(r.history.item) for r in records if r.HasField('history')]
    epochs = [h for h in history if 'val_acc' in h]
    assert [h['epoch'] for h in epochs] == [1, 2]
    for key in ('train_loss', 'val_loss', 'train_acc', 'val_acc', 'lr', 'batch_size', 'epoch_seconds',
                'images_per_second', 'train_mem_mb', 'val_mem_mb', 'host_peak_rss_mb'):
        assert all(key in h for h in epochs), key
    assert [h['val_acc'] for h in epochs] == [m['val_acc'] for m in read_metrics(run)]
    summary = {k: v for r in records if r.HasField('summary') for k, v in items(r.summary.update).items()}
    assert summary['tta_val_acc'] == json.loads((run/'summary.json').read_text())['tta_val_acc']
    assert summary['curves']['_type'] == 'image-file'
    run_rec = next(r.run for r in records if r.HasField('run'))
    config = items(run_rec.config.update)
    assert config['optimizer']['lr'] == 0.05 and config['name'] == 'wb' and config['data']['dataset'] == 'mnist'
    assert run_rec.display_name == 'wb' and list(run_rec.tags) == ['test']


def test_wandb_that_cannot_start_does_not_stop_training(workdir, capsys, monkeypatch):
    monkeypatch.delenv('WANDB_API_KEY', raising=False)
    monkeypatch.setenv('WANDB_CONFIG_DIR', str(workdir))          # no stored login
    monkeypatch.setenv('WANDB_MODE', 'online')
    assert main(['--config', 'quick.yaml', 'name=nowb', 'wandb.enabled=true', 'train.epochs=1']) == 0
    out = capsys.readouterr().out
    assert out.count('warning: Weights & Biases could not start') == 1
    assert (workdir/'runs'/'nowb'/'summary.json').is_file()


def test_resume_equals_uninterrupted_run(slowdir):
    assert main(['--config', 'slow.yaml', 'name=full', 'train.epochs=4']) == 0
    assert main(['--config', 'slow.yaml', 'name=part', 'train.epochs=2']) == 0
    assert main(['--config', 'slow.yaml', 'name=part', 'train.epochs=4', 'resume=runs/part']) == 0
    full, part = read_metrics(slowdir/'runs'/'full'), read_metrics(slowdir/'runs'/'part')
    assert [m['epoch'] for m in part] == [1, 2, 3, 4]
    assert timeless(part) == timeless(full)
    a = torch.load(slowdir/'runs'/'full'/'checkpoints'/'last.pt', weights_only=True)['model']
    b = torch.load(slowdir/'runs'/'part'/'checkpoints'/'last.pt', weights_only=True)['model']
    assert all(torch.equal(a[k], b[k]) for k in a), "bit-identical weights on CPU"
    sa = json.loads((slowdir/'runs'/'full'/'summary.json').read_text())
    sb = json.loads((slowdir/'runs'/'part'/'summary.json').read_text())
    keys = ('final_val_acc', 'tta_val_acc', 'best_epoch')
    assert [sa[k] for k in keys] == [sb[k] for k in keys]


def test_sigkill_at_several_moments_then_resume_is_identical(slowdir):
    "Killed three times, each at a random moment of the epoch after the first one that process trains."
    assert main(['--config', 'slow.yaml', 'name=ref']) == 0
    rng = random.Random(0)
    delays = [rng.uniform(0.05, 0.95) for _ in range(3)]
    killed, returncode, err = kill_and_resume(slowdir, 'slow.yaml', 'killed', delays, in_epochs=True)
    assert returncode == 0, err
    assert len(killed) == 3, f"each kill should land inside training: {killed} of {delays}"
    assert timeless(read_metrics(slowdir/'runs'/'killed')) == timeless(read_metrics(slowdir/'runs'/'ref'))
    assert torch.load(slowdir/'runs'/'killed'/'checkpoints'/'last.pt', weights_only=True)['epoch'] == 6


def test_sigkill_inside_epochs_then_resume_is_identical(slowdir):
    """Checkpoints every 5 steps; killed inside epoch 1, twice inside epoch 2 (a resumed epoch resumed again); with
    data.last_batch=carry, so the images carried into an epoch (3000 = 187 x 16 + 8) must come back too."""
    config = yaml.safe_load((slowdir/'slow.yaml').read_text())
    config['train'].update(epochs=3, checkpoint_every=dict(steps=5))
    config['data']['last_batch'] = 'carry'
    (slowdir/'inside.yaml').write_text(yaml.safe_dump(config))
    assert main(['--config', 'inside.yaml', 'name=ref', 'train.checkpoint_every=null']) == 0   # saving changes nothing
    positions = [kill_inside_epoch(slowdir, 'inside.yaml', 'killed', epoch) for epoch in (1, 2, 2)]
    assert [p['epoch'] for p in positions] == [1, 2, 2], positions
    assert all(0 < p['step'] < p['steps'] for p in positions) and positions[2]['step'] > positions[1]['step']
    assert main(['--config', 'inside.yaml', 'name=killed', 'resume=runs/killed']) == 0
    ref, killed = slowdir/'runs'/'ref', slowdir/'runs'/'killed'
    assert timeless(read_metrics(killed)) == timeless(read_metrics(ref))
    a, b = (torch.load(r/'checkpoints'/'last.pt', weights_only=True)['model'] for r in (ref, killed))
    assert all(torch.equal(a[k], b[k]) for k in a), "bit-identical weights on CPU"
    sa, sb = (json.loads((r/'summary.json').read_text()) for r in (ref, killed))
    assert [sa[k] for k in ('final_val_acc', 'tta_val_acc')] == [sb[k] for k in ('final_val_acc', 'tta_val_acc')]


def test_nan_loss_inside_an_epoch_keeps_the_last_good_checkpoint(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'name=nan', 'optimizer.lr=1e30', 'train.checkpoint_every={steps: 1}']) == 1
    err = capsys.readouterr().err
    assert 'the last good checkpoint holds epoch 1, step 1 of 8' in err, err
    ck = torch.load(workdir/'runs'/'nan'/'checkpoints'/'last.pt', weights_only=True)
    assert (ck['epoch'], ck['position']['step']) == (0, 1)
    assert all(torch.isfinite(v).all() for v in ck['model'].values())


def test_leftover_temp_file_from_a_killed_write_is_harmless(slowdir):
    assert main(['--config', 'slow.yaml', 'name=t', 'train.epochs=2']) == 0
    ck = slowdir/'runs'/'t'/'checkpoints'
    (ck/'last.pt.abc123.tmp').write_bytes((ck/'last.pt').read_bytes()[:5000])   # what a kill during a save leaves
    assert main(['--config', 'slow.yaml', 'name=t', 'train.epochs=3', 'resume=runs/t']) == 0
    assert [m['epoch'] for m in read_metrics(slowdir/'runs'/'t')] == [1, 2, 3]


def test_sigint_exits_130_and_resumes(slowdir):
    p = subprocess.Popen([sys.executable, str(REPO/'train.py'), '--config', 'slow.yaml', 'name=int'], cwd=slowdir,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    metrics = slowdir/'runs'/'int'/'metrics.jsonl'
    while p.poll() is None and not (metrics.is_file() and metrics.read_text()): time.sleep(0.05)   # mid-epoch 2
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert 'continue with resume=runs/int' in out and err.strip().endswith('error: interrupted')
    assert main(['--config', 'slow.yaml', 'name=int', 'resume=runs/int']) == 0
    assert main(['--config', 'slow.yaml', 'name=ref2']) == 0
    assert timeless(read_metrics(slowdir/'runs'/'int')) == timeless(read_metrics(slowdir/'runs'/'ref2'))


def test_nan_loss_stops_with_epoch_and_step(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'name=nan', 'optimizer.lr=1e30']) == 1
    err = capsys.readouterr().err
    assert 'the training loss became NaN or infinite at epoch 1, step ' in err and err.count('\n') == 1
    ck = torch.load(workdir/'runs'/'nan'/'checkpoints'/'last.pt', weights_only=True)
    assert ck['epoch'] == 0, "the last good checkpoint stays"
    assert all(torch.isfinite(v).all() for v in ck['model'].values())


def test_truncated_checkpoint_is_refused(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'name=tr', 'train.epochs=1']) == 0
    last = workdir/'runs'/'tr'/'checkpoints'/'last.pt'
    last.write_bytes(last.read_bytes()[:1000])
    assert main(['--config', 'quick.yaml', 'name=tr', 'train.epochs=2', 'resume=runs/tr']) == 2
    assert 'last.pt is not a readable checkpoint' in capsys.readouterr().err


def test_foreign_checkpoint_is_refused(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'name=fo', 'train.epochs=1']) == 0
    torch.save({'state_dict': {}}, workdir/'runs'/'fo'/'checkpoints'/'last.pt')
    assert main(['--config', 'quick.yaml', 'name=fo', 'train.epochs=2', 'resume=runs/fo']) == 2
    assert 'is not an atnn checkpoint' in capsys.readouterr().err


def test_resume_with_changed_lr_is_refused(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'name=ch', 'train.epochs=1']) == 0
    before = (workdir/'runs'/'ch'/'metrics.jsonl').read_text()
    assert main(['--config', 'quick.yaml', 'name=ch', 'train.epochs=2', 'optimizer.lr=0.1', 'resume=runs/ch']) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: resume: the config differs from the run\'s in optimizer.lr') and err.count('\n') == 1
    assert (workdir/'runs'/'ch'/'metrics.jsonl').read_text() == before


def test_checkpoints_load_with_weights_only(workdir):
    assert main(['--config', 'quick.yaml', 'name=wo', 'train.epochs=1', 'optimizer={name: sam, base: adam}']) == 0
    for f in ('last.pt', 'best.pt'):
        ck = torch.load(workdir/'runs'/'wo'/'checkpoints'/f, weights_only=True)
        assert {'model', 'optimizer', 'scheduler', 'callbacks', 'rng', 'config', 'history', 'epoch'} <= set(ck)
        assert set(ck['rng']) == {'python', 'numpy', 'torch', 'cuda', 'loader', 'augment', 'augment_order',
                                  'loader_carried'}


def test_color_jitter_resumes_exactly(workdir):
    "Its op order comes from a host generator of its own (no device sync), which the checkpoint holds too."
    jitter = ['data.augment.color_jitter=true', 'data.augment.hflip=true']
    assert main(['--config', 'quick.yaml', 'name=full', 'train.epochs=3', *jitter]) == 0
    assert main(['--config', 'quick.yaml', 'name=part', 'train.epochs=1', *jitter]) == 0
    assert main(['--config', 'quick.yaml', 'name=part', 'train.epochs=3', 'resume=runs/part', *jitter]) == 0
    assert timeless(read_metrics(workdir/'runs'/'part')) == timeless(read_metrics(workdir/'runs'/'full'))
