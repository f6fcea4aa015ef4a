"""One prepared GPU check: every CUDA path of atnn on synthetic CIFAR-100-shaped data, in under 8 minutes.

For the report experiment's model (resnest26d, 100 classes, 32 px) and its batch sizes (64, then 128), trains
with each variant below through atnn's own Learner and DeviceLoader (data on the GPU, cuDNN benchmark and TF32
on), and reports images/second, peak GPU memory (atnn's train_mem_mb) and the final loss:

    fp32 | bf16 | fp16 (gradient scaler) | bf16 + channels_last | bf16 + channels_last + torch.compile

At each batch size, each variant runs a warm-up epoch (cuDNN autotunes every new shape; compilation and
recompilation happen there), then a timed one (a first GPU session timed batch 128 without its own warm-up and
measured the autotuning instead). Ends with `gpu_check: <bf16+channels_last images/s / fp32 images/s>x`.

    python bench/gpu/gpu_check.py [--images 12800] [--no-compile]

Writes bench/results/gpu_check.json.
"""
import argparse, json, sys, time
from pathlib import Path
import torch
from atnn.utils import reset_peak_memory, use_fast_cuda_kernels
from atnn.config import Config
from atnn.fakes import fake_images
from atnn.learner import Learner, compile_warm_up
from atnn.utils import supported_precision
from atnn.loader import DeviceLoader
from atnn.models import create_model
from atnn.optim import create_optimizer
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import RESULTS

RESULT = RESULTS/'gpu_check.json'
VARIANTS = [('fp32', False, False), ('bf16', False, False), ('fp16', False, False), ('bf16', True, False),
            ('bf16', True, True)]


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def check(precision, channels_last, compiled, x, y, device):
    cfg = Config.from_dict({'model': {'name': 'resnest26d'}, 'data': {'dataset': 'cifar100'},
                            'optimizer': {'name': 'sgd', 'lr': 0.0003, 'weight_decay': 0.005, 'momentum': 0.99,
                                          'nesterov': True}})
    torch.manual_seed(0)
    model = create_model(cfg.model, 3, 100, 32).to(device)
    if channels_last: model = model.to(memory_format=torch.channels_last)
    opt = create_optimizer(cfg.optimizer, model)
    if compiled: model = torch.compile(model)
    mean, std = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
    train_dl = DeviceLoader(x, y, 64, mean, std, shuffle=True, device=device, channels_last=channels_last)
    val_dl = DeviceLoader(x[:1000], y[:1000], 500, mean, std, device=device, channels_last=channels_last)
    learn = Learner(model, train_dl, val_dl, opt, device=device, precision=supported_precision(precision, device),
                    compiled=compiled)
    out = dict(precision=precision, channels_last=channels_last, compile=compiled, warm_up_seconds=0.0)
    learn.epoch = 1
    for bs in (64, 128):
        train_dl.batch_size = bs
        t0 = time.perf_counter()
        if compiled: compile_warm_up(learn)
        learn.one_epoch(train=True)     # warm-up at each size: cuDNN autotunes every new shape, compile retraces
        sync(device); out['warm_up_seconds'] += time.perf_counter() - t0
        reset_peak_memory(device); t0 = time.perf_counter()
        loss, acc, mem = learn.one_epoch(train=True)
        sync(device); sec = time.perf_counter() - t0
        out[f'bs{bs}'] = dict(images_per_second=len(x) / sec, train_mem_mb=mem, loss=loss)
    val_loss, val_acc, val_mem = learn.one_epoch(train=False)
    out['val_mem_mb'] = val_mem
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', type=int, default=12800)
    p.add_argument('--no-compile', action='store_true')
    p.add_argument('--variants', nargs='+', type=int, default=list(range(len(VARIANTS))),
                   help="indices into VARIANTS to run; the results file keeps earlier rows of the others")
    p.add_argument('--dry-run-cpu', action='store_true', help="check the script itself on the CPU with tiny data")
    args = p.parse_args()
    if args.dry_run_cpu: device, args.images = torch.device('cpu'), 256
    elif not torch.cuda.is_available():
        raise SystemExit("gpu_check needs a CUDA GPU; this machine has none (--dry-run-cpu checks the script)")
    else: device = torch.device('cuda')
    use_fast_cuda_kernels(device)
    device_name = torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU (dry run)'
    print(f"{device_name}, torch {torch.__version__}, cudnn.benchmark={torch.backends.cudnn.benchmark}")
    x, y = fake_images(args.images, (3, 32, 32), 100)
    measured = [VARIANTS[i] for i in args.variants]
    key = lambda r: (r['precision'], r['channels_last'], r['compile'])
    earlier = json.loads(RESULT.read_text())['rows'] if RESULT.exists() and device.type == 'cuda' else []
    rows = [r for r in earlier if key(r) not in set(measured)]
    for precision, cl, comp in measured:
        if comp and args.no_compile: continue
        r = dict(check(precision, cl, comp, x, y, device), images=len(x), warm_up_per_batch_size=True)
        rows = sorted([*rows, r], key=lambda r: VARIANTS.index(key(r)))
        if device.type == 'cuda':                       # after every row: a run cut short keeps what it measured
            RESULT.write_text(json.dumps(dict(device=device_name, torch=torch.__version__, rows=rows), indent=2) + '\n')
        name = precision + (' + channels_last' if cl else '') + (' + compile' if comp else '')
        print(f"{name:34s} " + '  '.join(f"bs {bs}: {r[f'bs{bs}']['images_per_second']:8.0f} img/s "
                                           f"{r[f'bs{bs}']['train_mem_mb']:7.0f} MB" for bs in (64, 128))
              + f"  warm-up {r['warm_up_seconds']:.1f} s", flush=True)
    fp32 = next(r for r in rows if r['precision'] == 'fp32')['bs64']['images_per_second']
    fast = next(r for r in rows if r['precision'] == 'bf16' and r['channels_last'] and not r['compile'])
    fast = fast['bs64']['images_per_second']
    print(f"gpu_check: {fast / fp32:.2f}x (bf16 + channels_last vs fp32 images/s at batch 64)")


if __name__ == '__main__': main()
