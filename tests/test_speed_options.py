"Precision, channels_last and torch.compile through the command line (CPU paths; GPU figures come from bench/)."
import json
import torch
from atnn.cli import main


def summary(workdir, name):
    return json.loads((workdir/'runs'/name/'summary.json').read_text())


def test_bf16_and_fp16_train(workdir):
    for p in ('bf16', 'fp16'):
        assert main(['--config', 'quick.yaml', f'train.precision={p}', f'name={p}', 'train.epochs=2']) == 0
        assert summary(workdir, p)['best_val_acc'] > 0.5
    ck = torch.load(workdir/'runs'/'fp16'/'checkpoints'/'last.pt', weights_only=True)
    assert ck['scaler']['scale'] > 0, "the fp16 gradient scaler's state is checkpointed"


def test_fp16_with_sam(workdir):
    "SAM learns more slowly on this toy (fp32: 0.375 val acc after 2 epochs); fp16 must learn like it, not diverge."
    assert main(['--config', 'quick.yaml', 'train.precision=fp16', 'optimizer={name: sam, base: sgd}', 'name=fs',
                 'train.epochs=3']) == 0
    m = [json.loads(l) for l in (workdir/'runs'/'fs'/'metrics.jsonl').read_text().splitlines()]
    assert m[-1]['train_loss'] < m[0]['train_loss'] and summary(workdir, 'fs')['best_val_acc'] > 0.25


def test_channels_last_is_a_noted_no_op_for_the_mlp(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'train.channels_last=true', 'name=cl', 'train.epochs=1']) == 0
    assert 'note: train.channels_last has no effect on mlp (no convolutions)' in capsys.readouterr().out


def test_channels_last_resnet(workdir):
    assert main(['--config', 'quick.yaml', 'model.name=resnet18', 'train.channels_last=true', 'data.subset=64',
                 'train.precision=bf16', 'name=clr', 'train.epochs=1']) == 0


def test_compile_trains(workdir):
    "Compiled kernels draw dropout from their own RNG stream, so the numbers differ from eager; both must learn."
    assert main(['--config', 'quick.yaml', 'name=compiled', 'train.epochs=2', 'train.compile=true']) == 0
    c = [json.loads(l) for l in (workdir/'runs'/'compiled'/'metrics.jsonl').read_text().splitlines()]
    assert summary(workdir, 'compiled')['best_val_acc'] > 0.5
    assert c[0]['epoch_seconds'] < 5, "compilation happened before the first epoch's clock started"
