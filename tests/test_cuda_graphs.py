"""CUDA graphs on a GPU (`pytest -m gpu`; skipped without CUDA): graphed runs equal eager ones, resume exactly,
and every setup that is captured trains without falling back. The CPU side (which configs capture, the
plumbing through a stand-in backend) is tested in nbs/08a_graphs."""
import json
import pytest
import torch
from atnn.callbacks import learner_tta_accuracy
from atnn.cli import main
from atnn.config import Config
from atnn.fakes import fake_images, write_fake_cifar
from atnn.graphs import CUDAGraphs, attach_graphs
from atnn.learner import Learner
from atnn.loader import DeviceLoader
from atnn.models import create_model
from atnn.predict import Predictor
import atnn.evaluate  # noqa: F401  (Predictor.interpret)
from atnn.tta import tta_accuracy, tta_predict
from conftest import metrics, summary, timeless

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]

# 3 epochs with a learning-rate change every epoch and a batch-size change at epoch 3 (32 -> 48; 600 images
# leave a partial last batch in each phase); the report's augmentation; resnet18 with the small stem at 32 px
SETUP = ['data.dataset=cifar100', 'device=cuda', 'model={name: resnet18, small_stem: true}', 'train.epochs=3',
         'train.batch_size=32', 'data.val_batch_size=100', 'scheduler={name: steplr, step_size: 1, gamma: 0.5}',
         'train.batch_size_schedule={policy: linear, max_batch_size: 48, start_epoch: 1, end_epoch: 3, every: 2}',
         'data.augment={hflip: true, random_crop: true, random_erasing: true}', 'tta.enabled=false']
OPTIMIZERS = {'sgd': 'optimizer={name: sgd, lr: 0.05, momentum: 0.9, nesterov: true}',
              'adamw': 'optimizer={name: adamw, lr: 0.001, weight_decay: 0.05}',
              'sam': 'optimizer={name: sam, base: sgd, lr: 0.05, momentum: 0.9, rho: 0.05}',
              'report': 'optimizer={name: sgd, lr: 0.0003, weight_decay: 0.005, momentum: 0.99, nesterov: true}'}


@pytest.fixture
def gpudir(workdir, monkeypatch):
    write_fake_cifar(workdir/'data', 'cifar100', n_train=600, n_test=200)
    monkeypatch.setattr(torch.backends.cudnn, 'deterministic', True)     # cuDNN's deterministic algorithms only
    return workdir


def train(name, *overrides):
    assert main(['--config', 'quick.yaml', f'name={name}', *SETUP, *overrides]) == 0
    return torch.load(f'runs/{name}/checkpoints/last.pt', weights_only=True)['model']


def max_difference(a: dict, b: dict) -> float:
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a if a[k].is_floating_point())


def assert_same_run(workdir, a: str, b: str, wa: dict, wb: dict, noise: float):
    "Runs `a` and `b` agree bit for bit, or where eager itself is not deterministic (`noise` > 0) within 10x it."
    diff = max_difference(wa, wb)
    print(f"{a} vs {b}: largest weight difference {diff:.3g} (eager vs eager: {noise:.3g})")
    if noise == 0:
        assert timeless(metrics(workdir, a)) == timeless(metrics(workdir, b))
        assert diff == 0, f"{a} and {b} differ by up to {diff:.3g} where eager runs are bit-identical"
    else: assert diff <= 10 * noise, f"{a} and {b} differ by {diff:.3g}, eager runs by {noise:.3g}"


@pytest.mark.parametrize('optimizer', OPTIMIZERS)
def test_graphed_equals_eager(gpudir, capsys, optimizer):
    opt = OPTIMIZERS[optimizer]
    eager = train('eager', opt, 'train.cuda_graphs=false')
    again = train('eager2', opt, 'train.cuda_graphs=false')
    graphed = train('graphed', opt, 'train.cuda_graphs=true')
    out = capsys.readouterr().out
    assert 'CUDA graphs: the training step' in out and 'could not be captured' not in out, out
    counts = summary(gpudir, 'graphed')['cuda_graphs']      # 32 images: warmed, captured, re-captured at the new
    # lr of epoch 2; 48 from epoch 3: warmed, captured; the partial last batch of 24: eager 3 times (once an epoch)
    assert counts['train']['capture'] == 3 and counts['train']['replay'] > counts['train']['eager'], counts
    assert summary(gpudir, 'eager')['cuda_graphs'] is None
    assert_same_run(gpudir, 'eager', 'graphed', eager, graphed, max_difference(eager, again))


def test_graphed_resume_equals_uninterrupted(gpudir):
    opt = OPTIMIZERS['sgd']
    full = train('full', opt, 'train.epochs=4')
    train('part', opt, 'train.epochs=2')
    part = train('part', opt, 'train.epochs=4', 'resume=runs/part')
    assert [m['epoch'] for m in metrics(gpudir, 'part')] == [1, 2, 3, 4]
    noise = max_difference(train('eager', opt, 'train.epochs=4', 'train.cuda_graphs=false'),
                           train('eager2', opt, 'train.epochs=4', 'train.cuda_graphs=false'))
    assert_same_run(gpudir, 'full', 'part', full, part, noise)


@pytest.mark.parametrize('extra', [
    ['model={name: resnest26d}', OPTIMIZERS['report'], 'train.precision=bf16', 'train.channels_last=true'],
    ['train.grad_clip={max: 1.0}', 'train.accumulate=2', 'train.label_smoothing=0.1'],
    ['train.mixup={}', 'train.ema={decay: 0.99}', OPTIMIZERS['adamw']],
    [OPTIMIZERS['sam'], 'train.precision=bf16', 'data.last_batch=carry'],
    ['model={name: mlp}', 'optimizer={name: adam, lr: 0.001}', 'tta.enabled=true'],
], ids=['report-bf16-cl', 'clip-accumulate-smoothing', 'mixup-ema-adamw', 'sam-bf16-carry', 'mlp-adam-tta'])
def test_captured_setups_train(gpudir, capsys, extra):
    train('setup', *extra)
    out = capsys.readouterr().out
    assert 'CUDA graphs: the training step' in out and 'could not be captured' not in out, out
    s = summary(gpudir, 'setup')
    assert s['cuda_graphs']['train']['replay'] > 0 and s['cuda_graphs']['eval']['replay'] > 0, s['cuda_graphs']
    if 'tta.enabled=true' in extra: assert s['cuda_graphs']['tta']['replay'] > 0, s['cuda_graphs']
    assert all(m['train_loss'] == m['train_loss'] for m in metrics(gpudir, 'setup')), "no NaN"


def test_graphed_tta_equals_eager(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, 'deterministic', True)
    torch.manual_seed(0)
    model = create_model(Config.from_dict({'model': {'name': 'resnet18', 'small_stem': True}}).model, 3, 10, 32).cuda()
    x, y = fake_images(300, (3, 32, 32), 10)
    dl = DeviceLoader(x, y, 100, (0.5,) * 3, (0.25,) * 3, device='cuda')
    learn = attach_graphs(Learner(model, dl, dl, torch.optim.SGD(model.parameters(), lr=0.1), device='cuda'),
                          CUDAGraphs(torch.device('cuda')))
    tta = Config.from_dict({'tta': {'max_batch': 250}}).tta      # 2 views of 100 images a pass: 9 passes a batch
    assert learner_tta_accuracy(learn, dl, tta) == tta_accuracy(model, dl, tta)
    assert learn.tta_graphs.counts['replay'] >= 20 and learn.tta_graphs.failed is None, learn.tta_graphs.counts
    xb = next(iter(dl))[0]
    model.eval()
    graphed, eager = tta_predict(learn.tta_forward, xb, tta, 0.)[0], tta_predict(model, xb, tta, 0.)[0]
    assert torch.equal(graphed, eager), f"TTA scores differ by up to {(graphed - eager).abs().max().item():.3g}"


def test_graphed_evaluation_equals_eager(gpudir):
    train('run', OPTIMIZERS['sgd'], 'train.epochs=1', 'data.val_split=0.25')
    graphed, eager = (Predictor.from_run('runs/run', overrides=o) for o in ([], ['train.cuda_graphs=false']))
    assert graphed.graphs is not None and eager.graphs is None
    for _ in range(2):                    # the second time every shape is replayed
        a, b = graphed.interpret('test', tta=True).report, eager.interpret('test', tta=True).report
        assert (a['accuracy'], a['tta_accuracy'], a['loss']) == (b['accuracy'], b['tta_accuracy'], b['loss'])
    assert graphed.graphs.counts['replay'] > 0 and graphed.graphs.failed is None, graphed.graphs.counts


@pytest.mark.parametrize('override, why', [('train.precision=fp16', 'overflow flag'),
                                           ('optimizer={name: muon, lr: 0.02}', 'not verified')])
def test_what_cannot_be_captured_runs_eagerly_with_a_note(gpudir, capsys, override, why):
    train('eager', override)
    out = capsys.readouterr().out
    assert out.count('note: the training step runs eagerly, not as a CUDA graph') == 1 and why in out, out
    assert json.loads((gpudir/'runs'/'eager'/'summary.json').read_text())['cuda_graphs'] is None
