"""Label smoothing, mixup/cutmix, EMA and clipping in real runs, and how they compose (nbs/07b_regularize).

Under torchrun: tests/test_distributed.py compares one process with two with EMA, clipping and smoothing on."""
import pytest
import torch
import yaml
from atnn.cli import main
from conftest import read_metrics, summary, timeless

TOOLS = ['train.label_smoothing=0.1', 'train.mixup={mode: elem}', 'train.ema={decay: 0.9, warmup: false}',
         'train.grad_clip={max: 0.5}']
ODD = ['train.batch_size=31']            # 256 images: batches of 31 and a last one of 8, odd shares on 2 processes


def checkpoint(workdir, name, which='last.pt') -> dict:
    return torch.load(workdir/'runs'/name/'checkpoints'/which, map_location='cpu', weights_only=True)


def test_every_tool_at_once_writes_both_weights_figures(workdir):
    assert main(['--config', 'quick.yaml', 'name=all', 'train.epochs=3', *TOOLS, *ODD, 'tta.enabled=true']) == 0
    m, s = read_metrics(workdir/'runs'/'all'), summary(workdir, 'all')
    assert all({'ema_val_acc', 'ema_val_loss', 'val_acc'} <= set(e) for e in m)
    assert all(0 <= e['train_acc'] <= 1 for e in m)                       # credit against the mixed labels
    assert s['weights'] == 'ema' and s['best_val_acc'] == max(e['ema_val_acc'] for e in m)
    assert s['raw_best_val_acc'] == max(e['val_acc'] for e in m) and s['ema_best_val_acc'] == s['best_val_acc']
    assert checkpoint(workdir, 'all')['ema']['steps'] == 3 * -(-256 // 31)     # one update per optimizer step
    assert checkpoint(workdir, 'all', 'best.pt')['epoch'] == max(m, key=lambda e: e['ema_val_acc'])['epoch']


@pytest.mark.parametrize('select', ['ema', 'raw'])
def test_best_checkpoint_holds_the_selected_weights(workdir, select):
    assert main(['--config', 'quick.yaml', f'name={select}', 'train.epochs=1',
                 f'train.ema={{decay: 0.9, warmup: false, select: {select}}}']) == 0
    m, s = read_metrics(workdir/'runs'/select)[0], summary(workdir, select)
    assert s['weights'] == select and s['best_val_acc'] == m['ema_val_acc' if select == 'ema' else 'val_acc']
    last, best = checkpoint(workdir, select), checkpoint(workdir, select, 'best.pt')['model']
    raw, ema = last['model'], last['ema']['module']
    chosen, other = (ema, raw) if select == 'ema' else (raw, ema)
    assert all(torch.equal(best[k], chosen[k]) for k in best)
    assert not all(torch.equal(best[k], other[k]) for k in best)


def test_resume_with_ema_and_mixup_is_bit_identical(workdir):
    args = ['--config', 'quick.yaml', *TOOLS, *ODD, 'data.augment={random_crop: true, random_erasing: true}']
    assert main([*args, 'name=full', 'train.epochs=4']) == 0
    assert main([*args, 'name=part', 'train.epochs=2']) == 0
    assert main([*args, 'name=part', 'train.epochs=4', 'resume=runs/part']) == 0
    assert timeless(read_metrics(workdir/'runs'/'part')) == timeless(read_metrics(workdir/'runs'/'full'))
    a, b = checkpoint(workdir, 'full'), checkpoint(workdir, 'part')
    assert all(torch.equal(a['model'][k], b['model'][k]) for k in a['model'])
    assert all(torch.equal(a['ema']['module'][k], b['ema']['module'][k]) for k in a['ema']['module'])
    assert a['ema']['steps'] == b['ema']['steps']


@pytest.mark.parametrize('extra', [
    ['optimizer={name: sam, base: sgd, lr: 0.05}'],                                    # EMA after SAM's base step
    ['train.precision=fp16'],                                                          # clipping after unscaling
    ['train.batch_size_schedule={policy: linear, max_batch_size: 64, start_epoch: 1, end_epoch: 2, every: 1}']])
def test_tools_compose(workdir, extra):
    assert main(['--config', 'quick.yaml', 'name=c', *TOOLS, *ODD, *extra]) == 0
    m = read_metrics(workdir/'runs'/'c')
    assert len(m) == 2 and m[-1]['ema_val_acc'] > 0.15, m                   # 10 classes: above chance


def test_clipping_changes_training_only_when_it_binds(workdir):
    assert main(['--config', 'quick.yaml', 'name=plain']) == 0
    assert main(['--config', 'quick.yaml', 'name=loose', 'train.grad_clip={max: 1.0e+6}']) == 0
    assert main(['--config', 'quick.yaml', 'name=tight', 'train.grad_clip={max: 1.0e-3}']) == 0
    plain, loose, tight = (timeless(read_metrics(workdir/'runs'/n)) for n in ('plain', 'loose', 'tight'))
    assert plain == loose and plain != tight


def test_label_smoothing_moves_the_training_loss_not_validation(workdir):
    assert main(['--config', 'quick.yaml', 'name=ls0', 'train.epochs=1']) == 0
    assert main(['--config', 'quick.yaml', 'name=ls', 'train.epochs=1', 'train.label_smoothing=0.3']) == 0
    a, b = read_metrics(workdir/'runs'/'ls0')[0], read_metrics(workdir/'runs'/'ls')[0]
    assert b['train_loss'] > a['train_loss']              # the smoothed target can never be met exactly
    assert abs(b['val_loss'] - a['val_loss']) < 1.0       # plain cross-entropy on both


@pytest.mark.parametrize('override, key', [('train.mixup.mixup_alpha=-1', 'train.mixup.mixup_alpha'),
                                           ('train.ema.decay=1.5', 'train.ema.decay'),
                                           ('train.grad_clip.max=-1', 'train.grad_clip.max')])
def test_bad_values_are_config_errors(workdir, capsys, override, key):
    assert main(['--config', 'quick.yaml', 'name=bad', override]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f'error: {key}'), err
    assert not (workdir/'runs').exists()


def test_a_key_of_a_section_that_is_off_turns_it_on(workdir):
    assert main(['--config', 'quick.yaml', 'name=turned-on', 'train.epochs=1', 'train.ema.decay=0.5']) == 0
    cfg = yaml.safe_load((workdir/'runs'/'turned-on'/'config.yaml').read_text())
    assert cfg['train']['ema']['decay'] == 0.5 and cfg['train']['ema']['select'] == 'ema'
    assert cfg['train']['mixup'] is None


def test_tools_compose_with_compile(workdir):
    "The average copies the plain module inside torch.compile's wrapper and evaluates uncompiled."
    assert main(['--config', 'quick.yaml', 'name=cc', 'train.compile=true', *TOOLS]) == 0
    s = summary(workdir, 'cc')
    assert s['weights'] == 'ema' and s['ema_best_val_acc'] > 0.3, s
