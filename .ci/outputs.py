"""Run notebooks and keep their outputs, so that they read as documentation wherever notebooks are rendered.

    python .ci/outputs.py [nbs/02_augment.ipynb ...]     # default: every notebook in nbs/

Each notebook runs as `nbdev_test` runs it (IN_TEST=1, so the report notebook trains on its fake CIFAR-100;
`#| eval: false` cells and cells flagged `slow` are skipped) and its outputs are written into it. Run
`nbdev_clean` afterwards. Stop on the first failing notebook.
"""
import os, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

REPO = Path(__file__).resolve().parents[1]


def skipped(cell) -> bool:
    "Cells nbdev_test skips: markdown, `#| eval: false`, and the `slow` flag."
    if cell.cell_type != 'code': return True
    head = [l[2:].strip() for l in cell.source.splitlines() if l.startswith('#|')]
    return any(d.replace(' ', '') == 'eval:false' or d == 'slow' for d in head)


def run(fn: Path):
    nb = read_nb(fn)
    for cell in nb.cells:
        if cell.cell_type == 'code': cell.outputs, cell.execution_count = [], None
    shell, old = CaptureShell(fn), os.getcwd()
    os.chdir(fn.parent)
    try: shell.run_all(nb, exc_stop=True, preproc=skipped)
    finally: os.chdir(old)
    write_nb(nb, fn)
    print(f"{fn.name}: outputs kept")


if __name__ == '__main__':
    os.environ['IN_TEST'] = '1'
    for fn in [Path(a) for a in sys.argv[1:]] or sorted((REPO/'nbs').glob('*.ipynb')): run(fn.resolve())
