"LR and batch-size schedules, early stopping and TTA through the command line, on fake MNIST."
import torch
from atnn.cli import main
from conftest import metrics, summary




def test_batch_size_schedule_and_scaled_lr_in_metrics(workdir):
    assert main(['--config', 'quick.yaml', 'train.epochs=5', 'train.batch_size=16', 'scheduler={name: none}', 'name=bs',
                 'train.batch_size_schedule={policy: linear, max_batch_size: 48, start_epoch: 1, end_epoch: 5, '
                 'every: 2, scale_lr: true}']) == 0
    m = metrics(workdir, 'bs')
    assert [x['batch_size'] for x in m] == [16, 16, 32, 32, 48]
    assert [round(x['lr'], 6) for x in m] == [0.05, 0.05, 0.1, 0.1, 0.15]
    ck = torch.load(workdir/'runs'/'bs'/'checkpoints'/'last.pt', weights_only=True)
    assert ck['callbacks']['BatchSizeScheduler'] == {'current': 48}


def test_early_stopping_stops_and_says_when(workdir):
    # lr tiny: val_loss barely moves, so with min_delta it never "improves" after epoch 1
    assert main(['--config', 'quick.yaml', 'train.epochs=10', 'optimizer.lr=1e-7', 'name=es', 'scheduler={name: none}',
                 'train.early_stopping={monitor: val_loss, patience: 2, min_delta: 0.01, restore_best: true}']) == 0
    s = summary(workdir, 'es')
    assert (s['stopped_early'], s['stopped_epoch'], s['epochs_run'], s['restored_epoch']) == (True, 3, 3, 1)
    assert s['final_val_acc'] == metrics(workdir, 'es')[0]['val_acc']


def test_early_stopping_off(workdir):
    assert main(['--config', 'quick.yaml', 'train.epochs=3', 'optimizer.lr=1e-7', 'name=noes',
                 'train.early_stopping=null']) == 0
    assert summary(workdir, 'noes')['epochs_run'] == 3


def test_plateau_and_cosine_schedules(workdir):
    assert main(['--config', 'quick.yaml', 'train.epochs=4', 'name=cos', 'optimizer.lr=0.1',
                 'scheduler={name: cosine, warmup_epochs: 1}']) == 0
    assert [round(x['lr'], 6) for x in metrics(workdir, 'cos')] == [0.05, 0.1, 0.075, 0.025]
    assert main(['--config', 'quick.yaml', 'train.epochs=2', 'name=pl',
                 'scheduler={name: plateau, patience: 0, factor: 0.5}', 'optimizer.lr=1e-7']) == 0
    assert len(metrics(workdir, 'pl')) == 2


def test_tta_every_epoch_and_at_the_end(workdir):
    assert main(['--config', 'quick.yaml', 'train.epochs=2', 'name=tta', 'tta.every_epoch=true', 'tta.shift=1']) == 0
    m, s = metrics(workdir, 'tta'), summary(workdir, 'tta')
    assert all(0 <= x['tta_val_acc'] <= 1 for x in m)
    assert s['tta_val_acc'] == m[-1]['tta_val_acc']
    assert main(['--config', 'quick.yaml', 'train.epochs=1', 'name=notta', 'tta.enabled=false']) == 0
    assert summary(workdir, 'notta')['tta_val_acc'] is None
