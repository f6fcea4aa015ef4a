"End-to-end tests of `atnn-sweep` on fake MNIST: workers, a killed sweep rerun, shared storages, bad sweep files."
import csv, os, shutil, signal, subprocess, time, uuid
from pathlib import Path
import optuna
import pytest
import yaml
from atnn.cli import sweep_main
from conftest import REPO, default_sigint, tree

SPACE = {'optimizer.lr': {'low': 0.01, 'high': 0.3, 'log': True}, 'model.hidden': {'choices': [[32], [16]]}}


def write_sweep(workdir, **kw) -> Path:
    "A sweep file over the quick config (conftest), 25% of train held out."
    d = dict(name='s', base='quick.yaml', overrides={'data.val_split': 0.25, 'train.epochs': 2}, space=SPACE,
             trials=4, pruner='none', output_dir='runs')
    d.update(kw)
    (workdir/'sweep.yaml').write_text(yaml.safe_dump(d))
    return workdir/'sweep.yaml'


def sweep_cmd(*args) -> list[str]:
    exe = shutil.which('atnn-sweep')
    assert exe, "pip install -e . should put atnn-sweep on PATH"
    return [exe, 'sweep.yaml', *args]


def run_sweep_cli(*args, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, 'PYTHONWARNINGS': 'ignore'}
    return subprocess.run(sweep_cmd(*args), cwd=cwd, capture_output=True, text=True, timeout=900, env=env)


def leaderboard(workdir, name='s') -> list[dict]:
    with open(Path(workdir)/'runs'/name/'leaderboard.csv') as f: return list(csv.DictReader(f))


def finished(rows) -> list[dict]: return [r for r in rows if r['state'] in ('complete', 'pruned')]


def test_two_workers_share_the_trials(workdir):
    write_sweep(workdir, trials=4)
    r = run_sweep_cli('--workers', '2', cwd=workdir)
    assert r.returncode == 0, r.stderr
    rows = leaderboard(workdir)
    assert len(rows) == 4 and len(finished(rows)) == 4 and len({r['trial'] for r in rows}) == 4
    study = optuna.load_study(study_name='s', storage=f"sqlite:///{workdir/'runs/s/study.db'}")
    assert len({t.user_attrs['worker'] for t in study.trials}) == 2, "both worker processes ran trials"
    d = workdir/'runs/s'
    for name in ('leaderboard.md', 'history.png', 'params.png', 'importance.png', 'best.yaml'):
        assert (d/name).is_file(), name
    assert sorted(p.name for p in (d/'trials').iterdir()) == [str(i) for i in range(4)]
    assert 'never used to choose' in r.stdout and f"python train.py --config {Path('runs/s/best.yaml')}" in r.stdout


def test_sigkill_mid_trial_then_rerun_finishes_exactly(workdir):
    write_sweep(workdir, trials=3, overrides={'data.val_split': 0.25, 'train.epochs': 5})
    p = subprocess.Popen(sweep_cmd(), cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_epoch, deadline = workdir/'runs/s/trials/1/metrics.jsonl', time.time() + 300
    while not (first_epoch.is_file() and first_epoch.read_text().strip()):      # trial 1 is mid-way
        assert p.poll() is None and time.time() < deadline, "the sweep ended before trial 1 started"
        time.sleep(0.1)
    p.kill(); p.wait()
    r = run_sweep_cli(cwd=workdir)
    assert r.returncode == 0, r.stderr
    rows = leaderboard(workdir)
    assert len(finished(rows)) == 3, rows
    killed = [r for r in rows if r['state'] == 'fail']
    assert [r['trial'] for r in killed] == ['1'] and killed[0]['note'].startswith('retried as')
    retry = next(r for r in rows if r['note'] == 'retry of 1')
    assert (retry['optimizer.lr'], retry['model.hidden']) == (killed[0]['optimizer.lr'], killed[0]['model.hidden'])
    assert len(rows) == 4, "three finished trials and the killed one: nothing lost, nothing doubled"


def test_ctrl_c_exits_130_and_the_rerun_retries_the_trial(workdir):
    write_sweep(workdir, trials=2, overrides={'data.val_split': 0.25, 'train.epochs': 5})
    p = subprocess.Popen(sweep_cmd(), cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, preexec_fn=default_sigint)
    first_epoch, deadline = workdir/'runs/s/trials/0/metrics.jsonl', time.time() + 300
    while not (first_epoch.is_file() and first_epoch.read_text().strip()):
        assert p.poll() is None and time.time() < deadline, "the sweep ended before trial 0 started"
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGINT)                     # what Ctrl-C does: the whole foreground process group
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert 'run the same command to continue' in out and err.strip().endswith('error: interrupted'), (out, err)
    assert 'Traceback' not in err
    r = run_sweep_cli(cwd=workdir)
    assert r.returncode == 0, r.stderr
    rows = leaderboard(workdir)
    assert len(finished(rows)) == 2
    assert [r['note'] for r in rows if r['state'] == 'fail'] == ['retried as 1; interrupted']


def cooperate(workdir, storage=None, name='s'):
    "Two atnn-sweep commands on one study (the second started once the first has created it)."
    overrides = {'data.val_split': 0.25, 'train.epochs': 6}           # trials long enough for both to take some
    write_sweep(workdir, name=name, trials=5, overrides=overrides, **({'storage': storage} if storage else {}))
    env = {**os.environ, 'PYTHONWARNINGS': 'ignore'}
    pipe = subprocess.PIPE
    start = lambda: subprocess.Popen(sweep_cmd(), cwd=workdir, stdout=pipe, stderr=pipe, text=True, env=env)
    first = start()
    deadline = time.time() + 120
    while not (workdir/'runs'/name/'sweep.yaml').is_file() and time.time() < deadline: time.sleep(0.1)
    time.sleep(1)
    second = start()
    outs = [p.communicate(timeout=900) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], [o[1][-2000:] for o in outs]
    rows = leaderboard(workdir, name)
    assert len(rows) == 5 and len(finished(rows)) == 5 and len({r['trial'] for r in rows}) == 5
    ran = [sum(line.startswith('trial ') for line in o[0].splitlines()) for o in outs]
    assert sum(ran) == 5 and min(ran) >= 1, ran


def test_two_commands_on_one_sqlite_file(workdir):
    cooperate(workdir)


@pytest.mark.skipif(not os.environ.get('ATNN_TEST_POSTGRES_URL'),
                    reason="no PostgreSQL server (.ci/run starts one with .ci/postgres.sh)")
def test_two_commands_on_one_postgresql_study(workdir):
    cooperate(workdir, os.environ['ATNN_TEST_POSTGRES_URL'], name=f"pg-{uuid.uuid4().hex[:8]}")


BAD = [
    ({'space': {'optimizer.lrr': {'low': 0.1, 'high': 1}}}, "error: space.optimizer.lrr: unknown key"),
    ({'space': {'optimizer.lr': {'low': 0.3, 'high': 0.1}}}, "error: space.optimizer.lr: low must be below high"),
    ({'space': {'optimizer.lr': {'low': 0, 'high': 1, 'log': True}}}, "error: space.optimizer.lr.low: must be > 0"),
    ({'space': {'model.hidden': {'choices': []}}}, "error: space.model.hidden.choices: must list at least one"),
    ({'space': {}}, "error: space: is empty"),
    ({'sampler': 'bayes'}, "error: sampler: must be one of tpe, random, grid"),
    ({'sampler': 'grid'}, "error: space.optimizer.lr: the grid sampler needs choices or a step"),
    ({'pruner': 'sha'}, "error: pruner: must be one of none, median, hyperband"),
    ({'metric': 'test_acc'}, "error: metric: must be one of"),
    ({'metric': 'final_val_loss'}, "error: direction: final_val_loss is a loss: use direction: minimize"),
    ({'trails': 3}, "error: trails: unknown key (did you mean 'trials'?)"),
    ({'trials': 0}, "error: trials: must be >= 1"),
    ({'base': 'missing.yaml'}, "error: base: file not found: missing.yaml"),
    ({'overrides': {'optimizer.lr': -1}}, "error: optimizer.lr: must be > 0"),
    ({'storage': 'postgresql://nobody@127.0.0.1:9/none'}, "error: storage: postgresql://nobody@127.0.0.1:9/none: the "
                                                           "database's Python driver is not installed"),
]


@pytest.mark.parametrize('change, message', BAD, ids=[m.split(':')[1].strip() + str(i) for i, (_, m) in enumerate(BAD)])
def test_bad_sweep_file_exit_2_and_nothing_written(workdir, capsys, change, message):
    write_sweep(workdir, **change)
    before = tree(workdir)
    assert sweep_main(['sweep.yaml']) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count('\n') == 1 and 'Traceback' not in err, err
    assert tree(workdir) == before


def test_bad_command_line(workdir, capsys):
    write_sweep(workdir)
    assert sweep_main(['sweep.yaml', '--workers', '0']) == 2
    assert capsys.readouterr().err == "error: --workers: must be at least 1, got 0\n"
    assert sweep_main(['sweep.yaml', 'trials=two']) == 2
    assert capsys.readouterr().err.startswith("error: trials: must be an integer, got 'two'")


def test_wandb_agent_argument_forms(workdir):
    "`wandb agent` runs `python train.py --config=... --key=value`; atnn-train takes those as overrides."
    from atnn.cli import main
    assert main(['--config=quick.yaml', '--optimizer.lr=0.2', '--train.epochs=1', '--name=agent']) == 0
    cfg = yaml.safe_load((workdir/'runs/agent/config.yaml').read_text())
    assert (cfg['optimizer']['lr'], cfg['train']['epochs']) == (0.2, 1)


@pytest.mark.parametrize('path', ['sweeps/fashion_mnist_mlp.yaml', 'sweeps/report_cifar100.yaml'])
def test_shipped_sweep_files_load(path, monkeypatch):
    from atnn.sweep import load_sweep
    monkeypatch.chdir(REPO)
    assert load_sweep(path).trials >= 24


def test_wandb_example_names_config_keys(monkeypatch):
    "Every parameter of the W&B sweep is a config key the base config takes, in the form the agent passes."
    from atnn.cli import agent_style_overrides, create_parser
    from atnn.config import load_config
    monkeypatch.chdir(REPO)
    spec = yaml.safe_load((REPO/'sweeps/wandb_example.yaml').read_text())
    assert spec['program'] == 'train.py' and '${args}' in spec['command']
    argv = [a for a in spec['command'] if not a.startswith('$') and a != 'python']
    argv += [f"--{k}={v.get('min', 0.1)}" for k, v in spec['parameters'].items()]
    args = create_parser().parse_intermixed_args(agent_style_overrides(argv, create_parser()))
    cfg = load_config(args.config, args.overrides)
    assert cfg.wandb.enabled and cfg.data.val_split == 0.1
