"""README.md from nbs/index.ipynb, the pages in docs/ from nbs/usage.ipynb and nbs/results.ipynb, and
docs/config_reference.md from the config schema.

nbdev's convention is a README made from index.ipynb (`nbdev_readme`), but that needs Quarto, which these machines
cannot install; this does the same for what index.ipynb holds: markdown cells as they are, and the output of
`#| echo: false` cells (tables made from bench/results/*.json), computed now, so the README never holds a figure
that its source does not. `#| hide` cells run but show nothing.

    python .ci/readme.py           # write them all
    python .ci/readme.py --check   # exit 1 if any is stale (CI)
"""
import ast, contextlib, json, os, sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NBS = REPO/'nbs'


def directives(src: str) -> dict:
    "The `#| key: value` lines at the top of a cell."
    out = {}
    for line in src.splitlines():
        if not line.startswith('#|'): break
        key, _, value = line[2:].partition(':')
        out[key.strip()] = value.strip() or True
    return out


def run_cell(src: str, env: dict):
    "Run a code cell in `env`; the value of its last expression, as a notebook would show it (None if none)."
    tree = ast.parse(src)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, '<cell>', 'exec'), env)
    return eval(compile(ast.Expression(last.value), '<cell>', 'eval'), env) if last else None


@contextlib.contextmanager
def cwd(folder):
    "Work in `folder` inside the block (contextlib.chdir needs Python 3.11)."
    old = os.getcwd()
    os.chdir(folder)
    try: yield
    finally: os.chdir(old)


PAGES = {'README.md': 'index.ipynb', 'docs/usage.md': 'usage.ipynb', 'docs/results.md': 'results.ipynb'}


def page(notebook: str) -> str:
    "A page's markdown, from the notebook `notebook` in nbs/."
    parts, env = [], {}
    with cwd(NBS):                                    # cells run where the notebook runs
        for cell in json.loads((NBS/notebook).read_text())['cells']:
            src = ''.join(cell['source'])
            if cell['cell_type'] == 'markdown': parts.append(src); continue
            d, value = directives(src), run_cell(src, env)
            if d.get('hide'): continue
            if d.get('echo') != 'false': parts.append(f"```python\n{src}\n```")
            if value is not None: parts.append(getattr(value, 'data', None) or str(value))
    text = '\n\n'.join(p.strip() for p in parts) + '\n'
    first, _, rest = text.partition('\n\n')            # the notebook's title and `>` summary, as nbdev renders them
    return f"{first}\n\n{rest}"


def config_reference() -> str:
    sys.path.insert(0, str(REPO))
    from atnn.config import config_reference_md
    return ("# Configuration reference\n\nEvery key of an atnn config, its default and its meaning, made from the "
            "schema in `nbs/00b_config.ipynb` by `python .ci/readme.py`.\n\n" + config_reference_md() + '\n')


GENERATED = '<!-- made by `python .ci/readme.py` from nbs/{}: edit that notebook, not this file -->\n\n'


def main() -> int:
    files = {REPO/out: page(nb) if out == 'README.md' else GENERATED.format(nb) + page(nb) for out, nb in PAGES.items()}
    files[REPO/'docs'/'config_reference.md'] = config_reference()
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
    if '--check' in sys.argv:
        for p in stale: print(f"{p.relative_to(REPO)} is stale: run `python .ci/readme.py` and commit it")
        return 1 if stale else 0
    for p in stale:
        p.parent.mkdir(exist_ok=True)
        p.write_text(files[p]); print(f"wrote {p.relative_to(REPO)}")
    return 0


if __name__ == '__main__': sys.exit(main())
