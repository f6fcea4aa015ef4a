"`atnn-eval` and `atnn-predict` end to end on fake data of every kind, and the held-out test split in training."
import json, shutil
from pathlib import Path
import pytest
import torch
from PIL import Image
from atnn.checkpoint import CHECKPOINT_FORMAT
from atnn.cli import eval_main, main, predict_main
from atnn.data import load_split, read_pet_list
from atnn.predict import Predictor
from atnn.fakes import write_fake_cifar, write_fake_mnist, write_fake_pet
from conftest import run_cli, summary, tree

DATASETS = {   # name -> (fake data writer, extra overrides)
    'mnist': (lambda root: None, []),
    'fashion_mnist': (lambda root: write_fake_mnist(root, 'FashionMNIST', n_train=256, n_test=64), []),
    'cifar10': (lambda root: write_fake_cifar(root, 'cifar10', n_train=300, n_test=60), []),
    'cifar100': (lambda root: write_fake_cifar(root, 'cifar100', n_train=300, n_test=60), []),
    'oxford_pet': (lambda root: write_fake_pet(root, n_train=74, n_test=37), ['data.img_size=24']),
}


def train_run(workdir, name, *overrides) -> Path:
    "Train the quick config for one epoch as run `name`; its folder."
    assert main(['--config', 'quick.yaml', 'train.epochs=1', f'name={name}', *overrides]) == 0
    return workdir/'runs'/name


def split_images(workdir, dataset) -> list[Path]:
    "The official test split of `dataset` as image files in split order (Pet: its own JPEGs, else written PNGs)."
    if dataset == 'oxford_pet':
        images = workdir/'data'/'oxford-iiit-pet'/'images'
        return [images/f'{i}.jpg' for i, _ in read_pet_list(images.parent/'annotations'/'test.txt')]
    pred = Predictor.from_run(workdir/'runs'/dataset)
    x, _ = load_split(pred.info, pred.cfg.data, train=False)
    out = workdir/'png'/dataset
    out.mkdir(parents=True)
    for i, img in enumerate(x):
        Image.fromarray(img.permute(1, 2, 0).squeeze(-1).numpy()).save(out/f'{i:04d}.png')
    return sorted(out.iterdir())


@pytest.mark.parametrize('dataset', list(DATASETS))
def test_eval_and_predict_agree_image_for_image(workdir, dataset, capsys):
    write, extra = DATASETS[dataset]
    write(workdir/'data')
    run = train_run(workdir, dataset, f'data.dataset={dataset}', *extra)
    capsys.readouterr()
    assert eval_main([str(run), '--split', 'test', '--no-tta']) == 0
    table = capsys.readouterr().out
    folder = run/'eval'/'best-test'
    assert sorted(p.name for p in folder.iterdir()) == ['confusion.png', 'predictions.csv', 'report.json',
                                                        'top_losses.png']
    report = json.loads((folder/'report.json').read_text())
    assert f"accuracy {report['accuracy']:.4f}" in table and f"written: {folder}" in table
    assert report['tta_accuracy'] is None and report['split'] == 'test' and report['checkpoint'] == 'best'
    assert 0 <= report['accuracy'] <= report['top5_accuracy'] <= 1
    expected = [int(l.split(',')[2]) for l in (folder/'predictions.csv').read_text().splitlines()[1:]]

    files = split_images(workdir, dataset)
    assert predict_main([str(run), *map(str, files), '--json', '--topk', '3']) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert [l['path'] for l in lines] == [str(f) for f in files]
    assert all(len(l['top']) == 3 and l['top'][0]['prob'] >= l['top'][1]['prob'] for l in lines)
    assert [l['top'][0]['index'] for l in lines] == expected, "files and dataset tensors must predict alike"


def test_tta_and_held_out_test_figures_match_training(workdir, capsys):
    run = train_run(workdir, 'held', 'data.val_split=0.25', 'tta.enabled=true', 'train.epochs=2')
    s = summary(workdir, 'held')
    assert s['test_acc'] is not None and s['test_tta_acc'] is not None and s['test_epoch'] == s['best_epoch']
    assert eval_main([str(run), '--checkpoint', 'last']) == 0                 # val split, TTA on by default
    last = json.loads((run/'eval'/'last-val'/'report.json').read_text())
    assert (last['accuracy'], last['tta_accuracy']) == pytest.approx((s['final_val_acc'], s['tta_val_acc']), abs=1e-9)
    assert last['images'] == 64
    assert eval_main([str(run), '--split', 'test']) == 0
    test = json.loads((run/'eval'/'best-test'/'report.json').read_text())
    assert (test['accuracy'], test['loss'], test['tta_accuracy']) == pytest.approx(
        (s['test_acc'], s['test_loss'], s['test_tta_acc']), abs=1e-5)
    assert eval_main([str(run), '--split', 'test']) == 0
    assert (run/'eval'/'best-test-2'/'report.json').is_file(), "a second evaluation gets a new folder"


def test_val_split_test_leaves_test_fields_null(workdir):
    train_run(workdir, 'plain')
    s = summary(workdir, 'plain')
    assert (s['test_acc'], s['test_loss'], s['test_tta_acc']) == (None, None, None)


def test_predict_reports_unreadable_files_and_goes_on(workdir, capsys):
    run = train_run(workdir, 'p')
    good = workdir/'in'/'good.png'
    good.parent.mkdir()
    Image.new('RGB', (50, 30), (120, 10, 200)).save(good)                    # any size and mode is brought in
    (workdir/'in'/'truncated.png').write_bytes(good.read_bytes()[:50])
    (workdir/'in'/'text.jpg').write_text('not an image')
    (workdir/'empty').mkdir()
    capsys.readouterr()
    status = predict_main([str(run), str(workdir/'in'), str(workdir/'empty'), str(workdir/'missing.png')])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines()[0].startswith(f"{good}  ") and len(out.splitlines()) == 1
    errors = err.splitlines()
    assert len(errors) == 4 and all(e.startswith('error: ') for e in errors)
    for name in ('truncated.png is not a readable image', 'text.jpg is not a readable image',
                 'empty: no image files in this folder', 'missing.png is not a readable image'):
        assert any(name in e for e in errors), (name, errors)


def test_predict_text_output_and_tta(workdir, capsys):
    run = train_run(workdir, 'p')
    Image.new('L', (28, 28), 200).save(workdir/'a.png')
    capsys.readouterr()
    assert predict_main([str(run), str(workdir/'a.png'), '--topk', '2', '--tta']) == 0
    line = capsys.readouterr().out.strip()
    parts = line.split('  ')
    assert parts[0] == str(workdir/'a.png') and len(parts) == 3 and float(parts[1].split()[-1]) <= 1


def corrupt(run: Path, how: str):
    "Damage run folder `run` in one of the ways a user meets."
    best = run/'checkpoints'/'best.pt'
    if how == 'no checkpoints': shutil.rmtree(run/'checkpoints')
    elif how == 'newer format': torch.save({**torch.load(best), 'format': CHECKPOINT_FORMAT + 1}, best)
    elif how == 'foreign': torch.save({'state_dict': torch.load(best)['model']}, best)
    elif how == 'truncated': best.write_bytes(best.read_bytes()[:100])
    elif how == 'not a run': (run/'config.yaml').unlink()


@pytest.mark.parametrize('how, message', [
    ('no checkpoints', 'best.pt does not exist: the run saved no best checkpoint'),
    ('newer format', f'has checkpoint format {CHECKPOINT_FORMAT + 1}, newer than this atnn reads'),
    ('foreign', 'is not an atnn checkpoint'),
    ('truncated', 'is not a readable checkpoint'),
    ('not a run', 'is not an atnn run folder (it has no config.yaml)'),
])
def test_unusable_run_folders_exit_2_and_write_nothing(workdir, capsys, how, message):
    run = train_run(workdir, 'r')
    corrupt(run, how)
    before = tree(run)
    capsys.readouterr()
    for command, argv in ((eval_main, [str(run)]), (predict_main, [str(run), str(workdir)])):
        assert command(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith('error: ') and message in err and err.count('\n') == 1, err
    assert tree(run) == before


@pytest.mark.parametrize('argv, message', [
    (['--split', 'train'], "argument --split: invalid choice: 'train'"),
    (['--checkpoint', 'newest'], "argument --checkpoint: invalid choice: 'newest'"),
    (['model.hidden=[8]'], 'model.hidden: cannot be changed for a finished run'),
    (['data.augment.hflip=true'], 'data.augment.hflip: cannot be changed for a finished run'),
])
def test_bad_eval_arguments_exit_2_and_write_nothing(workdir, capsys, argv, message):
    run = train_run(workdir, 'r')
    before = tree(run)
    capsys.readouterr()
    assert eval_main([str(run), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count('\n') == 1, err
    assert tree(run) == before


def test_eval_with_missing_data_exits_1_and_writes_nothing(workdir, capsys):
    run = train_run(workdir, 'r')
    before = tree(run)
    capsys.readouterr()
    assert eval_main([str(run), 'data.root=elsewhere', 'data.cache_dir=nocache']) == 1
    assert 'MNIST not found' in capsys.readouterr().err
    assert tree(run) == before


def test_eval_data_root_override_finds_moved_data(workdir):
    run = train_run(workdir, 'r')
    shutil.move(workdir/'data', workdir/'moved')
    assert eval_main([str(run), '--no-tta', 'data.root=moved', 'data.cache_dir=fresh']) == 0   # options first, too
    assert (run/'eval'/'best-val'/'report.json').is_file()


def test_console_scripts(workdir):
    run = train_run(workdir, 'r')
    Image.new('L', (28, 28)).save(workdir/'a.png')
    for exe, args in (('atnn-eval', [str(run), '--no-tta']), ('atnn-predict', [str(run), 'a.png', '--json'])):
        r = run_cli(*args, cwd=workdir, entry=(shutil.which(exe),))
        assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['path'] == 'a.png'
    r = run_cli(str(run), '--topk', '0', 'a.png', cwd=workdir, entry=(shutil.which('atnn-predict'),))
    assert (r.returncode, r.stderr) == (2, "error: --topk: must be at least 1, got 0\n")


def test_resumed_run_tests_the_best_checkpoint_from_its_file(workdir):
    "After a resume, the best weights are no longer in memory: TestEval reads them back from best.pt."
    run = train_run(workdir, 'r', 'data.val_split=0.25', 'tta.enabled=false', 'train.epochs=2')
    first = summary(workdir, 'r')
    assert main(['--config', 'quick.yaml', 'train.epochs=2', 'name=r', 'data.val_split=0.25', 'tta.enabled=false',
                 f'resume={run}']) == 0                               # nothing left to train: only the end runs
    again = summary(workdir, 'r')
    assert (again['test_acc'], again['test_loss'], again['test_epoch']) == (
        first['test_acc'], first['test_loss'], first['test_epoch'])
