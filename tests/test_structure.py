"The shape of the code: imports flow one way in notebook order, small export cells, short lines."
import ast, json, re, subprocess, sys
from pathlib import Path
import pytest
from conftest import REPO

PKG = REPO/'atnn'
MODULES = sorted(p for p in PKG.glob('*.py') if p.name not in ('__init__.py', '_modidx.py'))
MAX_LINE, MAX_EXPORT_CELL = 120, 64      # "about 60 lines" a cell: the Learner class is 63


def notebook_of(module: Path) -> str:
    "The notebook a module is exported from, from nbdev's header line."
    return re.search(r'File to edit: \.\./nbs/(\S+)\.ipynb', module.read_text()).group(1)


def atnn_imports(tree) -> list[tuple[str, bool, bool]]:
    "(imported atnn module, inside a function?, inside `if TYPE_CHECKING`?) for each import of an atnn module."
    out = []
    def visit(node, in_func=False, typing_only=False):
        for child in ast.iter_child_nodes(node):
            f = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            t = typing_only or (isinstance(child, ast.If) and getattr(child.test, 'id', '') == 'TYPE_CHECKING')
            if isinstance(child, ast.ImportFrom):
                mod = child.module or ''
                if child.level == 1: out.append((mod.split('.')[0], f, t))
                elif mod.startswith('atnn.'): out.append((mod.split('.')[1], f, t))
            if isinstance(child, ast.Import):
                out.extend((a.name.split('.')[1], f, t) for a in child.names if a.name.startswith('atnn.'))
            visit(child, f, t)
    visit(tree)
    return out


GRAPH = {m.stem: atnn_imports(ast.parse(m.read_text())) for m in MODULES}


def test_imports_flow_forward_in_notebook_order():
    order = {m.stem: notebook_of(m) for m in MODULES}
    back = [(m, dep) for m, deps in GRAPH.items() for dep, _, _ in deps if order[dep] >= order[m]]
    assert not back, f"imports of a module from a later (or the same) notebook: {back}"


def test_no_import_cycle():
    done = set()
    def walk(m, path):
        assert m not in path, f"import cycle: {' -> '.join(path + [m])}"
        if m in done: return
        for dep, _, typing_only in GRAPH[m]:
            if not typing_only: walk(dep, path + [m])
        done.add(m)
    for m in GRAPH: walk(m, [])


def test_no_function_local_atnn_import_outside_the_command_line():
    local = [(m, dep) for m, deps in GRAPH.items() for dep, in_func, _ in deps if in_func and m != 'cli']
    assert not local, f"atnn imports inside functions: {local}"


def test_config_loads_without_torch():
    code = "import sys, atnn.cli; atnn.config.load_config(None); assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, '-c', code], check=True, cwd=REPO)


def long_lines(path: Path) -> list[int]:
    "Numbers of the lines of `path` over MAX_LINE characters, nbdev's generated `__all__` aside."
    text = path.read_text()
    start = text.find('__all__ = [')
    generated = range(text[:start].count('\n') + 1, text[:text.find(']', start)].count('\n') + 2) if start >= 0 else []
    return [i for i, line in enumerate(text.splitlines(), 1) if len(line) > MAX_LINE and i not in generated]


@pytest.mark.parametrize('folder', ['atnn', 'tests', 'bench'])
def test_lines_are_short(folder):
    long = [f"{p.relative_to(REPO)}:{i}" for p in sorted((REPO/folder).rglob('*.py')) if p.name != '_modidx.py'
            for i in long_lines(p)]
    assert not long, f"lines over {MAX_LINE} characters: {long}"


def test_export_cells_are_small():
    big = []
    for nb in sorted((REPO/'nbs').glob('*.ipynb')):
        for cell in json.loads(nb.read_text())['cells']:
            src = ''.join(cell['source'])
            if cell['cell_type'] == 'code' and re.match(r'#\| export', src) and src.count('\n') + 1 > MAX_EXPORT_CELL:
                big.append(f"{nb.name}: {src.splitlines()[1][:60]}... ({src.count(chr(10)) + 1} lines)")
    assert not big, f"export cells over {MAX_EXPORT_CELL} lines: {big}"
