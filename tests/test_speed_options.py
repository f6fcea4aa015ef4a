"""Precision, channels_last and torch.compile through the command line (CPU paths; GPU figures come from bench/).

That each precision trains, SAM included, is checked in nbs/08_learner; here, what only a whole run shows."""
import pytest
import torch
import yaml
from atnn.cli import main
from conftest import metrics, summary, timeless


def test_fp16_scaler_state_is_checkpointed(workdir):
    assert main(['--config', 'quick.yaml', 'train.precision=fp16', 'name=fp16', 'train.epochs=2']) == 0
    assert summary(workdir, 'fp16')['best_val_acc'] > 0.5
    ck = torch.load(workdir/'runs'/'fp16'/'checkpoints'/'last.pt', weights_only=True)
    assert ck['scaler']['scale'] > 0, "the fp16 gradient scaler's state is checkpointed"


def test_channels_last_is_a_noted_no_op_for_the_mlp(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'train.channels_last=true', 'name=cl', 'train.epochs=1']) == 0
    assert 'note: train.channels_last has no effect on mlp (no convolutions)' in capsys.readouterr().out


def test_channels_last_resnet(workdir):
    assert main(['--config', 'quick.yaml', 'model={name: resnet18}', 'train.channels_last=true', 'data.subset=64',
                 'train.precision=bf16', 'name=clr', 'train.epochs=1']) == 0


@pytest.mark.parametrize('how', ['true', 'max-autotune', 'reduce-overhead'])
def test_compile_trains(workdir, capsys, how):
    "Compiled kernels draw dropout from their own RNG stream, so the numbers differ from eager; both must learn."
    assert main(['--config', 'quick.yaml', 'name=compiled', 'train.epochs=2', f'train.compile={how}']) == 0
    assert summary(workdir, 'compiled')['best_val_acc'] > 0.5
    assert metrics(workdir, 'compiled')[0]['epoch_seconds'] < 5, "compiled before the first epoch's clock started"
    out = capsys.readouterr().out
    assert 'compiled in ' in out and summary(workdir, 'compiled')['compile_seconds'] > 0
    assert ('captures CUDA graphs, which need CUDA' in out) == (how == 'reduce-overhead')


def test_auto_precision_is_measured_once_recorded_and_resumed(workdir, capsys):
    "config.yaml records the choice; a resume with `auto` runs it without measuring again, and continues exactly."
    auto = ['--config', 'quick.yaml', 'train.precision=auto', 'train.channels_last=auto']
    assert main([*auto, 'name=auto', 'train.epochs=1']) == 0
    out = capsys.readouterr().out
    assert out.count('fast path, measured on batches of 32') == 1 and 'fp32 + channels_last' not in out   # an MLP
    chosen = yaml.safe_load((workdir/'runs'/'auto'/'config.yaml').read_text())['train']
    assert chosen['precision'] in ('fp32', 'bf16') and chosen['channels_last'] is False, chosen
    assert main([*auto, 'name=auto', 'train.epochs=2', 'resume=runs/auto']) == 0
    assert 'fast path' not in capsys.readouterr().out
    assert main(['--config', 'quick.yaml', f"train.precision={chosen['precision']}", 'name=fixed']) == 0
    assert timeless(metrics(workdir, 'auto')) == timeless(metrics(workdir, 'fixed')), "the measuring changed nothing"


def test_cuda_graphs_on_a_cpu(workdir, capsys):
    "auto (the default) is silently eager on a CPU; true says once why it can't; a bad value is a usage error."
    assert main(['--config', 'quick.yaml', 'name=auto', 'train.epochs=1']) == 0
    assert 'CUDA graph' not in capsys.readouterr().out
    assert summary(workdir, 'auto')['cuda_graphs'] is None
    assert main(['--config', 'quick.yaml', 'name=forced', 'train.epochs=1', 'train.cuda_graphs=true']) == 0
    out = capsys.readouterr().out
    assert out.count("note: the training step runs eagerly, not as a CUDA graph (train.cuda_graphs=true): CUDA "
                     "graphs need CUDA, the device is cpu") == 1, out
    assert main(['--config', 'quick.yaml', 'name=bad', 'train.cuda_graphs=always']) == 2
    assert capsys.readouterr().err == "error: train.cuda_graphs: must be true, false or auto, got 'always'\n"
    assert not (workdir/'runs'/'bad').exists()


def test_cuda_graphs_may_change_on_resume(workdir):
    assert main(['--config', 'quick.yaml', 'name=r', 'train.epochs=1', 'train.cuda_graphs=false']) == 0
    assert main(['--config', 'quick.yaml', 'name=r', 'train.epochs=2', 'resume=runs/r']) == 0
    assert [m['epoch'] for m in metrics(workdir, 'r')] == [1, 2]
