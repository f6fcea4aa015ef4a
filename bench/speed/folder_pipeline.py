"""A folder of JPEGs: atnn's decode-once cache and device loader vs torchvision's ImageFolder + DataLoader.

Writes a folder of N JPEGs (default 10,000 at 160 px, 10 classes, in train/<class>/), then measures, in one
process:

- first: atnn decoding the folder once into its cache (threads, `data.num_workers`), at 128 px;
- per epoch, alternating (ABAB...) and keeping the fastest: atnn's `DeviceLoader` with all four augmentations
  over the cached tensor, in memory and memory-mapped, and with the color jitter compiled (`train.compile`),
  against torchvision `ImageFolder` + transforms (resize, center crop, flip, padded random crop, color jitter,
  erasing, normalize) + `DataLoader` with the same number of worker processes, batch 128; no model, so the
  figure is the input pipeline's alone. The same again without color jitter (flip, crop, erasing), whose
  per-pixel hue rotation dominates the eager cost on a CPU;
- the private (anonymous) resident memory of a fresh process after one epoch, with the cache in memory and
  memory-mapped: the difference is the decoded split, which the memory-mapped path leaves in the page cache
  (file pages the kernel reclaims under pressure: what lets a cache larger than memory train).

    python bench/speed/folder_pipeline.py [--images 10000] [--size 160] [--img-size 128] [--workers 3] [--repeats 2]

Writes bench/results/folder_pipeline.json and ends with `folder_pipeline: <ratio>x (goal 5x)`: atnn's images/s
(in memory, after the first decode, default settings: eager color jitter) over torchvision's; the compiled
ratio is printed above it.
"""
import argparse, dataclasses, subprocess, sys, tempfile, time, warnings
from pathlib import Path
import torch
from PIL import Image
from atnn.augment import Augment
from atnn.config import load_config
from atnn.fakes import fake_images
from atnn.folder import load_folder_splits
from atnn.loader import DeviceLoader
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import best_of, write_result

GOAL = 5.0
AUG = ['data.augment.hflip=true', 'data.augment.random_crop=true', 'data.augment.color_jitter=true',
       'data.augment.random_erasing=true', 'data.augment.crop_padding=16']


def write_jpegs(root: Path, n: int, size: int):
    "n JPEGs of `size` px in root/train/<class>/ (and a small val/), from class patterns plus noise."
    for split, count in (('train', n), ('val', max(10, n // 50))):
        x, y = fake_images(count, (3, 20, 20), 10, split=split == 'val')
        x = torch.nn.functional.interpolate(x.float(), size=(size, size), mode='bilinear').to(torch.uint8)
        for i, (img, c) in enumerate(zip(x, y.tolist())):
            path = root/split/f'class_{c}'/f'{i:06d}.jpg'
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img.permute(1, 2, 0).numpy()).save(path, quality=90)


def config(root, cache, img_size, workers, *extra):
    return load_config(None, ['data.dataset=folder', f'data.root={root}', f'data.cache_dir={cache}',
                              f'data.img_size={img_size}', f'data.num_workers={workers}', *AUG, *extra]).data


def augment(d, s, jitter=True, compile=False) -> Augment:
    a = d.augment if jitter else dataclasses.replace(d.augment, color_jitter=False)
    return Augment(a, s.info.mean, compile=compile)


def atnn_epoch(s, aug: Augment) -> int:
    dl = DeviceLoader(s.train_x, s.train_y, 128, s.info.mean, s.info.std, shuffle=True, augment=aug,
                      pin_memory=not s.memory_mapped)
    return sum(len(yb) for _, yb in dl)


def torchvision_epoch(root, img_size, workers, mean, std, jitter=True) -> int:
    from torchvision import datasets, transforms as T
    tf = T.Compose([T.Resize(img_size), T.CenterCrop(img_size), T.RandomHorizontalFlip(),
                    T.RandomCrop(img_size, padding=16), *([T.ColorJitter(0.4, 0.4, 0.4, 0.1)] if jitter else []),
                    T.PILToTensor(), T.ConvertImageDtype(torch.float32), T.Normalize(mean, std), T.RandomErasing()])
    ds = datasets.ImageFolder(str(Path(root)/'train'), transform=tf)
    dl = torch.utils.data.DataLoader(ds, batch_size=128, shuffle=True, num_workers=workers)
    return sum(len(yb) for _, yb in dl)


RSS_CHILD = """
import sys
sys.path.insert(0, {bench!r})
from folder_pipeline import atnn_epoch, augment, config
from atnn.folder import load_folder_splits
d = config({root!r}, {cache!r}, {img_size}, {workers}, 'data.memory_fraction={fraction}')
s = load_folder_splits(d)
assert s.memory_mapped == ({fraction} < 1e-6)
atnn_epoch(s, augment(d, s, jitter=False))
status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)
print(int(status['RssAnon'].split()[0]) / 1024)
"""


def private_memory_mb(root, cache, args, fraction) -> float:
    "Private resident memory of a fresh process after one epoch from the cache (memory-mapped if `fraction` tiny)."
    code = RSS_CHILD.format(bench=str(Path(__file__).parent), root=str(root), cache=str(cache),
                            img_size=args.img_size, workers=args.workers, fraction=fraction)
    return float(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                                check=True).stdout.split()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', type=int, default=10000)
    p.add_argument('--size', type=int, default=160)
    p.add_argument('--img-size', type=int, default=128)
    p.add_argument('--workers', type=int, default=3)
    p.add_argument('--repeats', type=int, default=2)
    args = p.parse_args()
    warnings.filterwarnings('ignore', message='This DataLoader will create')
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp)/'photos', Path(tmp)/'cache'
        write_jpegs(root, args.images, args.size)
        d = config(root, cache, args.img_size, args.workers)
        t0 = time.perf_counter(); s = load_folder_splits(d); first = time.perf_counter() - t0
        dm = config(root, cache, args.img_size, args.workers, 'data.memory_fraction=1e-12')
        sm = load_folder_splits(dm)
        tv = lambda jitter: torchvision_epoch(root, args.img_size, args.workers, s.info.mean, s.info.std, jitter)
        eager, compiled, no_jitter = augment(d, s), augment(d, s, compile=True), augment(d, s, jitter=False)
        t = best_of({'atnn': lambda: atnn_epoch(s, eager), 'atnn_memory_mapped': lambda: atnn_epoch(sm, eager),
                     'atnn_compiled': lambda: atnn_epoch(s, compiled), 'torchvision': lambda: tv(True),
                     'atnn_no_jitter': lambda: atnn_epoch(s, no_jitter), 'torchvision_no_jitter': lambda: tv(False)},
                    args.repeats)
        memory = {k: private_memory_mb(root, cache, args, f) for k, f in (('in_memory', 0.9), ('memory_mapped', 1e-12))}
    n = len(s.train_y)
    rate = {k: n / v for k, v in t.items()}
    out = dict(name='folder_pipeline', args=vars(args), images=n, first_decode_seconds=first,
               decode_images_per_s=n / first, epoch_seconds=t, images_per_s=rate,
               ratio=rate['atnn'] / rate['torchvision'],
               memory_mapped_ratio=rate['atnn_memory_mapped'] / rate['torchvision'],
               compiled_ratio=rate['atnn_compiled'] / rate['torchvision'],
               no_jitter_ratio=rate['atnn_no_jitter'] / rate['torchvision_no_jitter'],
               decoded_mb=s.train_x.nbytes / 2**20, private_memory_mb=memory, goal=GOAL)
    write_result('folder_pipeline', out)
    print(f"first decode into the cache: {first:.1f} s ({n / first:,.0f} images/s)")
    for k, v in rate.items(): print(f"{k:<20} {v:>9,.0f} images/s per epoch")
    print(f"private memory after one epoch: {memory['in_memory']:,.0f} MB in memory, {memory['memory_mapped']:,.0f} MB "
          f"memory-mapped, for {out['decoded_mb']:,.0f} MB decoded")
    print(f"color jitter compiled (train.compile): {out['compiled_ratio']:.1f}x torchvision")
    print(f"folder_pipeline: {out['ratio']:.1f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
