"""atnn-predict's throughput on a folder of PNG files, against timm's approach and against decoding alone.

Writes the 10,000 Fashion-MNIST test images as PNG files (in class folders, as torchvision's `ImageFolder`
wants), then, for an MLP and resnet18, in one process, alternating (ABAB...) and keeping the fastest of each:

- decode: atnn's decoding alone, the same chunks in the same worker processes, no model (the bound);
- atnn: `Predictor.predict_files` (what `atnn-predict` runs): decode in `data.num_workers` processes a few
  chunks ahead of the model, top-5 classes per image;
- torchvision: `ImageFolder` + `DataLoader` (the same number of worker processes, batch 500) + the same model
  and top-5, as timm's `inference.py` does it.

    python bench/speed/predict_speed.py [--data-root /usr/share/datasets/fashion-mnist] [--repeats 3] [--workers 3]

Writes bench/results/predict_speed.json and ends with `predict_speed: <ratio>x (goal 1.0x)`: atnn's images/s over
torchvision's for resnet18. `decode_bound` in the JSON is atnn's rate over decoding's alone (1.0: the model adds
nothing).
"""
import sys, argparse, tempfile, warnings
from pathlib import Path
import torch
from PIL import Image
from atnn.config import Config
from atnn.data import get_dataset, load_split
from atnn.predict import Predictor, decode_files, decoder_pool
from atnn.models import create_model
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import FASHION_ROOT, best_of, write_result

GOAL = 1.0


def write_pngs(x: torch.Tensor, y: torch.Tensor, classes, folder: Path) -> list[Path]:
    "Images `x` as PNG files `folder/<class>/<index>.png`; the paths in order."
    paths = []
    for i, (img, label) in enumerate(zip(x, y.tolist())):
        path = folder/classes[label].replace('/', '_')/f'{i:05d}.png'
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img[0].numpy()).save(path)
        paths.append(path)
    return paths


@torch.no_grad()
def torchvision_predict(model, folder, mean, std, workers: int) -> int:
    "Top-5 classes of every image under `folder` the torchvision way; the number of images."
    import torchvision.transforms as T
    from torchvision.datasets import ImageFolder
    ds = ImageFolder(str(folder), transform=T.Compose([T.Grayscale(1), T.ToTensor(), T.Normalize(mean, std)]))
    dl = torch.utils.data.DataLoader(ds, batch_size=500, num_workers=workers)
    return sum(len(model(xb).softmax(-1).topk(5, -1)[1]) for xb, _ in dl)


def decode_only(paths, workers: int, chunk=256) -> int:
    "Decode `paths` as `predict_files` does (same chunks, same processes), without a model; the number decoded."
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    with decoder_pool(workers) as pool:
        return sum(len(x) for x, _ in pool.map(decode_files, chunks, *([v] * len(chunks) for v in (28, 28, 1))))


def config(model: str, data_root: str, workers: int) -> Config:
    return Config.from_dict(dict(data=dict(dataset='fashion_mnist', root=data_root, download=False, val_batch_size=500,
                                           num_workers=workers), model=dict(name=model), tta=dict(enabled=False)))


def case(model_name: str, data_root: str, info, paths, folder, repeats: int, workers: int) -> dict:
    cfg = config(model_name, data_root, workers)
    model = create_model(cfg.model, info.channels, info.num_classes, 28).eval()
    pred = Predictor(model, cfg, info)
    t = best_of({'decode': lambda: decode_only(paths, workers), 'atnn': lambda: list(pred.predict_files(paths)),
                 'torchvision': lambda: torchvision_predict(model, folder, info.mean, info.std, workers)}, repeats)
    rate = {k: len(paths) / v for k, v in t.items()}
    return dict(images=len(paths), seconds=t, images_per_s=rate, ratio=rate['atnn'] / rate['torchvision'],
                decode_bound=rate['atnn'] / rate['decode'])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--workers', type=int, default=3)
    args = p.parse_args()
    warnings.filterwarnings('ignore', message='This DataLoader will create')     # 3 workers on 2 cores: as atnn
    info = get_dataset('fashion_mnist')
    x, y = load_split(info, config('mlp', args.data_root, args.workers).data, train=False)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_pngs(x, y, info.classes, Path(tmp))
        cases = {m: case(m, args.data_root, info, paths, Path(tmp), args.repeats, args.workers)
                 for m in ('mlp', 'resnet18')}
    for m, c in cases.items():
        r = c['images_per_s']
        print(f"{m:<9} images/s: decode only {r['decode']:,.0f}, atnn {r['atnn']:,.0f}, torchvision "
              f"{r['torchvision']:,.0f}: atnn/torchvision {c['ratio']:.2f}x, atnn/decode {c['decode_bound']:.2f}")
    out = dict(name='predict_speed', data_root=args.data_root, repeats=args.repeats, workers=args.workers,
               torch_threads=torch.get_num_threads(), cases=cases, ratio=cases['resnet18']['ratio'], goal=GOAL)
    write_result('predict_speed', out)
    print(f"predict_speed: {out['ratio']:.2f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
