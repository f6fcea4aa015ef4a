"The shipped configs: the report experiment exactly as reported, and one example per dataset that trains."
import pytest
from conftest import REPO
from atnn.config import load_config
from atnn.data import list_datasets
from atnn.fakes import write_fake_cifar, write_fake_folder, write_fake_mnist, write_fake_pet
from atnn.run import train

CONFIGS = sorted((REPO/'configs').glob('*.yaml'))


def test_report_config_is_the_report_experiment():
    c = load_config(REPO/'configs'/'current_config.yaml')
    d, t = c.data, c.train
    assert (d.dataset, d.download, d.val_split, d.num_workers, d.val_batch_size) == ('cifar100', True, 'test', 3, 500)
    a = d.augment
    assert (a.hflip, a.random_crop, a.color_jitter, a.random_erasing) == (True, True, False, True)
    assert (c.model.name, c.model.pretrained) == ('resnest26d', False)
    o = c.optimizer
    assert (o.name, o.lr, o.weight_decay, o.momentum, o.nesterov) == ('sgd', 0.0003, 0.005, 0.99, True)
    assert (c.scheduler.name, c.scheduler.step_size, c.scheduler.gamma) == ('steplr', 20, 0.3)
    assert (t.epochs, t.batch_size) == (80, 64)
    s = t.batch_size_schedule
    assert (s.policy, s.max_batch_size, s.start_epoch, s.end_epoch, s.every) == ('linear', 128, 30, 80, 10)
    assert (t.early_stopping.monitor, t.early_stopping.patience) == ('val_acc', 10)
    assert c.tta.enabled and not c.wandb.enabled


def test_every_dataset_has_an_example_config():
    covered = {load_config(p).data.dataset for p in CONFIGS}
    assert covered >= set(list_datasets()), f"no example config for {set(list_datasets()) - covered}"


def write_fake(dataset, root):
    if dataset in ('mnist', 'fashion_mnist'):
        write_fake_mnist(root, {'mnist': 'MNIST', 'fashion_mnist': 'FashionMNIST'}[dataset], n_train=96, n_test=40)
    elif dataset in ('cifar10', 'cifar100'): write_fake_cifar(root, dataset, n_train=96, n_test=40)
    elif dataset == 'folder': write_fake_folder(root, {'train': 60, 'val': 21})
    else: write_fake_pet(root, n_train=74, n_test=37)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_example_config_trains_one_epoch_on_fake_data(path, tmp_path):
    "Each shipped config runs as written, shrunk in data size, epochs, precision, (Pet, folder) image size, weights."
    dataset = load_config(path).data.dataset
    write_fake(dataset, tmp_path/'data')
    shrink = [f'data.root={tmp_path}/data', 'data.download=false', f'data.cache_dir={tmp_path}/cache',
              f'output_dir={tmp_path}/runs', 'train.epochs=1', 'train.batch_size=32', 'train.progress=false',
              'train.precision=fp32']                  # a CPU's bf16 convolutions are several times slower
    if dataset in ('oxford_pet', 'folder'):
        shrink += ['data.img_size=48', 'model.pretrained=false', 'data.val_batch_size=37']
    cfg = load_config(path, shrink)
    summary = train(cfg, print_fn=lambda *a, **k: None)
    assert summary['epochs_run'] == 1 and 0 <= summary['final_val_acc'] <= 1
    assert (summary['tta_val_acc'] is not None) == cfg.tta.enabled
