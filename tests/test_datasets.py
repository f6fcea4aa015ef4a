"The five datasets through the command line, on fake files in their real formats."
import pytest
from atnn.cli import main
from conftest import summary
from atnn.fakes import write_fake_cifar, write_fake_pet


def run(workdir, *overrides):
    return main(['--config', 'quick.yaml', 'train.epochs=1', *overrides])



@pytest.mark.parametrize('name', ['cifar10', 'cifar100'])
def test_cifar_with_all_augmentations(workdir, name):
    write_fake_cifar(workdir/'data', name, n_train=300, n_test=60)
    all_on = [f'data.augment.{a}=true' for a in ('hflip', 'random_crop', 'color_jitter', 'random_erasing')]
    assert run(workdir, f'data.dataset={name}', f'name={name}', *all_on) == 0
    s = summary(workdir, name)
    assert s['epochs_run'] == 1 and 0 <= s['final_val_acc'] <= 1


def test_cifar_resized_and_held_out(workdir):
    write_fake_cifar(workdir/'data', 'cifar10', n_train=300, n_test=60)
    assert run(workdir, 'data.dataset=cifar10', 'data.img_size=40', 'data.val_split=0.2', 'name=c40') == 0
    assert list((workdir/'cache').glob('cifar10-train-40-*.pt'))
    assert list((workdir/'cache').glob('cifar10-test-40-*.pt')), "the test split is read for the final test figures"
    assert summary(workdir, 'c40')['test_acc'] is not None


def test_truncated_cifar_pickle_exits_1_naming_it(workdir, capsys):
    folder = write_fake_cifar(workdir/'data', 'cifar100', n_train=100, n_test=20)
    (folder/'train').write_bytes((folder/'train').read_bytes()[:999])
    assert run(workdir, 'data.dataset=cifar100') == 1
    err = capsys.readouterr().err
    assert 'cifar-100-python/train is not a readable CIFAR pickle' in err and err.count('\n') == 1


def test_missing_cifar_names_files_and_download(workdir, capsys):
    assert run(workdir, 'data.dataset=cifar10') == 1
    err = capsys.readouterr().err
    assert 'CIFAR10 not found: expected data_batch_1' in err and 'data.download=true' in err


def test_pet_decoded_once_then_cached(workdir, monkeypatch):
    write_fake_pet(workdir/'data', n_train=74, n_test=37)
    args = ('data.dataset=oxford_pet', 'data.img_size=32', 'data.num_workers=2')
    assert run(workdir, *args, 'name=pet1') == 0
    import atnn.data
    def no_decoding(*a, **k): raise AssertionError("decoded again despite the cache")
    monkeypatch.setattr(atnn.data, 'decode_square', no_decoding)
    assert run(workdir, *args, 'name=pet2') == 0
    assert summary(workdir, 'pet2')['final_val_acc'] == summary(workdir, 'pet1')['final_val_acc']
    assert len(list((workdir/'cache').glob('oxford_pet-*-32-*.pt'))) == 2


def test_pet_without_img_size_is_a_config_error(workdir, capsys):
    write_fake_pet(workdir/'data', n_train=10, n_test=5)
    assert run(workdir, 'data.dataset=oxford_pet') == 2
    assert capsys.readouterr().err == ("error: data.img_size: oxford_pet has images of varying sizes: "
                                       "set data.img_size (e.g. 224)\n")


def test_corrupted_pet_files_exit_1_naming_them(workdir, capsys):
    base = write_fake_pet(workdir/'data', n_train=20, n_test=10)
    lst = base/'annotations'/'trainval.txt'
    lst.write_text(lst.read_text() + 'broken line\n')
    assert run(workdir, 'data.dataset=oxford_pet', 'data.img_size=32') == 1
    assert "trainval.txt, line 21: expected '<id> <class 1-37> <species> <breed>'" in capsys.readouterr().err
    lst.write_text(''.join(lst.read_text().splitlines(keepends=True)[:-1]))
    image = base/'images'/(lst.read_text().split()[0] + '.jpg')
    image.write_bytes(b'not a jpeg')
    assert run(workdir, 'data.dataset=oxford_pet', 'data.img_size=32') == 1
    assert f'{image.name} is not a readable image' in capsys.readouterr().err
    assert not (workdir/'runs').exists()


def test_crop_padding_too_large_for_img_size(workdir, capsys):
    assert run(workdir, 'data.img_size=12', 'data.augment.random_crop=true', 'data.augment.crop_padding=6') == 2
    assert capsys.readouterr().err.startswith('error: data.augment.crop_padding: 6 pixels')


def test_grayscale_color_jitter_says_what_it_skips(workdir, capsys):
    assert run(workdir, 'data.augment.color_jitter=true', 'name=gj') == 0
    out = capsys.readouterr().out
    assert 'mnist is grayscale: color_jitter applies brightness and contrast, skips saturation and hue' in out
