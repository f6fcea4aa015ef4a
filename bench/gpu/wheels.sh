#!/usr/bin/env bash
# Run here, where PyPI answers, before a device call: the GPU image's python3 (3.12, torch 2.11) lacks some of what
# atnn imports (fastcore for nbdev's @patch; optuna and its needs for sweeps), and nothing can be installed there.
# This fetches their wheels for that Python into the ignored .whl/ (under 10 MB); pass ".whl" in the call's carry,
# and bench/gpu/carried.sh installs them there. The versions are those of this checkout's .venv (where the tests
# pass), so the GPU runs what CI tests.   bash bench/gpu/wheels.sh
set -eu
cd "$(dirname "$0")/../.."
python=.venv/bin/python; [ -x "$python" ] || python=python3
packages=(fastcore optuna alembic SQLAlchemy Mako colorlog)       # optuna's own needs after it
read -ra pins < <("$python" -c 'import sys; from importlib.metadata import version
print(*(f"{p}=={version(p)}" for p in sys.argv[1:]))' "${packages[@]}") \
  || { echo "error: $python lacks one of ${packages[*]}: pip install -e '.[dev]' first"; exit 1; }
echo "fetching ${pins[*]}"
platforms=(); for n in 17 24 27 28 31 34; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
rm -rf .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" --platform manylinux2014_x86_64 -d .whl "${pins[@]}"
ls .whl; du -sh .whl
