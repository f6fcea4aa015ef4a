"End-to-end tests of `atnn-sweep` on fake MNIST: workers, a killed sweep rerun, shared storages, bad sweep files."
import csv, json, os, shutil, signal, subprocess, time, uuid
from pathlib import Path
import optuna
from optuna.trial import TrialState
import pytest
import yaml
from atnn.cli import sweep_main
from conftest import REPO, default_sigint, read_metrics, read_wandb_records, tree

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


def cli_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != 'WANDB_SERVICE'}    # an earlier test's W&B service: not ours
    return {**env, 'PYTHONWARNINGS': 'ignore', **extra}


def run_sweep_cli(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(sweep_cmd(*args), cwd=cwd, capture_output=True, text=True, timeout=900, env=cli_env())


def leaderboard(workdir, name='s') -> list[dict]:
    with open(Path(workdir)/'runs'/name/'leaderboard.csv') as f: return list(csv.DictReader(f))


def finished(rows) -> list[dict]: return [r for r in rows if r['state'] in ('complete', 'pruned')]


def wait_for_epoch(run_dir, p, deadline_s=300):
    "Wait until the run in `run_dir` has finished an epoch (it is mid-trial), while process `p` lives."
    first_epoch, deadline = Path(run_dir)/'metrics.jsonl', time.time() + deadline_s
    while not (first_epoch.is_file() and first_epoch.read_text().strip()):
        assert p.poll() is None and time.time() < deadline, f"the sweep ended before {run_dir} trained an epoch"
        time.sleep(0.05)


def start_held_sweep(workdir, *args, held='all', until=None, **popen) -> subprocess.Popen:
    """Start `atnn-sweep` whose trials (all, or those numbered in `held`, e.g. '1') stop after their first epoch and
    wait there for Ctrl-C or a kill, or until path `until` exists (tests/hold)."""
    env = cli_env(ATNN_TEST_HOLD=held, **({'ATNN_TEST_HOLD_UNTIL': str(until)} if until else {}),
                  PYTHONPATH=os.pathsep.join([str(REPO/'tests/hold'), *filter(None, [os.environ.get('PYTHONPATH')])]))
    popen = popen or dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    return subprocess.Popen(sweep_cmd(*args), cwd=workdir, text=True, preexec_fn=default_sigint, env=env, **popen)


def test_two_workers_share_the_trials(workdir):
    write_sweep(workdir, trials=4)
    p = start_held_sweep(workdir, '--workers', '2', held='0', until=workdir/'runs/s/trials/1')  # 1: the other's
    out, err = p.communicate(timeout=900)
    assert p.returncode == 0, err
    rows = leaderboard(workdir)
    assert len(rows) == 4 and len(finished(rows)) == 4 and len({r['trial'] for r in rows}) == 4
    study = optuna.load_study(study_name='s', storage=f"sqlite:///{workdir/'runs/s/study.db'}")
    assert len({t.user_attrs['worker'] for t in study.trials}) == 2, "both worker processes ran trials"
    d = workdir/'runs/s'
    for name in ('leaderboard.md', 'history.png', 'params.png', 'importance.png', 'best.yaml'):
        assert (d/name).is_file(), name
    assert sorted(p.name for p in (d/'trials').iterdir()) == [str(i) for i in range(4)]
    assert 'never used to choose' in out and f"python train.py --config {Path('runs/s/best.yaml')}" in out


def test_sigkill_mid_trial_then_rerun_finishes_exactly(workdir):
    write_sweep(workdir, trials=3, overrides={'data.val_split': 0.25, 'train.epochs': 5})
    p = start_held_sweep(workdir, held='1', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_epoch(workdir/'runs/s/trials/1', p)           # trial 1 is mid-way, held there
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
    p = start_held_sweep(workdir)
    wait_for_epoch(workdir/'runs/s/trials/0', p)           # trial 0 is mid-way, held there
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


def test_ctrl_c_with_two_workers_stops_the_running_trials_and_starts_none(workdir):
    write_sweep(workdir, trials=2, overrides={'data.val_split': 0.25, 'train.epochs': 3})
    p = start_held_sweep(workdir, '--workers', '2')
    for n in (0, 1): wait_for_epoch(workdir/'runs/s/trials'/str(n), p)      # both mid-trial, held there
    assert [len(read_metrics(workdir/'runs/s/trials'/str(n))) for n in (0, 1)] == [1, 1], "both held after epoch 1"
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert 'Traceback' not in err and 'Exception ignored' not in err, err
    assert err.strip().endswith('error: interrupted') and 'run the same command to continue' in out, (out, err)
    assert sorted(d.name for d in (workdir/'runs/s/trials').iterdir()) == ['0', '1'], "no trial started after Ctrl-C"
    study = optuna.load_study(study_name='s', storage=f"sqlite:///{workdir/'runs/s/study.db'}")
    states = {t.number: t.state for t in study.trials}
    assert states == {0: TrialState.FAIL, 1: TrialState.FAIL, 2: TrialState.WAITING, 3: TrialState.WAITING}, states
    assert {t.user_attrs['retry_of'] for t in study.trials[2:]} == {0, 1}, "both queued again"
    r = run_sweep_cli('--workers', '2', cwd=workdir)
    assert r.returncode == 0, r.stderr
    rows = leaderboard(workdir)
    notes = sorted(r['note'] for r in rows if r['state'] == 'fail')
    assert len(finished(rows)) == 2 and notes == ['retried as 2; interrupted', 'retried as 3; interrupted'], rows


def test_ctrl_c_after_a_trial_has_finished_keeps_its_result(workdir, monkeypatch):
    "A Ctrl-C that lands once a trial's training is over (here: as `train` returns) leaves it complete."
    import atnn.sweep
    real_train = atnn.sweep.train
    def train_then_ctrl_c(*a, **kw):
        summary = real_train(*a, **kw)
        os.kill(os.getpid(), signal.SIGINT)
        return summary
    monkeypatch.setattr(atnn.sweep, 'train', train_then_ctrl_c)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        write_sweep(workdir, trials=2, overrides={'data.val_split': 0.25, 'train.epochs': 1})
        assert sweep_main(['sweep.yaml']) == 130
    finally: signal.signal(signal.SIGINT, old)
    rows = leaderboard(workdir)
    assert [(r['trial'], r['state']) for r in rows] == [('0', 'complete')], rows
    assert json.loads((workdir/'runs/s/trials/0/summary.json').read_text())['best_val_acc'] == float(
        rows[0]['best_val_acc'])
    monkeypatch.setattr(atnn.sweep, 'train', real_train)
    assert sweep_main(['sweep.yaml']) == 0
    assert [r['state'] for r in leaderboard(workdir)] == ['complete', 'complete']


def _in_child(barrier, results, call, *args):
    "Wait for the other children, then `call(*args)`; its result or its error into `results`."
    barrier.wait()
    try: results.put(('ok', call(*args)))
    except Exception as e: results.put(('error', f"{type(e).__name__}: {e}"))


def at_once(n, call, *args) -> list:
    "`call(*args)` in `n` forked processes released at the same instant; their results, sorted."
    import multiprocessing as mp
    ctx = mp.get_context('fork')                         # no imports to wait for: the calls really coincide
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_in_child, args=(barrier, results, call, *args)) for _ in range(n)]
    for p in procs: p.start()
    got = sorted(results.get(timeout=120) for _ in procs)
    for p in procs: p.join()
    return got


def _new_postgres_database(url: str) -> str:
    "The URL of a new, empty database on the server of `url` (its tables not yet created)."
    import psycopg2
    from sqlalchemy.engine import make_url
    u, name = make_url(url), f"race_{uuid.uuid4().hex[:10]}"
    con = psycopg2.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
    con.autocommit = True
    con.cursor().execute(f"CREATE DATABASE {name}")
    con.close()
    return u.set(database=name).render_as_string(hide_password=False)


def new_storage_url(storage, workdir) -> str:
    "A storage URL of a database that does not exist yet (SQLite) or has no tables yet (PostgreSQL, no driver named)."
    if storage == 'postgresql':                          # as the docs write it: atnn picks the installed driver
        return _new_postgres_database(os.environ['ATNN_TEST_POSTGRES_URL']).replace('postgresql+psycopg2://',
                                                                                     'postgresql://')
    return f"sqlite:///{workdir}/{uuid.uuid4().hex[:8]}.db"


STORAGES = ['sqlite', pytest.param('postgresql', marks=pytest.mark.skipif(
    not os.environ.get('ATNN_TEST_POSTGRES_URL'), reason="no PostgreSQL server (.ci/run starts one)"))]


@pytest.mark.parametrize('storage', STORAGES)
def test_a_new_storage_opened_by_several_at_once(workdir, storage):
    "Commands on several machines creating one schema (no lock between them): each opens it, four times over."
    from atnn.study import open_storage
    for rep in range(4):
        got = at_once(4, lambda url: type(open_storage(url)).__name__, new_storage_url(storage, workdir))
        assert got == [('ok', 'RDBStorage')] * 4, (rep, got)


def _ask_three(url) -> list[int]:
    import warnings
    from atnn.study import open_storage
    study = optuna.load_study(study_name='q', storage=open_storage(url))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')                   # Optuna: heartbeats are meant for optimize()
        return [study.ask().number for _ in range(3)]


@pytest.mark.parametrize('storage', STORAGES)
def test_a_queued_trial_goes_to_one_worker(workdir, storage):
    "Workers asking at the same instant for the trials queued again after a Ctrl-C each get trials of their own."
    from atnn.study import open_storage
    for rep in range(5):
        url = new_storage_url(storage, workdir)
        study = optuna.create_study(study_name='q', storage=open_storage(url))
        for i in range(6): study.enqueue_trial({'x': i})
        numbers = [n for _, got in at_once(3, _ask_three, url) for n in got]
        assert len(numbers) == len(set(numbers)) == 9, (rep, sorted(numbers))


def _start(path, overrides) -> int:
    from atnn.sweep import start_sweep
    from atnn.sweep_space import load_sweep
    return start_sweep(load_sweep(path, overrides))[3]


@pytest.mark.parametrize('storage', STORAGES)
def test_commands_starting_together_on_a_new_study_all_join_it(workdir, storage):
    "Three starts at the same instant, four times: one creates the folder, schema and study; all join it."
    import atnn.sweep  # noqa: F401  (imported here once, not in each forked child)
    write_sweep(workdir)
    for rep in range(4):
        overrides = [f"name=r{rep}"] + ([f"storage={new_storage_url(storage, workdir)}"] if storage != 'sqlite' else [])
        got = at_once(3, _start, 'sweep.yaml', overrides)
        assert got == [('ok', 0), ('ok', 100), ('ok', 200)], (rep, got)


def commands_at_once(workdir, n=3, storage=None, name='s', trials=6):
    """`n` atnn-sweep commands started at the same moment on one new study; their outputs. Each trial is held after
    its first epoch until every command is running one (tests/hold), so that all `n` take part, however late one
    of them starts on a busy machine."""
    overrides = {'data.val_split': 0.25, 'train.epochs': 3}
    write_sweep(workdir, name=name, trials=trials, overrides=overrides, sampler='random',
                **({'storage': storage} if storage else {}))
    release, pipe = workdir/'all-running', subprocess.PIPE
    procs = [start_held_sweep(workdir, until=release, stdout=pipe, stderr=pipe) for _ in range(n)]
    for k, p in enumerate(procs): wait_for_epoch(workdir/'runs'/name/'trials'/str(k), p)   # one trial each, held
    release.touch()
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [o[1][-2000:] for o in outs]
    rows = leaderboard(workdir, name)
    assert len(rows) == trials and len(finished(rows)) == trials and len({r['trial'] for r in rows}) == trials
    assert len({r['optimizer.lr'] for r in rows}) == trials, "each command draws values of its own"
    ran = [sum(line.startswith('trial ') for line in o[0].splitlines()) for o in outs]
    assert sum(ran) == trials and min(ran) >= 1, ran


@pytest.mark.parametrize('storage', STORAGES)
def test_three_commands_started_at_once_complete_exactly_the_trials(workdir, storage):
    if storage == 'sqlite': commands_at_once(workdir)
    else: commands_at_once(workdir, storage=os.environ['ATNN_TEST_POSTGRES_URL'], name=f"pg-{uuid.uuid4().hex[:8]}")


def test_a_failed_trial_closes_its_wandb_run_as_failed(workdir):
    "W&B offline in a sweep: the trial whose loss turns NaN closes its run with exit code 1, the next one with 0."
    from atnn.study import open_study, storage_url
    from atnn.sweep import prepare_sweep_dir
    from atnn.sweep_space import load_sweep
    write_sweep(workdir, trials=1, sampler='random', space={'optimizer.lr': {'choices': [1e30, 0.05]}},
                overrides={'data.val_split': 0.25, 'train.epochs': 1, 'wandb.enabled': True, 'wandb.mode': 'offline'})
    sweep = load_sweep('sweep.yaml')
    study = open_study(sweep, storage_url(sweep, prepare_sweep_dir(sweep)))
    for lr in (1e30, 0.05): study.enqueue_trial({'optimizer.lr': lr})
    r = run_sweep_cli(cwd=workdir)                       # its own process: a W&B service of its own
    assert r.returncode == 0, r.stderr                   # one failed trial does not stop a sweep
    rows = {float(r['optimizer.lr']): r for r in leaderboard(workdir)}
    assert (rows[1e30]['state'], rows[0.05]['state']) == ('fail', 'complete'), rows
    exits, deadline = {}, time.time() + 60              # wandb-core may still be flushing when finish() returns
    while len(exits) < 2:
        for lr, r in rows.items():
            for f in (workdir/'runs/s/trials'/r['trial']).glob('wandb/offline-run-*/run-*.wandb'):
                found = [rec.exit.exit_code for rec in read_wandb_records(f) if rec.HasField('exit')]
                if found: exits[lr] = found[0]
        assert time.time() < deadline, f"exit records so far: {exits}"
        time.sleep(0.2)
    assert exits == {1e30: 1, 0.05: 0}, exits


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
    ({'storage': 'postgresql+pg8000://nobody@127.0.0.1:9/none'},
     "error: storage: postgresql+pg8000://nobody@127.0.0.1:9/none: the database's Python driver is not installed"),
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
    from atnn.sweep_space import load_sweep
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
