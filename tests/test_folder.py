"`data.dataset: folder` end to end: layouts, modes, bad files, the cache, the memory-mapped path, eval and predict."
import json, shutil
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from atnn.cli import eval_main, main, predict_main
from atnn.config import load_config
from atnn.folder import image_files, load_folder_splits
from atnn.loader import DeviceLoader
from atnn.augment import Augment
from atnn.fakes import write_fake_folder
from conftest import summary, tree

FOLDER = ['data.dataset=folder', 'data.root=photos', 'data.img_size=24', 'model={name: mlp, hidden: [32]}']


def run(*overrides):
    return main(['--config', 'quick.yaml', 'train.epochs=1', *FOLDER, *overrides])


@pytest.fixture
def photos(workdir):
    "A fake photo folder (train/, val/ and test/, three classes, six formats and modes) in the work folder."
    return write_fake_folder(workdir/'photos', {'train': 60, 'val': 21, 'test': 12})


def test_folder_trains_evaluates_and_predicts(photos, workdir, capsys):
    assert run('name=f') == 0
    s = summary(workdir, 'f')
    assert s['epochs_run'] == 1 and s['test_acc'] is not None, "test/ is the held-out test split"
    out = capsys.readouterr().out
    assert 'folder photos: 3 classes, 60 train / 21 val / 12 test images; mean (' in out
    run_dir = workdir/'runs'/'f'
    ckpt = torch.load(run_dir/'checkpoints'/'best.pt', weights_only=True)
    assert ckpt['dataset']['classes'] == ['class_0', 'class_1', 'class_2'] and len(ckpt['dataset']['mean']) == 3
    assert eval_main([str(run_dir), '--split', 'test', '--no-tta']) == 0
    expected = [int(l.split(',')[2]) for l in (run_dir/'eval'/'best-test'/'predictions.csv').read_text().split()[1:]]
    files = image_files(photos/'test')
    capsys.readouterr()
    shutil.rmtree(photos/'train')                                 # predicting needs no training data
    assert predict_main([str(run_dir), str(photos/'test'), '--json']) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert [l['path'] for l in lines] == [str(f) for f in files]
    assert [l['top'][0]['index'] for l in lines] == expected
    assert lines[0]['top'][0]['class'].startswith('class_')


def test_class_folders_only_with_a_held_out_fraction_and_one_channel(workdir):
    write_fake_folder(workdir/'flat', {'all': 40})
    shutil.move(workdir/'flat'/'all', workdir/'photos')
    assert run('name=flat', 'data.val_split=0.25', 'data.channels=1') == 0
    s = summary(workdir, 'flat')
    assert s['test_acc'] is None
    d = load_config('quick.yaml', [*FOLDER, 'data.val_split=0.25', 'data.channels=1']).data
    splits = load_folder_splits(d)
    assert (splits.train_x.shape, splits.val_x.shape) == ((30, 1, 24, 24), (10, 1, 24, 24))


def test_hidden_files_and_folders_are_skipped(photos, workdir):
    (photos/'train'/'.ipynb_checkpoints').mkdir()
    (photos/'train'/'.ipynb_checkpoints'/'x.png').write_bytes(b'junk')
    (photos/'train'/'class_0'/'._0.png').write_bytes(b'macOS resource fork')
    nested = photos/'train'/'class_1'/'more'
    nested.mkdir()
    Image.new('RGB', (30, 30)).save(nested/'extra.png')
    d = load_config('quick.yaml', FOLDER).data
    s = load_folder_splits(d)
    assert s.info.classes == ['class_0', 'class_1', 'class_2'] and len(s.train_y) == 61


@pytest.mark.parametrize('damage, message', [
    ('empty class', 'class_9 holds no image files'),
    ('val class missing from train', "class folder(s) class_7 that the training folder lacks"),
    ('no val folder', 'data.val_split: photos has no val/ (or valid/) folder'),
    ('no img_size', 'data.img_size: folder has images of varying sizes: set data.img_size'),
    ('not a folder', 'data.root nowhere is not a folder'),
    ('channels on mnist', 'data.channels: does not apply to dataset mnist'),
])
def test_folder_mistakes_are_named(photos, workdir, capsys, damage, message):
    extra = []
    if damage == 'empty class': (photos/'train'/'class_9').mkdir()
    if damage == 'val class missing from train': (photos/'val'/'class_7').mkdir()
    if damage == 'no val folder': shutil.rmtree(photos/'val')
    if damage == 'no img_size': extra = ['data.img_size=null']
    if damage == 'not a folder': extra = ['data.root=nowhere']
    if damage == 'channels on mnist': extra = ['data.dataset=mnist', 'data.root=data', 'data.img_size=null',
                                               'data.channels=1']
    capsys.readouterr()
    status = run('name=bad', *extra)
    err = capsys.readouterr().err
    assert status in (1, 2) and message in err and err.count('\n') == 1, err
    assert not (workdir/'runs'/'bad').exists()


def test_unreadable_files_stop_or_are_skipped_and_listed(photos, workdir, capsys):
    bad = photos/'train'/'class_2'/'broken.jpg'
    bad.write_bytes(b'\xff\xd8\xff not really a jpeg')
    (photos/'train'/'class_0'/'empty.png').write_bytes(b'')
    (photos/'val'/'class_1'/'cut.png').write_bytes(b'\x89PNG\r\n')
    capsys.readouterr()
    assert run('name=stop') == 1
    err = capsys.readouterr().err
    assert 'is not a readable image' in err and 'data.skip_bad_images=true' in err
    assert run('name=skip', 'data.skip_bad_images=true') == 0
    out = capsys.readouterr().out
    assert 'note: 2 train file(s) that Pillow cannot read were left out' in out, out
    assert 'note: 1 val file(s) that Pillow cannot read were left out' in out, out
    assert all(name in out for name in ('broken.jpg', 'empty.png', 'cut.png'))
    assert '60 train / 21 val' in out                          # 62 and 22 files, the bad ones left out
    listed = (workdir/'runs'/'skip'/'skipped_images.txt').read_text().splitlines()
    assert sorted((l.split('\t')[0], Path(l.split('\t')[1].split(' is not')[0]).name) for l in listed) == [
        ('train', 'broken.jpg'), ('train', 'empty.png'), ('val', 'cut.png')]


def test_photos_are_read_upright(photos, workdir, capsys):
    "A JPEG stored sideways with EXIF orientation 6 (a phone's portrait) is predicted as it is displayed."
    assert run('name=up', 'data.img_size=24') == 0
    shown = Image.open(image_files(photos/'val'/'class_0')[0]).convert('RGB').resize((24, 40))
    exif = Image.Exif(); exif[0x0112] = 6
    shown.transpose(Image.Transpose.ROTATE_90).save(workdir/'portrait.jpg', exif=exif, quality=95)
    stored = np.asarray(Image.open(workdir/'portrait.jpg'))                 # the pixels as stored, sideways
    Image.fromarray(np.rot90(stored, -1).copy()).save(workdir/'turned.png')   # turned by hand, no EXIF
    Image.fromarray(stored).save(workdir/'sideways.png')
    capsys.readouterr()
    assert predict_main([str(workdir/'runs'/'up'), str(workdir/'portrait.jpg'), str(workdir/'turned.png'),
                         str(workdir/'sideways.png'), '--json', '--topk', '3']) == 0
    portrait, turned, sideways = [json.loads(l)['top'] for l in capsys.readouterr().out.splitlines()]
    probs = lambda top: {t['class']: t['prob'] for t in top}
    gap = lambda a, b: max(abs(probs(a)[c] - probs(b).get(c, 0)) for c in probs(a))
    assert gap(portrait, turned) < 1e-5 and gap(portrait, sideways) > 1e-3, (portrait, turned, sideways)


def test_cache_follows_the_files(photos, workdir):
    d = load_config('quick.yaml', FOLDER).data
    first = load_folder_splits(d)
    before = tree(workdir/'cache')
    again = load_folder_splits(d)
    assert tree(workdir/'cache') == before and torch.equal(again.train_x, first.train_x), "read from the cache"
    img = image_files(photos/'train'/'class_0')[0]
    Image.open(img).convert('RGB').save(photos/'train'/'class_0'/'added.png')
    assert len(load_folder_splits(d).train_y) == 61, "an added image makes a new cache entry"
    (photos/'train'/'class_0'/'added.png').unlink()
    assert torch.equal(load_folder_splits(d).train_x, first.train_x), "and removing it finds the first entry again"


def test_memory_mapped_batches_equal_in_memory_batches(photos, workdir):
    d = load_config('quick.yaml', [*FOLDER, 'data.augment.hflip=true', 'data.augment.random_erasing=true']).data
    mem = load_folder_splits(d)
    mapped = load_folder_splits(load_config('quick.yaml', [*FOLDER, 'data.memory_fraction=1e-12']).data)
    assert not mem.memory_mapped and mapped.memory_mapped
    def batches(s):
        dl = DeviceLoader(s.train_x, s.train_y, 16, s.info.mean, s.info.std, shuffle=True, seed=3,
                          augment=Augment(d.augment, s.info.mean, seed=4), pin_memory=not s.memory_mapped)
        return [b for epoch in range(2) for b in dl]
    for (xa, ya), (xb, yb) in zip(batches(mem), batches(mapped)):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert run('name=mapped', 'data.memory_fraction=1e-12') == 0
    assert run('name=inmem') == 0
    a, b = (json.loads((workdir/'runs'/n/'metrics.jsonl').read_text()) for n in ('mapped', 'inmem'))
    assert (a['train_loss'], a['val_acc']) == (b['train_loss'], b['val_acc'])
