"torchrun: 2 processes with Gloo on the CPU, on fake MNIST (see nbs/02b_distributed.ipynb for the design)."
import os, signal, subprocess, sys, threading, time
from pathlib import Path
import pytest
import torch
import yaml
from atnn.fakes import write_fake_mnist
from conftest import REPO, kill_inside_epoch, read_metrics, run_cli, summary, timeless

TORCHRUN = (sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', str(REPO/'train.py'))
# an MLP without batch norm or dropout: DDP must equal one process; with the weight average, clipping and label
# smoothing on (07b_regularize), so that every process keeping the same average is checked too
MLP = ('--config', 'quick.yaml', 'model.dropout=0',
       'train.batch_size=33',                           # 33 = 17 + 16: unequal shares, so their weighting matters
       'train.ema={decay: 0.8}', 'train.grad_clip={max: 0.5}', 'train.label_smoothing=0.1')


def weights(run_dir) -> dict:
    return torch.load(Path(run_dir)/'checkpoints'/'last.pt', map_location='cpu', weights_only=True)['model']


def test_two_processes_match_one_with_the_same_global_batch(workdir):
    one = run_cli(*MLP, 'name=one', cwd=workdir)
    two = run_cli(*MLP, 'name=two', cwd=workdir, entry=TORCHRUN)
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert sorted(p.name for p in (workdir/'runs').iterdir()) == ['one', 'two']     # rank 1 wrote no folder of its own
    assert two.stdout.count('run folder:') == 1 and 'processes: 2' in two.stdout      # and printed nothing
    m1, m2 = read_metrics(workdir/'runs'/'one'), read_metrics(workdir/'runs'/'two')
    assert [m['batch_size'] for m in m2] == [m['batch_size'] for m in m1]
    for a, b in zip(timeless(m1), timeless(m2)):
        for k in a: assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), k
    w1, w2 = weights(workdir/'runs'/'one'), weights(workdir/'runs'/'two')
    assert summary(workdir, 'one')['tta_val_acc'] == summary(workdir, 'two')['tta_val_acc']   # TTA all-reduced too
    assert list(w1) == list(w2)                          # no 'module.' prefix: checkpoints are interchangeable
    for k in w1: torch.testing.assert_close(w2[k], w1[k], rtol=1e-4, atol=1e-6)
    ema = lambda n: torch.load(workdir/'runs'/n/'checkpoints'/'last.pt', weights_only=True)['ema']['module']
    e1, e2 = ema('one'), ema('two')
    for k in e1: torch.testing.assert_close(e2[k], e1[k], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('option', ['train.accumulate=3', 'data.sampler=balanced'], ids=['accumulate', 'balanced'])
def test_option_under_torchrun_matches_one_process(workdir, option):
    """accumulate: 3 micro-batches of each process's share (17 and 16 images), all-reduced once (no_sync before);
    balanced: every process draws the same weighted order and takes its share of each batch."""
    args = (*MLP, option, 'train.epochs=1')
    one, two = run_cli(*args, 'name=one', cwd=workdir), run_cli(*args, 'name=two', cwd=workdir, entry=TORCHRUN)
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    w1, w2 = weights(workdir/'runs'/'one'), weights(workdir/'runs'/'two')
    for k in w1: torch.testing.assert_close(w2[k], w1[k], rtol=1e-4, atol=1e-6)


def test_auto_precision_under_torchrun_is_one_choice_for_all_processes(workdir):
    r = run_cli('--config', 'quick.yaml', 'name=auto', 'train.precision=auto', 'train.epochs=1', cwd=workdir,
                entry=TORCHRUN)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count('fast path, measured') == 1, r.stdout           # rank 0 measured, both took its choice
    assert (workdir/'runs'/'auto'/'config.yaml').read_text().count('precision: auto') == 0


def test_resume_under_torchrun_continues_exactly(workdir):
    aug = ('data.augment.hflip=true', 'data.augment.random_crop=true', 'model.dropout=0.2')   # per-rank random draws
    torchrun = lambda *args: run_cli('--config', 'quick.yaml', *aug, *args, cwd=workdir, entry=TORCHRUN)
    assert torchrun('name=full', 'train.epochs=3').returncode == 0
    assert torchrun('name=part', 'train.epochs=2').returncode == 0
    r = torchrun('name=part', 'train.epochs=3', 'resume=runs/part')
    assert r.returncode == 0, r.stderr
    assert 'resuming after epoch 2 (training to epoch 3)' in r.stdout
    assert timeless(read_metrics(workdir/'runs'/'part')) == timeless(read_metrics(workdir/'runs'/'full'))
    w1, w2 = weights(workdir/'runs'/'full'), weights(workdir/'runs'/'part')
    for k in w1: assert torch.equal(w1[k], w2[k]), k


def test_resume_inside_an_epoch_under_torchrun_continues_exactly(workdir):
    """Both processes killed a few steps after a checkpoint inside epoch 2, resumed: the same run. Saves every 6 ms
    (`minutes`: each process's clock, agreed by an all-reduce, so that none waits for a save alone)."""
    write_fake_mnist(workdir/'long', 'MNIST', n_train=2000, n_test=64)           # 63 steps an epoch
    config = yaml.safe_load((workdir/'quick.yaml').read_text())
    config['data'].update(root='long', augment=dict(hflip=True, random_crop=True, random_erasing=False))
    config['model']['dropout'] = 0.2
    config['train'].update(epochs=3, checkpoint_every=dict(minutes=0.0001))
    (workdir/'inside.yaml').write_text(yaml.safe_dump(config))
    full = run_cli('--config', 'inside.yaml', 'name=full', 'train.checkpoint_every=null', cwd=workdir, entry=TORCHRUN)
    assert full.returncode == 0, full.stderr
    position = kill_inside_epoch(workdir, 'inside.yaml', 'part', 2, launcher=TORCHRUN[:-1])
    assert position['epoch'] == 2 and 0 < position['step'] < position['steps'] == 63, position
    r = run_cli('--config', 'inside.yaml', 'name=part', 'resume=runs/part', cwd=workdir, entry=TORCHRUN)
    assert r.returncode == 0, r.stderr
    assert f"resuming after epoch 2, step {position['step']} of 63" in r.stdout
    assert timeless(read_metrics(workdir/'runs'/'part')) == timeless(read_metrics(workdir/'runs'/'full'))
    w1, w2 = weights(workdir/'runs'/'full'), weights(workdir/'runs'/'part')
    for k in w1: assert torch.equal(w1[k], w2[k]), k


def workers(pid) -> list[int]:
    "Child processes of `pid` (torchrun's agent starts one per rank)."
    kids = []
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try: fields = stat.read_text().rsplit(')', 1)[1].split()
        except OSError: continue
        if int(fields[1]) == pid: kids.append(int(stat.parent.name))
    return sorted(kids)


def stderr_lines(job, seen: threading.Event, marker: str) -> list[str]:
    "A list that a thread fills with `job`'s stderr lines as they come, setting `seen` at the first holding `marker`."
    lines = []
    def read():
        for line in job.stderr:
            lines.append(line)
            if marker in line: seen.set()
    threading.Thread(target=read, daemon=True).start()
    return lines


@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGSTOP], ids=['killed', 'stuck'])
def test_a_lost_process_ends_the_job_instead_of_hanging(workdir, sig):
    """A killed rank is noticed by torchrun; a stuck one by the others' collective timeout (distributed.timeout_s).
    torchrun then gives the stuck process 30 s (its own, fixed) to obey a SIGTERM it cannot take while stopped: the
    test kills it as soon as rank 0 has failed on the timeout, which is what this test is about."""
    cmd = [*TORCHRUN, '--config', 'quick.yaml', 'name=lost', 'train.epochs=100000', 'distributed.timeout_s=10']
    job = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, 'PYTHONWARNINGS': 'ignore'})
    rank0_failed = threading.Event()
    err = stderr_lines(job, rank0_failed, 'error: [rank 0]')
    metrics, t0 = workdir/'runs'/'lost'/'metrics.jsonl', time.time()
    while not (metrics.is_file() and len(metrics.read_text().splitlines()) >= 2):
        assert job.poll() is None and time.time() - t0 < 120, "the job should be training"
        time.sleep(0.2)
    victim = workers(job.pid)[-1]
    os.kill(victim, sig)
    try:
        if sig == signal.SIGSTOP:
            assert rank0_failed.wait(120), "rank 0 should fail on the collective timeout"
            os.kill(victim, signal.SIGKILL)                # spares torchrun's 30 s wait for the stopped process
        job.wait(timeout=120)
    finally:
        for p in [victim, *workers(job.pid)]:
            try: os.kill(p, signal.SIGKILL)
            except ProcessLookupError: pass
        if job.poll() is None: job.kill()
        job.wait()
    err = ''.join(err)
    assert job.returncode != 0
    assert 'failed' in err.lower(), err[-2000:]
    if sig == signal.SIGSTOP: assert 'timed out' in err.lower() or 'timeout' in err.lower(), err[-2000:]
    state = torch.load(workdir/'runs'/'lost'/'checkpoints'/'last.pt', map_location='cpu', weights_only=True)
    assert state['epoch'] >= 1                       # the last checkpoint is whole


def test_config_errors_under_torchrun_exit_nonzero_with_one_line_per_rank(workdir):
    r = run_cli('--config', 'quick.yaml', 'distributed.sync_batchnorm=true', cwd=workdir, entry=TORCHRUN)
    assert r.returncode != 0
    errors = r.stderr.split('error: [rank ')[1:]        # the two ranks' lines may interleave on a shared stderr
    assert len(errors) == 2, r.stderr[-2000:]
    assert all('distributed.sync_batchnorm' in e and 'GPUs only' in e for e in errors), r.stderr[-2000:]
    assert not list((workdir/'runs').glob('*/checkpoints/*.pt'))
