# Sourced first by the GPU session scripts. The GPU image's python3 holds torch, timm and most of atnn's needs but
# not fastcore or optuna: bench/gpu/wheels.sh fetches those here into .whl/, which the device call carries. Where
# atnn does not import, this installs them into /tmp/site, and stops the session at once, saying what to do, if
# it still does not (without this check every step would fail on the same ImportError and spend the device's
# minutes). Where atnn imports already (a dry run here, in the project's .venv), the wheels are left alone.
atnn_imports() { python3 -c "import atnn.cli, atnn.learner, atnn.graphs, atnn.sweep" 2>/dev/null; }
if ! atnn_imports && compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}/tmp/site
fi
atnn_imports || {
  python3 -c "import atnn.cli, atnn.learner, atnn.graphs, atnn.sweep"     # the ImportError, for the log
  echo "error: atnn does not import with this python3: run bash bench/gpu/wheels.sh here and pass .whl in carry"
  exit 1; }
