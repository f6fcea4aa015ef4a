"TensorBoard end to end: a run's event files read back with TensorBoard's reader; without TensorBoard, a note."
import shutil, sys
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
from atnn.cli import main, sweep_main
from conftest import read_metrics


def test_a_run_writes_its_epochs_config_hparams_and_curves(workdir):
    assert main(['--config', 'quick.yaml', 'name=tb', 'tensorboard.enabled=true']) == 0
    run = workdir/'runs'/'tb'
    events = EventAccumulator(str(run/'tb'), size_guidance={'images': 4}).Reload()
    tags = events.Tags()
    assert [e.value for e in events.Scalars('val/acc')] == [m['val_acc'] for m in read_metrics(run)]
    assert {'train/loss', 'train/acc', 'val/loss', 'lr', 'batch_size', 'time/epoch_seconds'} <= set(tags['scalars'])
    assert 'config/text_summary' in tags['tensors'] and tags['images'] == ['curves']
    assert '_hparams_/experiment' in str(events.summary_metadata)


def test_without_tensorboard_a_note_and_training_goes_on(workdir, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)           # as if it were not installed
    assert main(['--config', 'quick.yaml', 'name=notb', 'tensorboard.enabled=true', 'train.epochs=1']) == 0
    assert capsys.readouterr().out.count('note: tensorboard is not installed') == 1
    assert (workdir/'runs'/'notb'/'summary.json').is_file() and not (workdir/'runs'/'notb'/'tb').exists()


def test_a_resumed_run_shows_each_epoch_once(workdir):
    "Even when a kill landed between epoch 2's checkpoint and its events (simulated: epoch 1's events put back)."
    tb = lambda *args: main(['--config', 'quick.yaml', 'name=tb', 'tensorboard.enabled=true', *args])
    run = workdir/'runs'/'tb'
    assert tb('train.epochs=1') == 0
    shutil.copytree(run/'tb', workdir/'tb-epoch1')
    assert tb('train.epochs=2', 'resume=runs/tb') == 0
    shutil.rmtree(run/'tb'); shutil.copytree(workdir/'tb-epoch1', run/'tb')
    assert tb('train.epochs=3', 'resume=runs/tb') == 0
    acc = EventAccumulator(str(run/'tb')).Reload().Scalars('val/acc')
    assert [(e.step, e.value) for e in acc] == [(m['epoch'], m['val_acc']) for m in read_metrics(run)]


def test_sweep_trials_are_runs_of_one_tensorboard_folder(workdir):
    "`tensorboard --logdir runs/<sweep>/trials` shows each trial as a run, with its hyperparameters."
    sweep = dict(name='s', base='quick.yaml', trials=2, pruner='none', sampler='random', output_dir='runs',
                 overrides={'data.val_split': 0.25, 'train.epochs': 1, 'tensorboard.enabled': True},
                 space={'optimizer.lr': {'low': 0.01, 'high': 0.3, 'log': True}})
    (workdir/'sweep.yaml').write_text(yaml.safe_dump(sweep))
    assert sweep_main(['sweep.yaml']) == 0
    multiplexer = EventMultiplexer().AddRunsFromDirectory(str(workdir/'runs'/'s'/'trials')).Reload()
    runs = multiplexer.Runs()
    assert sorted(r.split('/')[0] for r in runs if r.endswith('tb')) == ['0', '1'], runs
    assert all(len(multiplexer.Scalars(r, 'val/acc')) == 1 for r in runs if r.endswith('tb'))
