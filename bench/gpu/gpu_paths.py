"""The CUDA paths of the loader and of TTA, checked against each other and timed (one process, ABAB, best of 3).

- Loader: the same seeded, augmented (crop, flip, colour jitter, erasing) epoch of CIFAR-shaped uint8 images, once
  with the images resident on the GPU and once from pinned host memory with non-blocking copies: the batches must
  be bit-identical; prints both rates and their ratio.
- TTA: 18-view predictions of a small convolutional net on the GPU against the same on the CPU (fp32): the
  aggregated scores must agree to 1e-4, the argmax everywhere.

    python bench/gpu/gpu_paths.py [--images 20000] [--dry-run-cpu]

Writes bench/results/gpu_paths.json and ends with `gpu_paths: <resident / pinned images/s>x`.
"""
import sys, argparse, time
from pathlib import Path
import torch
from torch import nn
from atnn.config import AugmentConfig, TTAConfig
from atnn.augment import Augment
from atnn.loader import DeviceLoader
from atnn.tta import tta_predict
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import write_result

MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def loader(x, y, device, resident):
    aug = Augment(AugmentConfig(color_jitter=True), MEAN, seed=1, device=device)
    return DeviceLoader(x, y, 256, MEAN, STD, shuffle=True, seed=0, device=device, augment=aug,
                        keep_on_device=resident)


def epoch(dl, device) -> tuple[list, float]:
    t0 = time.perf_counter()
    batches = [xb.sum((1, 2, 3)) for xb, _ in dl]     # a fingerprint per image keeps memory flat
    if device.type == 'cuda': torch.cuda.synchronize()
    return batches, time.perf_counter() - t0


def check_loader(x, y, device, repeats=3) -> dict:
    best = {True: float('inf'), False: float('inf')}
    for _ in range(repeats):                           # ABAB: resident, pinned, resident, pinned, ...
        prints = {}
        for resident in (True, False):
            prints[resident], sec = epoch(loader(x, y, device, resident), device)
            best[resident] = min(best[resident], sec)
        same = all(torch.equal(a, b) for a, b in zip(prints[True], prints[False]))
        assert same, "pinned-host batches differ from GPU-resident ones"
    return dict(images=len(x), resident_images_per_s=len(x) / best[True], pinned_images_per_s=len(x) / best[False],
                identical=True)


def check_tta(device) -> dict:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(16, 10)).eval()
    x = torch.randn(300, 3, 32, 32)
    fill = (-torch.tensor(MEAN) / torch.tensor(STD))
    cpu, passes_cpu = tta_predict(net, x, TTAConfig(), fill)
    gpu, passes_gpu = tta_predict(net.to(device), x.to(device), TTAConfig(), fill.to(device))
    diff = (cpu - gpu.cpu()).abs().max().item()
    assert diff < 1e-4 and torch.equal(cpu.argmax(-1), gpu.argmax(-1).cpu()), f"TTA on {device} differs: {diff}"
    return dict(max_abs_diff=diff, passes_cpu=passes_cpu, passes_device=passes_gpu)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', type=int, default=20000)
    p.add_argument('--dry-run-cpu', action='store_true', help="check the script itself on the CPU with tiny data")
    args = p.parse_args()
    if args.dry_run_cpu: device, args.images = torch.device('cpu'), 1024
    elif not torch.cuda.is_available(): raise SystemExit("gpu_paths needs a CUDA GPU (--dry-run-cpu checks the script)")
    else: device = torch.device('cuda')
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (args.images, 3, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 10, (args.images,), generator=g)
    out = dict(device=torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu',
               loader=check_loader(x, y, device), tta=check_tta(device))
    if device.type == 'cuda':
        write_result('gpu_paths', out)
    l = out['loader']
    print(f"loader: resident {l['resident_images_per_s']:.0f} img/s, pinned host {l['pinned_images_per_s']:.0f} img/s, "
          f"identical batches; TTA {device} vs cpu max |diff| {out['tta']['max_abs_diff']:.2e}")
    print(f"gpu_paths: {l['resident_images_per_s'] / l['pinned_images_per_s']:.2f}x (resident vs pinned images/s)")


if __name__ == '__main__': main()
