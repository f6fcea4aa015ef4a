"`atnn-export` and `atnn-predict EXPORT_DIR` end to end: exit statuses, nothing half written, no torch."
import json, shutil, subprocess, sys
from PIL import Image
from atnn.cli import export_main, main, predict_main
from conftest import run_cli, tree


def quick_run(workdir, name='r', *overrides):
    "The quick config trained for one epoch as run `name`; its folder."
    assert main(['--config', 'quick.yaml', 'train.epochs=1', f'name={name}', *overrides]) == 0
    return workdir/'runs'/name


def images(workdir, n=3) -> list[str]:
    "`n` small grayscale PNGs in `workdir`, their names."
    for i in range(n): Image.new('L', (28, 28), 40 * i).save(workdir/f'{i}.png')
    return [f'{i}.png' for i in range(n)]


def test_export_then_predict_through_onnx_gives_the_run_s_lines(workdir, capsys):
    run = quick_run(workdir)
    assert export_main([str(run), '--format', 'onnx,pt2']) == 0
    folder = run/'export'/'best'
    written = {p.name for p in folder.iterdir()}
    assert {'model.onnx', 'model.pt2', 'preprocess.json', 'manifest.json', 'README.md'} <= written
    capsys.readouterr()
    for flags in ([], ['--json']):
        assert predict_main([str(run), *images(workdir), '--topk', '3', *flags]) == 0
        by_run = capsys.readouterr().out.splitlines()
        assert predict_main([str(folder), *images(workdir), '--topk', '3', *flags]) == 0
        by_export = capsys.readouterr().out.splitlines()
        if flags:
            classes = lambda lines: [[t['index'] for t in json.loads(l)['top']] for l in lines]
            assert classes(by_export) == classes(by_run)
        else:
            assert [l.split()[:2] for l in by_export] == [l.split()[:2] for l in by_run]   # path and top class


def test_predict_from_an_export_folder_never_imports_torch(workdir):
    run = quick_run(workdir)
    assert export_main([str(run), '--format', 'onnx']) == 0
    code = ("import sys; sys.modules.update(torch=None, torchvision=None, timm=None)   # as if not installed\n"
            "from atnn.cli import predict_main; sys.exit(predict_main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, '-c', code, str(run/'export'/'best'), *images(workdir, 1), '--json'],
                       cwd=workdir, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['path'] == '0.png'


def test_bad_requests_exit_2_and_write_nothing(workdir, capsys):
    "In this process, through `export_main` (the console script itself is run by the tests around this one)."
    run = quick_run(workdir)
    before = tree(run)
    capsys.readouterr()
    for args, message in ((['--format', 'tflite'], "error: --format: must be among onnx, pt2, timm; got 'tflite'"),
                          (['--format', 'timm'], "error: --format: timm: mlp is not a timm architecture"),
                          (['--checkpoint', 'newest'], "error: argument --checkpoint: invalid choice")):
        status, err = export_main([str(run), *args]), capsys.readouterr().err
        assert status == 2 and err.startswith(message) and err.count('\n') == 1, err
    (run/'checkpoints'/'best.pt').unlink()
    status, err = export_main([str(run)]), capsys.readouterr().err
    assert status == 2 and 'best.pt does not exist' in err
    assert not (run/'export').exists() and tree(run).keys() == before.keys() - {'checkpoints/best.pt'}


def test_out_folder_that_exists_is_refused(workdir, capsys):
    run = quick_run(workdir)
    (workdir/'taken').mkdir()
    capsys.readouterr()
    status, err = export_main([str(run), '--out', 'taken']), capsys.readouterr().err
    assert status == 2 and 'taken exists: give a new folder' in err
    assert list((workdir/'taken').iterdir()) == []


def test_a_changed_export_file_is_refused(workdir):
    run = quick_run(workdir)
    assert export_main([str(run), '--format', 'onnx']) == 0
    onnx = run/'export'/'best'/'model.onnx'
    onnx.write_bytes(onnx.read_bytes()[:-16] + bytes(16))
    r = run_cli(str(run/'export'/'best'), *images(workdir, 1), cwd=workdir, entry=(shutil.which('atnn-predict'),))
    assert r.returncode == 1 and 'model.onnx was changed since it was exported' in r.stderr, r.stderr


def test_tta_export_carries_the_views_inside(workdir):
    run = quick_run(workdir, 't', 'data.augment.hflip=true', 'data.augment.random_crop=true')
    assert export_main([str(run), '--format', 'onnx', '--tta', '--out', 'exp']) == 0
    manifest = json.loads((workdir/'exp'/'manifest.json').read_text())
    assert manifest['tta'] and manifest['max_prob_diff']['onnx'] <= 1e-4
    assert predict_main(['exp', *images(workdir, 1), '--tta']) == 0
    r = run_cli('exp2', cwd=workdir, entry=(shutil.which('atnn-export'),))
    assert r.returncode == 2                                  # not a run folder
