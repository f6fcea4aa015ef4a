"""Time to accuracy on real Fashion-MNIST: atnn against a conventional tutorial-style training script.

Both train the same MLP (784-512-256-10, dropout 0.2) with the same optimizer (SGD, lr 0.05, momentum 0.9,
Nesterov, weight decay 5e-4), schedule (StepLR(4, 0.3)), batch size (128) and epochs (10), validating on the
10,000 test images every epoch. The reference is written the way most tutorials do it: torchvision's
FashionMNIST dataset with per-image `ToTensor` + `Normalize` transforms and a DataLoader with worker processes.
atnn is `atnn.run.train` on configs/fashion_mnist_mlp.yaml, timed end to end including decoding the data
(into a fresh cache). Setup not timed for the reference: unpacking the gzipped files into torchvision's layout.

    python bench/speed/time_to_accuracy.py [--data-root /usr/share/datasets/fashion-mnist] [--epochs 10]
        [--num-workers 2]

Writes bench/results/time_to_accuracy.json and ends with `time_to_accuracy: <speed-up>x (goal 2x)`.
"""
import sys, argparse, gzip, shutil, tempfile, time
from pathlib import Path
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from atnn.config import load_config
from atnn.run import train
from atnn.models import MLP
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # bench/, for shared.py
from shared import REPO, FASHION_ROOT, write_result

GOAL = 2.0


def reference(root, epochs, num_workers):
    "A tutorial-style training script; returns the final validation accuracy."
    tfm = T.Compose([T.ToTensor(), T.Normalize((0.2860,), (0.3530,))])
    train_ds = torchvision.datasets.FashionMNIST(root, train=True, transform=tfm)
    test_ds = torchvision.datasets.FashionMNIST(root, train=False, transform=tfm)
    train_dl = torch.utils.data.DataLoader(train_ds, batch_size=128, shuffle=True, num_workers=num_workers)
    test_dl = torch.utils.data.DataLoader(test_ds, batch_size=500, num_workers=num_workers)
    torch.manual_seed(0)
    model = MLP(784, [512, 256], 10, dropout=0.2)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, 4, 0.3)
    for epoch in range(epochs):
        model.train()
        for x, y in train_dl:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
        sched.step()
        model.eval(); correct = 0
        with torch.no_grad():
            for x, y in test_dl: correct += (model(x).argmax(1) == y).sum().item()
        acc = correct / len(test_ds)
        print(f"  reference epoch {epoch + 1}: val acc {acc:.4f}")
    return acc


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=FASHION_ROOT)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--num-workers', type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)/'tv'/'FashionMNIST'/'raw'
        raw.mkdir(parents=True)
        for f in Path(args.data_root).glob('*-ubyte*'):
            src = gzip.open(f) if f.suffix == '.gz' else open(f, 'rb')
            with src, open(raw/f.name.removesuffix('.gz'), 'wb') as dst: shutil.copyfileobj(src, dst)
        t0 = time.perf_counter()
        ref_acc = reference(str(Path(tmp)/'tv'), args.epochs, args.num_workers)
        ref_s = time.perf_counter() - t0
        cfg = load_config(REPO/'configs'/'fashion_mnist_mlp.yaml',
                          [f'data.root={args.data_root}', f'data.cache_dir={tmp}/cache', f'output_dir={tmp}/runs',
                           f'train.epochs={args.epochs}', 'train.progress=false'])
        t0 = time.perf_counter()
        atnn_acc = train(cfg, print_fn=lambda *a: None)['final_val_acc']
        atnn_s = time.perf_counter() - t0
    speedup = ref_s / atnn_s
    print(f"{'':28} {'val acc':>8} {'seconds':>8}")
    print(f"{'tutorial-style reference':28} {ref_acc:>8.2%} {ref_s:>8.1f}")
    print(f"{'atnn':28} {atnn_acc:>8.2%} {atnn_s:>8.1f}")
    out = dict(name='time_to_accuracy', epochs=args.epochs, reference_val_acc=ref_acc, reference_seconds=ref_s,
               atnn_val_acc=atnn_acc, atnn_seconds=atnn_s, speedup=speedup, goal=GOAL, num_workers=args.num_workers)
    write_result('time_to_accuracy', out)
    print(f"time_to_accuracy: {speedup:.1f}x (goal {GOAL:g}x)")


if __name__ == '__main__': main()
