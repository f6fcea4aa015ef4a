"""Data pipeline throughput: atnn's DeviceLoader against torchvision's DataLoader, side by side.

Both serve CIFAR-sized images (32x32 RGB, uint8 in memory) with the same four augmentations
(random crop with 4-pixel padding, horizontal flip, color jitter, random erasing) and normalization:
atnn batched on the device (here the CPU), torchvision per image with its v2 transforms on tensors in
`num_workers` worker processes with pinned memory, as the report experiment's seed pipeline did.
Each loader runs one warm-up epoch, then timed epochs; the figure is images per second.

    python bench/speed/data_pipeline.py [--n 10000] [--batch-size 64] [--epochs 2] [--num-workers 3]

Writes bench/results/data_pipeline.json and ends with `data_pipeline: <ratio>x (goal 5x)`.
"""
import sys, argparse, platform, time, warnings
from pathlib import Path
import torch
import torchvision.transforms.v2 as T
from torch.utils.data import DataLoader, Dataset
from atnn.augment import Augment
from atnn.config import AugmentConfig
from atnn.data import get_dataset
from atnn.fakes import fake_images
from atnn.loader import DeviceLoader
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import write_result

GOAL = 5.0


class TensorImages(Dataset):
    "Per-image access to uint8 tensors, with a torchvision transform: the conventional pipeline."
    def __init__(self, x, y, tfm): self.x, self.y, self.tfm = x, y, tfm
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return self.tfm(self.x[i]), self.y[i]


def images_per_second(loader, epochs, n):
    for _ in loader: pass                                   # warm-up epoch (workers start, caches fill)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader: pass
    return epochs * n / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=10000)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--num-workers', type=int, default=3)
    args = p.parse_args()
    warnings.filterwarnings('ignore', message='This DataLoader will create')   # 3 workers on 2 cores, as the report ran
    info = get_dataset('cifar100')
    x, y = fake_images(args.n, (3, 32, 32), 100)
    aug_cfg = AugmentConfig(hflip=True, random_crop=True, color_jitter=True, random_erasing=True)

    atnn_dl = DeviceLoader(x, y, args.batch_size, info.mean, info.std, shuffle=True,
                           augment=Augment(aug_cfg, info.mean, seed=0))
    tv_tfm = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                        T.ColorJitter(aug_cfg.brightness, aug_cfg.contrast, aug_cfg.saturation, aug_cfg.hue),
                        T.ToDtype(torch.float32, scale=True), T.Normalize(info.mean, info.std),
                        T.RandomErasing(aug_cfg.erasing_p, tuple(aug_cfg.erasing_scale), tuple(aug_cfg.erasing_ratio))])
    tv_dl = DataLoader(TensorImages(x, y, tv_tfm), batch_size=args.batch_size, shuffle=True,
                       num_workers=args.num_workers,
                       pin_memory=torch.cuda.is_available(), persistent_workers=args.num_workers > 0)

    atnn_ips = images_per_second(atnn_dl, args.epochs, args.n)
    tv_ips = images_per_second(tv_dl, args.epochs, args.n)
    ratio = atnn_ips / tv_ips
    print(f"{'pipeline':<44} {'images/s':>10}")
    print(f"{'atnn DeviceLoader (batched, on device)':<44} {atnn_ips:>10,.0f}")
    print(f"{f'torchvision DataLoader ({args.num_workers} workers, per image)':<44} {tv_ips:>10,.0f}")
    out = dict(name='data_pipeline', atnn_images_per_s=atnn_ips, torchvision_images_per_s=tv_ips, ratio=ratio,
               goal=GOAL,
               args=vars(args), torch=torch.__version__, cpu_count=torch.get_num_threads(), machine=platform.machine())
    write_result('data_pipeline', out)
    print(f"data_pipeline: {ratio:.1f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
