"The README and the config reference are made from their sources: nbs/index.ipynb and the config schema."
import subprocess, sys
from conftest import REPO


def test_readme_and_config_reference_are_current():
    r = subprocess.run([sys.executable, '.ci/readme.py', '--check'], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
