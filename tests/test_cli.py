"End-to-end tests of `python train.py` / `atnn-train` on fake MNIST files."
import json, shutil
from pathlib import Path
import pytest
import torch
import yaml
from atnn.cli import main
from conftest import REPO, metrics, run_cli, summary, tree

METRIC_KEYS = 'epoch lr batch_size train_loss train_acc val_loss val_acc epoch_seconds train_mem_mb val_mem_mb'.split()
SUMMARY_KEYS = 'best_val_acc best_epoch epochs_run stopped_early final_val_acc tta_val_acc total_seconds'.split()


def test_train_py_end_to_end(workdir):
    r = run_cli('--config', 'quick.yaml', cwd=workdir)
    assert r.returncode == 0, r.stderr
    run = workdir/'runs'/'quick'
    assert sorted(p.name for p in run.iterdir()) == ['checkpoints', 'config.yaml', 'curves.png', 'metrics.jsonl',
                                                     'summary.json']
    assert sorted(p.name for p in (run/'checkpoints').iterdir()) == ['best.pt', 'last.pt']
    lines = metrics(workdir, 'quick')
    assert [m['epoch'] for m in lines] == [1, 2]
    for m in lines:
        assert set(METRIC_KEYS) <= set(m)
        assert 0 <= m['train_acc'] <= 1 and 0 <= m['val_acc'] <= 1 and m['train_mem_mb'] > 0
    assert [m['lr'] for m in lines] == [0.05, 0.025]
    s = summary(workdir, 'quick')
    assert set(SUMMARY_KEYS) <= set(s)
    assert s['epochs_run'] == 2 and s['stopped_early'] is False and 0 <= s['tta_val_acc'] <= 1
    assert s['best_val_acc'] == max(m['val_acc'] for m in lines)
    assert s['best_val_acc'] > 0.5, "the fake classes are easy: training must beat chance (0.1)"
    outside = s['setup_seconds'] + s['finish_seconds']        # building the run; best weights, TTA (where time goes)
    assert s['setup_seconds'] > 0 and s['finish_seconds'] > 0
    assert outside + sum(m['epoch_seconds'] for m in lines) <= s['total_seconds']
    assert json.loads(r.stdout[r.stdout.index('{'):]) == s
    resolved = yaml.safe_load((run/'config.yaml').read_text())
    assert resolved['optimizer']['lr'] == 0.05 and resolved['optimizer']['momentum'] == 0.9   # defaults filled in
    for name in ('best.pt', 'last.pt'):
        ck = torch.load(run/'checkpoints'/name, weights_only=True)
        assert {'model', 'optimizer', 'scheduler', 'epoch', 'config'} <= set(ck)
    assert torch.load(run/'checkpoints'/'last.pt', weights_only=True)['epoch'] == 2
    assert (run/'curves.png').read_bytes()[:4] == b'\x89PNG'


def test_console_script_matches_train_py(workdir):
    exe = shutil.which('atnn-train')
    assert exe, "pip install -e . should put atnn-train on PATH"
    r = run_cli('--config', 'quick.yaml', 'name=console', 'train.epochs=1', cwd=workdir, entry=(exe,))
    assert r.returncode == 0, r.stderr
    assert summary(workdir, 'console')['epochs_run'] == 1


def test_overrides_apply(workdir):
    assert main(['--config', 'quick.yaml', 'train.epochs=1', 'optimizer.lr=0.2', 'name=o']) == 0
    cfg = yaml.safe_load((workdir/'runs'/'o'/'config.yaml').read_text())
    assert (cfg['train']['epochs'], cfg['optimizer']['lr']) == (1, 0.2)


def test_existing_run_folder_is_left_untouched(workdir):
    old = workdir/'runs'/'quick'
    (old/'checkpoints').mkdir(parents=True)
    (old/'metrics.jsonl').write_text('{"epoch": 1, "val_acc": 0.99}\n')
    (old/'checkpoints'/'last.pt').write_bytes(b'precious')
    before = tree(old)
    assert main(['--config', 'quick.yaml', 'train.epochs=1']) == 0
    assert tree(old) == before
    assert (workdir/'runs'/'quick-2'/'summary.json').is_file()


BAD_CONFIGS = [  # (overrides, the key the one-line error must name)
    (['optimizer.lrr=0.1'], 'optimizer.lrr'),
    (['optimizer.lr=-0.1'], 'optimizer.lr'),
    (['optimizer.lr=fast'], 'optimizer.lr'),
    (['optimizer.name=adamax'], 'optimizer.name'),
    (['optimizer.momentum=1.5'], 'optimizer.momentum'),
    (['train.epochs=0'], 'train.epochs'),
    (['train.batch_size=0'], 'train.batch_size'),
    (['train.batch_size=1.5'], 'train.batch_size'),
    (['data.val_split=1.2'], 'data.val_split'),
    (['data.val_split=valid'], 'data.val_split'),
    (['data.dataset=imagenet'], 'data.dataset'),
    (['data.subset=40', 'data.val_split=0.5'], 'data.subset'),
    (['data.subset=100000'], 'data.subset'),
    (['model={name: vgg}'], 'model.name'),
    (['model={name: resnet81}'], 'model.name'),
    (['tta.shift=28'], 'tta.shift'),
    (['optimizer.name=adam', 'optimizer.momentum=0.9'], 'optimizer.momentum'),
    (['optimizer.rho=0.1'], 'optimizer.rho'),
    (['optimizer.name=sam', 'optimizer.base=sam'], 'optimizer.base'),
    (['model.small_stem=true'], 'model.small_stem'),
    (['model={name: resnet18, pretrained: missing.pth}'], 'model.pretrained'),
    (['model.hidden=[32, -1]'], 'model.hidden'),
    (['model.pretrained=true'], 'model.pretrained'),
    (['model={name: resnest26d, hidden: [64]}'], 'model.hidden'),
    (['scheduler.name=cosine_wrong'], 'scheduler.name'),
    (['scheduler.gamma=0'], 'scheduler.gamma'),
    (['device=gpu'], 'device'),
    (['seed=-1'], 'seed'),
    (['name=../escape'], 'name'),
    (['wandb.mode=dryrun'], 'wandb.mode'),
    (['logger.project=x'], 'logger'),
    (['resume=no/such/run'], 'resume'),
    (['data=mnist'], 'data'),
    (['optimizer.lr.x=1'], 'optimizer.lr'),
    (['nonsense'], 'nonsense'),
]


@pytest.mark.parametrize('overrides,key', BAD_CONFIGS, ids=[' '.join(o) for o, _ in BAD_CONFIGS])
def test_bad_config_exits_2_with_one_line_and_writes_nothing(workdir, capsys, overrides, key):
    before = tree(workdir)
    assert main(['--config', 'quick.yaml', *overrides]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f'error: {key}'), err
    assert err.count('\n') == 1 and 'Traceback' not in err
    after = tree(workdir)
    if key == 'data.subset':   # known only once the data is read: the decoded-data cache may have been filled
        after = {k: v for k, v in after.items() if not k.startswith('cache/')}
    assert after == before and not (workdir/'runs').exists()


def test_bad_config_in_subprocess_has_no_traceback(workdir):
    (workdir/'bad.yaml').write_text('optimizer:\n  lr: 0.1\n  momentun: 0.9\n')
    r = run_cli('--config', 'bad.yaml', cwd=workdir)
    assert r.returncode == 2
    assert r.stderr.startswith("error: optimizer.momentun: unknown key (did you mean 'momentum'?); allowed: name, lr, ")
    assert r.stderr.count('\n') == 1
    assert not (workdir/'runs').exists()


@pytest.mark.parametrize('args,needle', [
    (['--config', 'missing.yaml'], 'error: --config: file not found: missing.yaml'),
    ([], 'error: --config: configs/current_config.yaml not found'),
    (['--nope'], 'error: unrecognized arguments: --nope'),
])
def test_usage_errors(workdir, capsys, args, needle):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(needle) and err.count('\n') == 1


def test_invalid_yaml(workdir, capsys):
    (workdir/'broken.yaml').write_text('optimizer: {lr: 0.1\n')
    assert main(['--config', 'broken.yaml']) == 2
    assert capsys.readouterr().err.startswith('error: --config: broken.yaml is not valid YAML')


def test_missing_data_exits_1_naming_files_and_download(workdir):
    shutil.rmtree(workdir/'data')
    r = run_cli('--config', 'quick.yaml', cwd=workdir)
    assert r.returncode == 1
    assert 'Traceback' not in r.stderr and r.stderr.count('\n') == 1
    mnist_raw = str(Path('data')/'MNIST'/'raw')
    for needle in ('train-images-idx3-ubyte', 't10k-labels-idx1-ubyte', mnist_raw, 'data.download=true'):
        assert needle in r.stderr, (needle, r.stderr)
    assert not (workdir/'runs').exists()


def test_truncated_data_file_exits_1_naming_it(workdir, capsys):
    f = workdir/'data'/'MNIST'/'raw'/'train-images-idx3-ubyte'
    f.write_bytes(f.read_bytes()[:1000])
    assert main(['--config', 'quick.yaml']) == 1
    err = capsys.readouterr().err
    assert 'train-images-idx3-ubyte is truncated or corrupted' in err and err.count('\n') == 1
    assert not (workdir/'runs').exists()


def test_flat_folder_of_gzipped_idx_files(workdir):
    from atnn.fakes import write_fake_mnist
    write_fake_mnist(workdir/'flat', layout='flat', gz=True)
    assert main(['--config', 'quick.yaml', 'data.root=flat', 'data.dataset=fashion_mnist', 'train.epochs=1',
                 'name=flat']) == 0
    assert summary(workdir, 'flat')['epochs_run'] == 1


def test_read_only_data_root_is_never_written(workdir):
    root = workdir/'data'
    before = tree(root)
    for p in [root, *root.rglob('*')]: p.chmod(0o555 if p.is_dir() else 0o444)
    try: assert main(['--config', 'quick.yaml', 'train.epochs=1']) == 0
    finally:
        for p in [root, *root.rglob('*')]: p.chmod(0o755 if p.is_dir() else 0o644)
    assert tree(root) == before
    assert list((workdir/'cache').glob('mnist-*.pt')), "decoded tensors go to data.cache_dir"


def test_download_goes_through_torchvision_only_when_files_are_missing(workdir, monkeypatch):
    "With data.download=true and no files, torchvision's own class is asked to download into its layout."
    import torchvision
    from atnn.fakes import write_fake_mnist
    calls = []
    class FakeTorchvisionMNIST:   # stands in for the network: writes what a real download leaves behind
        def __init__(self, root, train=True, download=False):
            calls.append((root, download))
            write_fake_mnist(root, 'MNIST', n_train=256, n_test=64)
    monkeypatch.setattr(torchvision.datasets, 'MNIST', FakeTorchvisionMNIST)
    shutil.rmtree(workdir/'data')
    assert main(['--config', 'quick.yaml', 'data.download=true', 'train.epochs=1', 'name=dl']) == 0
    assert calls == [('data', True)]
    assert (workdir/'data'/'MNIST'/'raw'/'train-images-idx3-ubyte').is_file()
    assert main(['--config', 'quick.yaml', 'data.download=true', 'train.epochs=1', 'name=dl']) == 0
    assert len(calls) == 1, "files present: no second download"


def test_failed_download_exits_1_with_where_to_put_files(workdir, monkeypatch, capsys):
    import torchvision
    def offline(root, train=True, download=False): raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")
    monkeypatch.setattr(torchvision.datasets, 'MNIST', offline)
    shutil.rmtree(workdir/'data')
    assert main(['--config', 'quick.yaml', 'data.download=true']) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: downloading MNIST failed (Error downloading') and err.count('\n') == 1
    for needle in ('train-images-idx3-ubyte', str(Path('data')/'MNIST'/'raw'), 'data.download=false', 'data.root'):
        assert needle in err, (needle, err)
    assert not (workdir/'data').exists(), "a failed download leaves no empty data folder behind"
    assert not (workdir/'runs').exists()


def test_config_file_that_is_not_text_exits_2(workdir, capsys):
    (workdir/'random.yaml').write_bytes(bytes(range(256)) * 16)
    before = tree(workdir)
    assert main(['--config', 'random.yaml']) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: --config: random.yaml is not a text file') and err.count('\n') == 1
    assert tree(workdir) == before


def test_labels_file_where_images_belong_is_named(workdir, capsys):
    raw = workdir/'data'/'MNIST'/'raw'
    (raw/'train-images-idx3-ubyte').write_bytes((raw/'train-labels-idx1-ubyte').read_bytes())
    assert main(['--config', 'quick.yaml']) == 1
    err = capsys.readouterr().err
    assert 'train-images-idx3-ubyte should hold images' in err and 'its header says 1 dimension(s) (256,)' in err


def test_every_file_of_a_run_has_the_mode_open_gives(workdir):
    assert main(['--config', 'quick.yaml', 'train.epochs=1', 'name=modes']) == 0
    plain = workdir/'plain.txt'
    plain.write_text('x')
    run = workdir/'runs'/'modes'
    modes = {str(p.relative_to(run)): oct(p.stat().st_mode & 0o777) for p in run.rglob('*') if p.is_file()}
    assert set(modes.values()) == {oct(plain.stat().st_mode & 0o777)}, modes


@pytest.mark.parametrize('switch, dropped, expected', [
    (['optimizer.name=adamw'], 'optimizer.momentum, optimizer.nesterov',
     {'optimizer': {'name': 'adamw', 'lr': 0.0003}}),
    (['scheduler.name=cosine'], 'scheduler.step_size, scheduler.gamma', {'scheduler': {'name': 'cosine'}}),
    (['model.name=mlp'], 'model.pretrained', {'model': {'name': 'mlp', 'hidden': [512, 256]}}),
    (['optimizer.lr=0.1'], None, {'optimizer': {'name': 'sgd', 'momentum': 0.99}}),
])
def test_switching_a_variant_on_the_command_line(capsys, monkeypatch, switch, dropped, expected):
    "The report's config (SGD with momentum, StepLR) switched by one override, as Hydra's config groups allow."
    monkeypatch.chdir(REPO)
    assert main(['--print-config', *switch]) == 0
    out, err = capsys.readouterr()
    cfg = yaml.safe_load(out)
    for sec, values in expected.items(): assert {k: cfg[sec][k] for k in values} == values, cfg[sec]
    if dropped: assert err.startswith(f"note: {switch[0]}: left out {dropped} of the config file"), err
    else: assert err == ''


def test_a_key_set_for_the_wrong_variant_is_still_refused(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(['--print-config', 'optimizer.name=adam', 'optimizer.momentum=0.9']) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: optimizer.momentum: does not apply to adam") and err.count('\n') == 1, err
