"""The README's tables of measured figures, made from bench/results/*.json (their one source).

`nbs/index.ipynb` calls these; `python .ci/readme.py` turns the notebook into README.md.
"""
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent/'results'


def load(name: str) -> dict:
    return json.loads((RESULTS/f'{name}.json').read_text())


def pct(x) -> str: return '-' if x is None else f"{x:.2%}"


def table(header: list[str], rows: list[list]) -> str:
    "A markdown table."
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    return '\n'.join(lines + ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows])


def benchmark_rows() -> list[list]:
    d, o, t, v = load('data_pipeline'), load('overhead'), load('time_to_accuracy'), load('tta')
    f, p = load('fault_injection'), load('ddp')['cases']
    m, r = o['cases']['mlp'], o['cases']['resnet18']
    return [
        ["data pipeline: atnn's loader with all four augmentations vs torchvision's `DataLoader` + v2 per-image "
         f"transforms ({d['args']['num_workers']} workers), CIFAR-sized images, batch {d['args']['batch_size']}",
         '`python bench/speed/data_pipeline.py`',
         f"{d['atnn_images_per_s']:,.0f} vs {d['torchvision_images_per_s']:,.0f} images/s: **{d['ratio']:.1f}x**",
         f"{d['goal']:g}x"],
        ["training overhead: one atnn training epoch vs a bare PyTorch loop over the same tensors, same model and "
         "optimizer, fastest of 4 alternating epochs", '`python bench/speed/overhead.py`',
         f"MLP ({m['images']:,} images) **{m['ratio']:.2f}x**, resnet18 ({r['images']:,} images) "
         f"**{r['ratio']:.2f}x**", f"{o['goal']:.2f}x"],
        [f"time to accuracy: atnn vs a tutorial-style script (torchvision `FashionMNIST`, per-image transforms, "
         f"`DataLoader` with {t['num_workers']} workers), same MLP, optimizer, schedule, {t['epochs']} epochs, "
         "real Fashion-MNIST", '`python bench/speed/time_to_accuracy.py`',
         f"{pct(t['atnn_val_acc'])} in {t['atnn_seconds']:.1f} s vs {pct(t['reference_val_acc'])} in "
         f"{t['reference_seconds']:.1f} s: **{t['speedup']:.1f}x** faster", f"{t['goal']:g}x"],
        [f"TTA cost: 18-view TTA vs 18 plain evaluations of the validation set, {v['model']}",
         f"`python bench/speed/tta.py {v['run']}`", f"{v['tta_seconds']:.1f} s vs {v['eighteen_plain_seconds']:.1f} s: "
         f"**{v['ratio']:.2f}x**", f"{v['goal']:.2f}x"],
        ["fault injection: a real run killed with SIGKILL 1-3 times at random moments, resumed, compared with an "
         "uninterrupted run", f"`python bench/faults/fault_injection.py --trials {f['trials']}`",
         f"**{f['identical']}/{f['trials']}** bit-identical (metrics and weights)", 'all'],
        ["torchrun on a 2-core CPU: 2 processes x 1 thread (Gloo) vs 1 process x 2 threads, same run, real "
         "Fashion-MNIST", '`python bench/speed/ddp.py`',
         f"MLP **{p['mlp']['ratio']:.2f}x**, resnet18 **{p['resnet18']['ratio']:.2f}x** (two processes are slower "
         "on one CPU)", 'reported'],
        checkpoint_cost_row(),
        epoch_end_row(),
        trial_overhead_row(),
        precision_auto_row(),
        *evaluation_rows(),
        folder_row(),
        folder_large_row(),
    ]


def chosen_path(case: dict) -> str:
    "What `auto` chose in a case of precision_auto.json, in words."
    return case['chosen']['precision'] + (' + channels_last' if case['chosen']['channels_last'] else '')


PRECISION_FILES = ('precision_auto', 'precision_auto_avx512_bf16', 'precision_auto_no_bf16')   # AMX, AVX512-BF16, none


def precision_results() -> list[dict]:
    "The precision_auto results measured: one for each kind of CPU (PRECISION_FILES)."
    return [load(n) for n in PRECISION_FILES if (RESULTS/f'{n}.json').exists()]


def cpu_words(r: dict) -> str:
    "The CPU of a precision_auto result, in words."
    flags = ', '.join(f for f in r['cpu_flags'] if 'bf16' in f) or 'no bf16 instructions'
    return f"{r['threads']}-thread {r.get('cpu', 'CPU')} ({flags})"


def precision_auto_row() -> list:
    "`train.precision: auto` against fp32, on each CPU measured."
    figures = [cpu_words(r) + ': ' + ', '.join(f"{name} **{c['speedup']:.2f}x** ({chosen_path(c)})"
                                               for name, c in r['cases'].items()) for r in precision_results()]
    return ["`train.precision: auto` (+ `channels_last: auto`) vs fp32, training epochs, real Fashion-MNIST",
            '`python bench/speed/precision_auto.py`', '; '.join(figures),
            "2x (small stem, AMX or AVX512-BF16), never below 1x"]


def precision_auto_table() -> str:
    "What `auto` chose for each model on each CPU, the rates it measured, and the epoch against fp32."
    rows = [[cpu_words(r), name, f"{c['images']:,}", chosen_path(c), f"{c['fp32_seconds']:.2f} s",
             f"{c['auto_seconds']:.2f} s", f"**{c['speedup']:.2f}x**", f"{c['measuring_seconds']:.1f} s"]
            for r in precision_results() for name, c in r['cases'].items()]
    return table(['CPU', 'model', 'images', 'auto chose', 'epoch at fp32', 'epoch at the choice', 'speedup',
                  'measuring took'], rows)


def checkpoint_cost_row() -> list:
    "The cost of checkpoints inside epochs."
    c = load('checkpoint_cost')
    m, r = c['cases']['mlp'], c['cases']['resnet18']
    return ["checkpoints inside epochs: an epoch with `train.checkpoint_every: {steps: N}` (about 4 saves an epoch) "
            "vs off, real Fashion-MNIST", '`python bench/speed/checkpoint_cost.py`',
            f"MLP **{m['ratio']:.2f}x**, resnet18 **{r['ratio']:.2f}x** ({r['ms_per_save']:.0f} ms a "
            f"{r['checkpoint_mb']:.0f} MB save)", f"{c['goal']:.2f}x"]


def epoch_end_row() -> list:
    "What the end of an epoch costs the loop, the report's model: files written by a thread, curves every 30 s."
    e = load('epoch_end_cost')
    return ["end of an epoch, the report's resnest26d: `last.pt` + `best.pt` "
            f"({e['checkpoint_mb']:.0f} MB each) and `curves.png`, the loop's wait, written in the loop vs by the "
            "checkpoint thread with curves redrawn every 30 s", '`python bench/speed/epoch_end_cost.py`',
            f"**{e['ratio']:.1f}x** less ({1000 * e['old_seconds']:.0f} ms -> {1000 * e['new_seconds']:.0f} ms "
            "an epoch)", f"{e['goal']:.0f}x"]


def trial_overhead_row() -> list:
    "Where a sweep trial's seconds go outside its epochs, on each device measured (a GPU's file once it exists)."
    names = ('trial_overhead', 'trial_overhead_short', 'gpu_trial_overhead')
    def figure(t):
        m, images = t['median'], f"{t['subset']:,} images" if t.get('subset') else 'all images'
        return (f"{t['device']}, {t['epochs']} epochs of {images}: **{t['median_outside_share']:.1%}** of a "
                f"{m['wall']:.0f} s trial (setup {m['setup']:.2f} s, between epochs {m['between']:.2f} s, finish "
                f"{m['finish']:.2f} s, closing {m['closing']:.2f} s)")
    return ["a sweep trial outside its epochs: one worker, trials of the Fashion-MNIST MLP sweep's best values back "
            "to back, median share of the wall time", '`python bench/speed/trial_overhead.py [--subset 16200 '
            '--epochs 20]`', '; '.join(figure(load(n)) for n in names if (RESULTS/f'{n}.json').exists()), '10%']


def folder_row() -> list:
    "The folder-pipeline benchmark."
    f = load('folder_pipeline')
    a, r, m = f['args'], f['images_per_s'], f['private_memory_mb']
    return [f"folder of {f['images']:,} JPEGs ({a['size']} px -> {a['img_size']} px): atnn's decode-once cache + "
            "`DeviceLoader` vs torchvision `ImageFolder` + transforms + `DataLoader` "
            f"({a['workers']} workers), per epoch after the first decode ({f['first_decode_seconds']:.0f} s); "
            "private memory of a fresh process after one epoch", '`python bench/speed/folder_pipeline.py`',
            f"all four augmentations: {r['atnn']:,.0f} vs {r['torchvision']:,.0f} images/s, **{f['ratio']:.1f}x** "
            f"(memory-mapped {r['atnn_memory_mapped']:,.0f}); color jitter compiled (`train.compile`): "
            f"{r['atnn_compiled']:,.0f}, **{f['compiled_ratio']:.1f}x**; without color jitter: "
            f"{r['atnn_no_jitter']:,.0f} vs {r['torchvision_no_jitter']:,.0f}, **{f['no_jitter_ratio']:.1f}x**; "
            f"memory {m['in_memory']:,.0f} MB in memory vs **{m['memory_mapped']:,.0f} MB** memory-mapped, for "
            f"{f['decoded_mb']:,.0f} MB decoded", f"{f['goal']:g}x"]


def folder_large_row() -> list:
    "The larger-than-memory folder."
    f = load('folder_large')
    return [f"a folder larger than the memory budget: {f['images']:,} JPEGs decoded to {f['decoded_gb']:.1f} GiB at "
            f"{f['args']['img_size']} px on a {f['machine_memory_gb']:.0f} GiB machine (memory-mapped: "
            f"{str(f['memory_mapped']).lower()}); one epoch of batches (flip, crop, erasing) from the mapped cache",
            '`python bench/speed/folder_large.py`',
            f"decoded once in {f['decode_seconds'] / 60:.0f} min; epoch {f['images_per_s']:,.0f} images/s; peak "
            f"private memory **{f['peak_private_gb']:.2f} GiB** = {f['ratio']:.2f}x the decoded size (peak resident "
            f"{f['peak_resident_gb']:.1f} GiB with reclaimable page-cache pages of the file)", f"< {f['goal']:g}x"]


def folder_fashion_table() -> str:
    "Fashion-MNIST from its IDX files and from PNG class folders (bench/accuracy/folder_fashion.py)."
    rows = [[r['run'], r['source'], r['epochs'], f"**{pct(r['final_val_acc'])}**", f"{r['epoch_seconds']:.1f} s",
             f"{r['total_seconds']:.0f} s"] for r in load('folder_fashion')['runs']]
    return table(['run', 'data', 'epochs', 'val acc', 'per epoch', 'whole run (folder: with the first decode)'], rows)


def evaluation_rows() -> list[list]:
    "The benchmarks of atnn-eval and atnn-predict."
    e, p = load('eval_speed'), load('predict_speed')
    em, er, pm, pr = e['cases']['mlp'], e['cases']['resnet18'], p['cases']['mlp'], p['cases']['resnet18']
    rate = lambda c, k: f"{c['images_per_s'][k]:,.0f}"
    return [
        [f"atnn-eval: `Predictor.interpret` (no TTA) vs training's validation pass, same model, {er['images']:,} "
         "Fashion-MNIST test images", '`python bench/speed/eval_speed.py`',
         f"resnet18 {er['evaluation_seconds']:.1f} s vs {er['validation_pass_seconds']:.1f} s: **{er['ratio']:.2f}x**; "
         f"MLP {em['evaluation_seconds']:.2f} s vs {em['validation_pass_seconds']:.2f} s", f"{e['goal']:g}x"],
        [f"atnn-predict on {pr['images']:,} PNG files: `predict_files` ({p['workers']} decoding processes) vs "
         f"torchvision `ImageFolder` + `DataLoader` ({p['workers']} workers) + the same model, images/s",
         '`python bench/speed/predict_speed.py`',
         f"resnet18 {rate(pr, 'atnn')} vs {rate(pr, 'torchvision')}: **{pr['ratio']:.2f}x**; MLP {rate(pm, 'atnn')} "
         f"vs {rate(pm, 'torchvision')}: **{pm['ratio']:.2f}x** (decoding alone: {rate(pm, 'decode')})",
         f"{p['goal']:g}x"],
    ]


def eval_table() -> str:
    "Finished Fashion-MNIST runs evaluated on the test split (bench/accuracy/fashion_eval.py)."
    rows = [[e['run'], f"{e['checkpoint']} (epoch {e['epoch']})", f"**{pct(e['accuracy'])}**", pct(e['top5_accuracy']),
             f"{e['loss']:.3f}", pct(e['tta_accuracy']),
             ', '.join(f"{m['actual']} as {m['predicted']} ({m['count']})" for m in e['most_confused'][:3]),
             f"{e['predict_agrees']:,}/{e['images']:,}"] for e in load('fashion_eval')['evaluations']]
    return table(['run', 'checkpoint', 'test acc', 'top-5', 'loss', 'with TTA', 'most confused (of the '
                  'final predictions)', 'atnn-predict on PNGs agrees'], rows)


def per_class_table() -> str:
    "Recall and precision per class on the Fashion-MNIST test split, for each evaluated run."
    evals = load('fashion_eval')['evaluations']
    header = ['class'] + [f"{e['run']} {k}" for e in evals for k in ('recall', 'precision')]
    rows = [[c['class']] + [f"{e['per_class'][i][k]:.3f}" for e in evals for k in ('recall', 'precision')]
            for i, c in enumerate(evals[0]['per_class'])]
    return table(header, rows)


def held_out_table() -> str:
    "Test accuracy of the epoch chosen on held-out validation vs the best epoch on the test split itself."
    seeds = load('fashion_eval')['held_out']
    rows = [[s['seed'], f"{s['epoch_by_val']}", pct(s['test_acc_chosen_on_val']), f"{s['epoch_by_test']}",
             pct(s['test_acc_chosen_on_test']), f"{s['test_acc_chosen_on_test'] - s['test_acc_chosen_on_val']:+.2%}"]
            for s in seeds]
    mean = lambda k: sum(s[k] for s in seeds) / len(seeds)
    rows.append(['mean', '', pct(mean('test_acc_chosen_on_val')), '', pct(mean('test_acc_chosen_on_test')),
                 f"**{mean('test_acc_chosen_on_test') - mean('test_acc_chosen_on_val'):+.2%}**"])
    return table(['seed', 'epoch chosen on validation', 'its test acc (atnn\'s `test_acc`)',
                  'best epoch on test', 'its test acc (the report\'s procedure)', 'optimism'], rows)


def benchmark_table() -> str:
    "Every benchmark: what it compares, its command, what it measured, its goal; and how long run_all took."
    minutes = sum(r['seconds'] for r in json.loads((RESULTS/'run_all.json').read_text())) / 60
    return (table(['what', 'command', 'result', 'goal'], benchmark_rows())
            + f"\n\nThe last `python bench/run_all.py` took {minutes:.0f} minutes.")


def results_rows() -> list[list]:
    runs = load('fashion_results')
    return [[r['run'], f"`{r['command']}`", r['epochs'], f"**{pct(r['final_val_acc'])}**", pct(r['tta_val_acc']),
             f"{r['total_seconds'] / 60:.1f} min ({r['epoch_seconds']:.0f} s)"] for r in runs['runs']]


def results_table() -> str:
    "Real Fashion-MNIST runs (bench/accuracy/fashion_results.py)."
    return table(['run', 'command', 'epochs', 'val acc', 'with 18-view TTA', 'wall time (per epoch)'], results_rows())


def tta_caveat(r: dict) -> str:
    "Why TTA lowered a run's accuracy, where it did for an MLP."
    lower = r['tta_val_acc'] is not None and r['tta_val_acc'] < r['final_val_acc']
    return ': shifted views confuse an MLP, which knows nothing of translation' if lower and r['run'] == 'mlp' else ''


def headline_table() -> str:
    "The few figures a newcomer wants first."
    t, d, runs = load('time_to_accuracy'), load('data_pipeline'), load('fashion_results')['runs']
    rows = [[f"Fashion-MNIST, {r['run']}, {r['epochs']} epochs, 2-core CPU", f"{pct(r['final_val_acc'])} val acc "
             f"({pct(r['tta_val_acc'])} with TTA{tta_caveat(r)}) in {r['total_seconds'] / 60:.1f} min"] for r in runs]
    g = next(r for r in load('gpu_fashion_runs')['runs'] if r['run'] == 'gpu-r18-small-stem')['summary']
    rows.append([f"Fashion-MNIST, resnet18 (small stem), {g['epochs_run']} epochs, one NVIDIA H200",
                 f"{pct(g['final_val_acc'])} val acc ({pct(g['tta_val_acc'])} with TTA) in "
                 f"{g['total_seconds'] / 60:.1f} min"])
    rows += [['time to the same accuracy as a tutorial-style PyTorch script (MLP, Fashion-MNIST)',
              f"**{t['speedup']:.1f}x** faster"],
             ['data pipeline with four augmentations vs torchvision `DataLoader` + transforms',
              f"**{d['ratio']:.1f}x** the images/s"]]
    e, x = load('export_fashion')['rows'], load('export_speed')['cases']['resnet18']
    other = sum(f['other_class'] for r in e for f in r['formats'].values())
    rows.append(['`atnn-export` (ONNX, torch.export, timm) of the Fashion-MNIST runs vs `atnn-eval`, test split',
                 f"{other} of {sum(r['images'] * len(r['formats']) for r in e):,} predictions differ; ONNX start-up "
                 f"{x['start_up']['export folder (onnxruntime)']['seconds']:.1f} s without torch vs "
                 f"{x['start_up']['run folder (torch)']['seconds']:.1f} s"])
    return table(['measured', 'result'], rows)


def sweep_table(name='sweep_compare') -> str:
    "TPE and random search on the Fashion-MNIST MLP sweep (bench/accuracy/sweep_compare.py)."
    c = load(name)
    after = sorted({int(n) for r in c['runs'].values() for n in r['best_after']})
    rows = [[k.replace('-s', ', seed '), r['trials'], r['pruned'], *[pct(r['best_after'][str(n)]) for n in after],
             f"**{pct(r['best_metric'])}** (trial {r['best_trial']})", f"**{pct(r['test_acc'])}**",
             f"{r['seconds'] / 60:.0f} min"] for k, r in c['runs'].items()]
    return table(['sampler', 'trials', 'pruned', *[f"best val after {n}" for n in after], 'best val',
                  'its test acc', 'wall time'], rows)


def sweep_best_values() -> str:
    "The best trial's values of the TPE sweep, as a line of `key=value`."
    r = load('sweep_compare')['runs']
    best = max(r.values(), key=lambda x: x['best_metric'])
    def short(v):
        try: return f"{float(v):.3g}" if '.' in v or 'e' in v else v
        except ValueError: return v                                   # e.g. a list of layer widths
    return ' '.join(f"`{k}={short(v)}`" for k, v in best['values'].items())


def trial_overhead_text() -> str:
    "Where a trial's seconds go now (bench/speed/trial_overhead.py), on the devices measured."
    t, short = load('trial_overhead'), load('trial_overhead_short')
    g = load('gpu_trial_overhead') if (RESULTS/'gpu_trial_overhead.json').exists() else None
    return (f"Since then the end of each epoch left the loop (checkpoint thread, curves every 30 s) and the summary "
            f"splits a trial's time: one worker on {t['device']} spends **{t['median_outside_share']:.1%}** of a "
            f"trial outside its epochs, and **{short['median_outside_share']:.1%}** with epochs as short as the "
            f"H200's ({short['subset']:,} images, {short['epochs']} epochs, {short['median']['wall']:.0f} s trials; "
            "`python bench/speed/trial_overhead.py`)" +
            (f"; on {g['device']} **{g['median_outside_share']:.1%}** (goal 10%)." if g else
             ". The GPU figure (goal 10%) is not measured yet: `PART=2 bash bench/gpu/graphs_session.sh` has it."))


def sweep_retrain_text() -> str:
    "What the sweep found, what it costs per trial, and the retrained figure against the hand-set config."
    c, hand = load('sweep_compare'), load('fashion_eval')
    best = max(c['runs'].values(), key=lambda r: r['best_metric'])
    lines = [f"The best configuration ({sweep_best_values()}) reached {pct(best['best_metric'])} on the hold-out and "
             f"{pct(best['test_acc'])} on the test split, trained on 90% of the images. Per-trial overhead (all but "
             f"the epochs: building the run, checkpoints, the test evaluation) was a median "
             f"{best['median_trial_overhead']:.0%} of a trial on the H200 (8 workers); each worker loads the data "
             f"once. {trial_overhead_text()}"]
    r = c.get('retrain')
    if r:
        lines.append(f"Trained again on all training images for its {r['epochs']} epochs, its final-epoch test "
                     f"accuracy is **{pct(r['final_test_acc'])}**, against **{pct(hand_mlp_test_acc(hand))}** for the "
                     "hand-set "
                     "`configs/fashion_mnist_mlp.yaml` (nothing was chosen on the test split in either).")
    return ' '.join(lines)


def hand_mlp_test_acc(fashion_eval: dict) -> float:
    "The hand-set MLP's test accuracy from bench/accuracy/fashion_eval.py."
    return next(r['accuracy'] for r in fashion_eval['evaluations'] if r['model'] == 'mlp')


def lr_find_table() -> str:
    "The range test's suggestion against the hand-set learning rate, real Fashion-MNIST (lr_find_fashion.py)."
    f = load('lr_find_fashion')
    gap = lambda a, b: f"{100 * (a - b):+.2f}"
    cell = lambda r, rule: (f"{r[rule]:.3g}: **{pct(r[rule + '_test_acc'])}** "
                            f"({gap(r[rule + '_test_acc'], r['hand_test_acc'])})")
    rows = [[r['setup'], r.get('device', 'cpu'), r['epochs'], f"{r['hand_lr']:g}: {pct(r['hand_test_acc'])}",
             cell(r, 'steepest'), cell(r, 'valley'),
             f"{r['lr_find_seconds']:.1f} s ({r['lr_find_seconds'] / r['epoch_seconds']:.2f} epoch)"]
            for r in f['rows']]
    return table(['setup', 'device', 'epochs', 'hand-set lr: test acc', 'steepest (atnn suggests): test acc (points)',
                  'valley (fastai default): test acc (points)', 'range test cost'], rows)


def gpu_check_table() -> str:
    "bench/gpu/gpu_check.py: resnest26d (the report's model) on synthetic CIFAR-100 batches, per precision and layout."
    g = load('gpu_check')
    def bs128(r):
        if not r.get('warm_up_per_batch_size'): return '- (timed during autotuning)'
        return f"{r['bs128']['images_per_second']:,.0f} ({r['bs128']['train_mem_mb']:,.0f} MB)"
    name = lambda r: (r['precision'] + (' + channels_last' if r['channels_last'] else '')
                      + (' + compile' if r['compile'] else ''))
    rows = [[name(r), f"{r['bs64']['images_per_second']:,.0f} ({r['bs64']['train_mem_mb']:,.0f} MB)", bs128(r)]
            for r in g['rows']]
    return table([f"{g['device']}, torch {g.get('torch', '2.11')}", 'batch 64: images/s (peak train memory)',
                  'batch 128'], rows)


def gpu_runs_text() -> str:
    "The GPU sessions' real runs and path checks (bench/gpu/gpu_session.sh), in a few sentences."
    runs = {r['run']: r for r in load('gpu_fashion_runs')['runs']}
    r, t, p = runs['gpu-r18-small-stem'], runs['gpu-torchrun-nccl'], load('gpu_paths')
    s, epochs = r['summary'], r['metrics']
    warm = sum(m['epoch_seconds'] for m in epochs[1:]) / (len(epochs) - 1)
    l = p['loader']
    return (f"resnet18 with the small stem on real Fashion-MNIST, {s['epochs_run']} epochs (cosine, flip, crop, "
            f"erasing, bf16 + channels_last, batch 256): **{pct(s['final_val_acc'])}** on the test split "
            f"({pct(s['tta_val_acc'])} with 18-view TTA) in {s['total_seconds']:.0f} s, {warm:.1f} s per epoch after "
            f"the first ({epochs[0]['epoch_seconds']:.1f} s: cuDNN autotuning), {epochs[-1]['train_mem_mb']:,.0f} MB "
            f"peak training memory; the published ResNet18 figure is 94.9%. torchrun with NCCL (one process: the "
            f"machine has one GPU) trained the MLP for {t['summary']['epochs_run']} epochs to "
            f"{pct(t['summary']['final_val_acc'])}. The loader's two CUDA paths give bit-identical batches: "
            f"GPU-resident {l['resident_images_per_s']:,.0f} images/s, pinned host memory with non-blocking copies "
            f"{l['pinned_images_per_s']:,.0f} images/s (CIFAR-sized, all four augmentations); 18-view TTA on the GPU "
            f"matches the CPU to {p['tta']['max_abs_diff']:.0e}.")


TOOLS = {'tk-none': 'none', 'tk-ls': 'label smoothing 0.1', 'tk-mix': 'mixup 0.2 / cutmix 1.0, p 0.5',
         'tk-ema': 'EMA (0.9998, warm-up)', 'tk-clip': 'clip norm 1.0', 'tk-all': 'all four'}


def toolkit_table() -> str:
    "resnet18 (ImageNet stem), 15 epochs on real Fashion-MNIST, without and with each tool (bench/gpu/gpu_toolkit.sh)."
    runs = {r['run']: r for r in load('toolkit_fashion')['runs']}
    base = runs['tk-none']['summary']['final_val_acc']
    sec = lambda r: sum(m['epoch_seconds'] for m in r['metrics']) / len(r['metrics'])
    rows = []
    for name, what in TOOLS.items():
        r = runs[name]; s, last = r['summary'], r['metrics'][-1]
        ema = pct(last['ema_val_acc']) if 'ema_val_acc' in last else '-'
        rows.append([what, f"**{pct(s['final_val_acc'])}** ({100 * (s['final_val_acc'] - base):+.2f})",
                     pct(last['val_acc']), ema, f"{last['train_acc']:.3f}",
                     f"{sec(r):.1f} s ({sec(r) / sec(runs['tk-none']):.2f}x)"])
    return table(['tools', 'final test acc, selected weights (points)', 'raw weights', 'EMA weights',
                  'train acc', 'epoch time (vs none)'], rows)


def toolkit_small_stem_text() -> str:
    "The small-stem run with the tools, against the first GPU session's run without them."
    r = next(r for r in load('toolkit_fashion')['runs'] if r['run'] == 'gpu-r18-small-stem-all')
    base = next(r for r in load('gpu_fashion_runs')['runs'] if r['run'] == 'gpu-r18-small-stem')['metrics']
    m = r['metrics'][-1]
    return (f"With the small stem, the 30-epoch recipe above plus label smoothing, mixup/cutmix and EMA was stopped "
            f"by its time limit after epoch {m['epoch']} (no summary): raw weights {pct(m['val_acc'])}, EMA "
            f"{pct(m['ema_val_acc'])}, against {pct(base[m['epoch'] - 1]['val_acc'])} at the same epoch without "
            f"the tools ({pct(base[-1]['val_acc'])} after 30).")


def export_table() -> str:
    "Each exported file of the Fashion-MNIST runs against atnn-eval over the test split, and atnn-predict via ONNX."
    rows = []
    for r in load('export_fashion')['rows']:
        for f in r['formats'].values():
            rows.append([r['run'], f"`{f['file']}`", f"{f['bytes'] / 2**20:.1f} MB",
                         f"{f['other_class']} of {r['images']:,}", f"{f['max_prob_diff']:.1e}"])
        p = r['predict_png']
        rows.append([r['run'], "`atnn-predict` on PNG files: export folder vs run folder", '',
                     f"{p['other_class']} of {p['images']:,}", f"{p['max_prob_diff']:.1e}"])
    return table(['run', 'file', 'size', 'images with another top class', 'largest probability difference'], rows)


def export_speed_table() -> str:
    "onnxruntime against the eager Predictor on the CPU, and the start-up of each predict path."
    s, rows = load('export_speed'), []
    for name, c in s['cases'].items():
        lat, ips, up = c['latency_ms'], c['images_per_second'], c['start_up']
        torch_up, onnx_up = up['run folder (torch)'], up['export folder (onnxruntime)']
        rows.append([name, f"{lat['eager']:.2f} vs {lat['onnxruntime']:.2f} ms: **{c['latency_ratio']:.1f}x**",
                     f"{ips['eager']:,.0f} vs {ips['onnxruntime']:,.0f}: **{c['throughput_ratio']:.2f}x**",
                     f"{torch_up['seconds']:.1f} vs {onnx_up['seconds']:.1f} s, {torch_up['peak_mb']:.0f} vs "
                     f"{onnx_up['peak_mb']:.0f} MB"])
    return table(['model', 'one image: eager vs onnxruntime', 'batch 64, images/s: eager vs onnxruntime',
                  'fresh process to its first prediction: torch vs onnxruntime'], rows)


def imbalance_table() -> str:
    "Fashion-MNIST with three classes cut to a tenth: plain vs class weights vs the balanced sampler."
    r = load('imbalance_fashion')
    rows = [[x['model'], f"`{x['variant']}`", x['epochs'], pct(x['accuracy']), pct(x['mean_cut_recall']),
             ', '.join(f"{k} {pct(v)}" for k, v in x['cut_recall'].items()), pct(x['other_recall'])] for x in r['rows']]
    return table(['model', 'variant', 'epochs', 'test accuracy', 'recall of the cut classes (mean)', 'each',
                  'recall of the other 7 (mean)'], rows)


def accumulate_table() -> str:
    "One step of 512 against 4 x 128 accumulated: accuracy by epoch and peak training memory."
    r = load('accumulate_fashion')
    rows = [[x['run'], ' / '.join(pct(a) for a in x['val_acc']), f"{x['peak_train_mem_mb']:,.0f} MB",
             f"{x['epoch_seconds']:.1f} s"] for x in r['rows']]
    return table(['resnet18, batch 512', 'validation accuracy by epoch', 'peak training memory', 'fastest epoch'], rows)


def checkpoint_cost_table() -> str:
    "An epoch with a save every N steps against none: epoch time, what a save costs, what the loop waits."
    r = load('checkpoint_cost')
    rows = [[name, f"{c['images']:,} images, {c['steps']} steps",
             f"every {c['every_steps']} ({c['saves_per_epoch']} per epoch, {c['checkpoint_mb']:.1f} MB)",
             f"{c['off_seconds']:.2f} s", f"{c['every_seconds']:.2f} s",
             f"**{c['ratio']:.3f}x**", f"{c['ms_per_save']:.0f} ms", f"{c['loop_ms_per_save']:.0f} ms",
             f"{c['in_loop_ratio']:.3f}x ({c['in_loop_ms_per_save']:.0f} ms)", f"{c['hook_ratio']:.3f}x"]
            for name, c in r['cases'].items()]
    return table(['model', 'epoch', 'saves inside it', 'epoch, off', 'epoch, with saves', 'ratio', 'cost a save',
                  'loop waits a save', 'written in the loop instead (wait)', 'hook when off'], rows)


def gpu_graphs_text() -> str:
    "bench/gpu/graphs_check.py and gpu_report.py: eager vs CUDA-graphed steps, the report experiment's wall time."
    if not (RESULTS/'gpu_graphs.json').exists():
        return ("**Not measured on a GPU yet**: no session since CUDA graphs were built has had one. The figures come "
                "from `PART=1 bash bench/gpu/graphs_session.sh` (eager vs graphed images/s for resnest26d at 32 px, "
                "batch 64 and 128, fp32 and bf16, and 18-view TTA, into `bench/results/gpu_graphs.json`; the report "
                "experiment end to end on synthetic CIFAR-100 into `gpu_report.json`; `pytest -m gpu`) and `PART=2` "
                "(resnet18 on Fashion-MNIST graphed; torch.compile's modes against the graph), after `bash "
                "bench/gpu/wheels.sh` (the GPU image has no fastcore or optuna: their wheels travel in `.whl/`). With "
                "that image's Python 3.12 and torch 2.11 on the CPU, the test suite passes and `DRY=1` of both "
                "parts runs (its compile step reaches its time limit on a CPU).")
    g = load('gpu_graphs')
    rows = [[key.replace('_bs', ', batch '), f"{r['eager']['images_per_second']:,.0f}",
             f"{r['graphed']['images_per_second']:,.0f}", f"**{r['graphed_vs_eager']:.2f}x**",
             f"{r['peak_train_mem_mb']:,.0f} MB"] for key, r in g['results'].items()]
    text = table([f"{g['device']}, torch {g['torch']}", 'eager images/s', 'graphed images/s', 'graphed vs eager',
                  'peak training memory'], rows)
    if 'tta_fp32' in g:
        t = g['tta_fp32']
        text += (f"\n\nThe report's 18-view TTA over {g['images']:,} images (batch 500, fp32): eager "
                 f"{t['eager']['best_seconds']:.2f} s, graphed {t['graphed']['best_seconds']:.2f} s "
                 f"(**{t['graphed_vs_eager']:.2f}x**, captures included; same accuracy: {t['same_accuracy']}).")
    if (RESULTS/'gpu_report.json').exists():
        r = load('gpu_report')
        how = 'measured' if r['finished'] else f"estimated from its first {r['epochs_run']} epochs"
        text += (f"\n\nThe report experiment (`configs/current_config.yaml`, synthetic CIFAR-100) on {r['device']}: "
                 f"**{r['estimated_total_seconds'] / 60:.1f} minutes** ({how}; goal 5).")
    return text
