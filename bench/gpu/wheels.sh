#!/usr/bin/env bash
# Run here, where PyPI answers, before a device call: the GPU image's python3 (3.12, torch 2.11) lacks some of what
# atnn imports (fastcore for nbdev's @patch; optuna and its needs for sweeps), and nothing can be installed there.
# This fetches their wheels for that Python into the ignored .whl/ (under 10 MB); pass ".whl" in the call's carry,
# and bench/gpu/carried.sh installs them there.   bash bench/gpu/wheels.sh
set -eu
cd "$(dirname "$0")/../.."
pins=(fastcore==1.14.5 optuna==5.1.0 alembic==1.20.1 SQLAlchemy==2.1.9 Mako==1.4.3 colorlog==6.12.0)
platforms=(); for n in 17 24 27 28 31 34; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
rm -rf .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" --platform manylinux2014_x86_64 -d .whl "${pins[@]}"
ls .whl; du -sh .whl
