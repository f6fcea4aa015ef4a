"Models and optimizers through the command line, on fake data."
import torch
from atnn.cli import main
from atnn.fakes import write_fake_cifar
from conftest import summary


def test_resnet18_with_sam_checkpoints_its_base_optimizer(workdir):
    "Every optimizer trains in nbs/08_learner; here, that SAM's state (its base's) reaches the checkpoint."
    opt = ['optimizer.name=sam', 'optimizer.base=adam', 'optimizer.adaptive=true']
    args = ['--config', 'quick.yaml', 'model={name: resnet18}', 'train.epochs=1', 'data.subset=64', 'name=r', *opt]
    assert main(args) == 0
    s = summary(workdir, 'r')
    assert s['epochs_run'] == 1 and 0 <= s['final_val_acc'] <= 1
    ck = torch.load(workdir/'runs'/'r'/'checkpoints'/'last.pt', weights_only=True)
    assert ck['optimizer']['state'], "the optimizer state (SAM: its base's) is in the checkpoint"


def test_unknown_model_lists_close_timm_names(workdir, capsys):
    assert main(['--config', 'quick.yaml', 'model={name: resnest26}']) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model.name: unknown model 'resnest26'; close names: ") and 'resnest26d' in err


def test_pretrained_file_of_another_architecture_is_refused(workdir, capsys):
    import timm
    torch.save(timm.create_model('resnet50').state_dict(), workdir/'r50.pth')
    assert main(['--config', 'quick.yaml', 'model={name: resnet18, pretrained: r50.pth}']) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: model.pretrained: the weights in r50.pth do not fit resnet18')
    assert err.count('\n') == 1
    assert not (workdir/'runs').exists()


def test_pretrained_file_round_trip(workdir):
    "A run's best weights, saved as a plain state dict, start another run on another dataset (new head)."
    import timm
    src = timm.create_model('resnet18', num_classes=1000, in_chans=3)
    torch.save(src.state_dict(), workdir/'r18.pth')
    write_fake_cifar(workdir/'data', 'cifar10', n_train=64, n_test=32)
    assert main(['--config', 'quick.yaml', 'model={name: resnet18, pretrained: r18.pth}', 'data.dataset=cifar10',
                 'train.epochs=1', 'optimizer.lr=0.0', 'name=ft']) == 2   # lr must be > 0: config error, nothing run
    assert main(['--config', 'quick.yaml', 'model={name: resnet18, pretrained: r18.pth}', 'data.dataset=cifar10',
                 'train.epochs=1', 'optimizer.lr=1e-9', 'optimizer.momentum=0', 'optimizer.nesterov=false',
                 'optimizer.weight_decay=0', 'name=ft']) == 0
    ck = torch.load(workdir/'runs'/'ft'/'checkpoints'/'last.pt', weights_only=True)['model']
    assert torch.allclose(ck['layer2.0.conv1.weight'], src.state_dict()['layer2.0.conv1.weight'], atol=1e-6)
    assert ck['fc.weight'].shape == (10, 512)


def test_small_stem_runs(workdir):
    assert main(['--config', 'quick.yaml', 'model={name: resnest14d, small_stem: true}', 'data.subset=40',
                 'train.epochs=1', 'name=ss', 'tta.enabled=false']) == 0
