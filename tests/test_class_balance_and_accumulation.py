"Imbalanced classes, gradient accumulation and the other options of long runs from the command line."
import pytest
import torch
from atnn.cli import main
from conftest import metrics, timeless


@pytest.mark.parametrize('override,message', [
    ('train.class_weights=[1,2]', "train.class_weights: has 2 weights but the dataset has 10 classes"),
    ('train.class_weights=[1,-1,1,1,1,1,1,1,1,1]', "train.class_weights: weights must be >= 0 and not all 0"),
    ('train.class_weights=[0,0,0,0,0,0,0,0,0,0]', "train.class_weights: weights must be >= 0 and not all 0"),
    ('train.class_weights=balancd', "train.class_weights: must be null, balanced or a list of weights, got 'balancd' "
                                    "(did you mean 'balanced'?)"),
    ('data.sampler=weighted', "data.sampler: must be one of shuffle, balanced; got 'weighted'"),
    ('train.accumulate=0', "train.accumulate: must be >= 1, got 0"),
    ('train.accumulate=64', "train.accumulate: 64 micro-batches of a batch of 32 images leave some empty"),
    ('train.checkpoint_every={}', "train.checkpoint_every: set exactly one of steps and minutes"),
    ('train.checkpoint_every={steps: 10, minutes: 5}', "train.checkpoint_every: set exactly one of steps and minutes"),
    ('train.checkpoint_every={minutes: 0}', "train.checkpoint_every.minutes: must be > 0, got 0"),
    ('data.last_batch=skip', "data.last_batch: must be one of keep, drop, carry; got 'skip'"),
    ('train.precision=fastest', "train.precision: must be one of fp32, bf16, fp16, auto; got 'fastest'")])
def test_bad_values_exit_2_with_one_line_and_write_nothing(workdir, capsys, override, message):
    assert main(['--config', 'quick.yaml', override]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count('\n') == 1, err
    assert not (workdir/'runs').exists()


def full_and_resumed(workdir, *overrides):
    "Run `overrides` for 2 epochs as `full`, and for 1 then resumed to 2 as `part`; check their metrics are equal."
    assert main(['--config', 'quick.yaml', 'name=full', *overrides]) == 0
    assert main(['--config', 'quick.yaml', 'name=part', 'train.epochs=1', *overrides]) == 0
    assert main(['--config', 'quick.yaml', 'name=part', 'resume=runs/part', *overrides]) == 0
    assert timeless(metrics(workdir, 'part')) == timeless(metrics(workdir, 'full'))


def test_weighted_and_balanced_runs_train_and_resume_exactly(workdir):
    full_and_resumed(workdir, 'train.class_weights=balanced', 'data.sampler=balanced')
    assert main(['--config', 'quick.yaml', 'name=plain']) == 0
    assert timeless(metrics(workdir, 'plain')) != timeless(metrics(workdir, 'full'))   # the options do something
    last = lambda n: torch.load(workdir/'runs'/n/'checkpoints'/'last.pt', weights_only=True)['model']
    weights = [last('part'), last('full')]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_accumulated_run_resumes_exactly(workdir):
    full_and_resumed(workdir, 'train.accumulate=3', 'data.sampler=balanced')
