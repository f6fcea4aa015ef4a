"""A folder larger than memory: 100,000 JPEGs whose decoded cache (15 GB at 224 px) exceeds the memory budget.

Writes N JPEGs (default 100,000 at 256 px, 10 classes, in train/<class>/, and a small val/) with worker
processes, then in a fresh process (so that its memory figures are its own):

- `load_folder_splits` with the default budget (`data.memory_fraction` 0.5 of available memory): the decoded
  training set is larger, so the cache is a memory-mapped file; the time to decode it once is reported;
- one epoch of batches (flip, padded crop, erasing; batch 256) gathered from the mapped cache by the
  `DeviceLoader`, as training would see them, timed;
- the process's private (anonymous) resident memory, sampled after every batch, and its peak resident set
  (VmHWM), which also counts the page-cache pages of the mapped file that the kernel may drop at any time.

    python bench/speed/folder_large.py [--images 100000] [--size 256] [--img-size 224] [--dir DIR] [--keep]

Needs ~17 GB of free disk under --dir (default: a temporary folder, removed afterwards unless --keep).
Writes bench/results/folder_large.json and ends with `folder_large: <peak private memory / decoded size>x
(goal 0.5x)`: how much of the decoded set had to be held privately (in memory, the in-memory path holds 1x).
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from multiprocessing import Pool
from pathlib import Path
import torch
from PIL import Image
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import write_result

GOAL = 0.5
CHUNK = 500


def write_chunk(job):
    "JPEGs `start`..`start + count` of a split: class patterns plus noise, upsampled to `size` px."
    root, split, start, count, size = job
    from atnn.fakes import fake_images
    torch.set_num_threads(1)
    x, y = fake_images(count, (3, 16, 16), 10, split=start + (split == 'val'))
    x = torch.nn.functional.interpolate(x.float(), size=(size, size), mode='bilinear').to(torch.uint8)
    for i, (img, c) in enumerate(zip(x, y.tolist())):
        path = Path(root)/split/f'class_{c}'/f'{start + i:07d}.jpg'
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(path, quality=85)


def write_jpegs(root: Path, n: int, size: int):
    jobs = [(str(root), split, s, min(CHUNK, count - s), size)
            for split, count in (('train', n), ('val', max(10, n // 100))) for s in range(0, count, CHUNK)]
    with Pool(os.cpu_count()) as pool: pool.map(write_chunk, jobs)


CHILD = """
import json, time
from atnn.augment import Augment
from atnn.config import load_config
from atnn.folder import load_folder_splits
from atnn.loader import DeviceLoader

def status():
    lines = open('/proc/self/status').read().splitlines()
    return {{k: int(v.split()[0]) / 2**20 for k, v in (l.split(':', 1) for l in lines) if k in ('RssAnon', 'VmHWM')}}

d = load_config(None, ['data.dataset=folder', 'data.root={root}', 'data.cache_dir={cache}', 'data.img_size={img_size}',
                       'data.num_workers={workers}', 'data.augment.color_jitter=false']).data
t0 = time.perf_counter(); s = load_folder_splits(d); decode = time.perf_counter() - t0
dl = DeviceLoader(s.train_x, s.train_y, 256, s.info.mean, s.info.std, shuffle=True,
                  augment=Augment(d.augment, s.info.mean), pin_memory=False)
peak, n, t0 = status()['RssAnon'], 0, time.perf_counter()
for xb, yb in dl:
    n += len(yb); peak = max(peak, status()['RssAnon'])
epoch = time.perf_counter() - t0
print(json.dumps(dict(memory_mapped=s.memory_mapped, images=n, decode_seconds=decode, epoch_seconds=epoch,
                      decoded_gb=s.train_x.nbytes / 2**30, peak_private_gb=peak, peak_resident_gb=status()['VmHWM'])))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', type=int, default=100_000)
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--workers', type=int, default=os.cpu_count())
    p.add_argument('--dir', default=None, help="where to write the JPEGs and the cache (default: a temporary folder)")
    p.add_argument('--keep', action='store_true', help="keep the JPEGs and the cache")
    args = p.parse_args()
    top = Path(args.dir or tempfile.mkdtemp(prefix='folder_large-'))
    root, cache = top/'photos', top/'cache'
    try:
        t0 = time.perf_counter()
        if not (root/'train').is_dir(): write_jpegs(root, args.images, args.size)
        written = time.perf_counter() - t0
        code = CHILD.format(root=root, cache=cache, img_size=args.img_size, workers=args.workers)
        r = json.loads(subprocess.run([sys.executable, '-c', code], capture_output=False, stdout=subprocess.PIPE,
                                      text=True, check=True).stdout.splitlines()[-1])
    finally:
        if not args.keep: shutil.rmtree(top, ignore_errors=True)
    total_gb = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30
    out = dict(name='folder_large', args=vars(args), machine_memory_gb=total_gb, write_seconds=written, **r,
               images_per_s=r['images'] / r['epoch_seconds'], decode_images_per_s=r['images'] / r['decode_seconds'],
               ratio=r['peak_private_gb'] / r['decoded_gb'], goal=GOAL)
    write_result('folder_large', out)
    print(f"{r['images']:,} images decoded to {r['decoded_gb']:.1f} GiB on a {total_gb:.0f} GiB machine "
          f"(memory-mapped: {r['memory_mapped']}); decoding once took {r['decode_seconds']:.0f} s")
    print(f"one epoch of batches from the mapped cache: {out['images_per_s']:,.0f} images/s; peak private memory "
          f"{r['peak_private_gb']:.2f} GiB, peak resident {r['peak_resident_gb']:.1f} GiB "
          "(with reclaimable file pages)")
    print(f"folder_large: {out['ratio']:.2f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
