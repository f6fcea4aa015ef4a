"The README, the docs pages and the config reference are made from their sources: nbs/*.ipynb and the schema."
import subprocess, sys
from conftest import REPO


def test_readme_and_config_reference_are_current():
    r = subprocess.run([sys.executable, '.ci/readme.py', '--check'], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_readme_reads_in_five_minutes():
    "The front door stays short: what atnn is, the two commands, a first run, one table, the notebooks, links."
    text = (REPO/'README.md').read_text()
    assert len(text) <= 10_000, f"README.md has {len(text):,} characters; move detail to nbs/usage.ipynb"
    for page in ('docs/usage.md', 'docs/results.md', 'docs/config_reference.md'):
        assert f"]({page}" in text and (REPO/page).is_file(), page
