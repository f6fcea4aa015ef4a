# Sourced first by the GPU session scripts. The GPU image's python3 holds torch, timm and most of atnn's needs but
# not fastcore or optuna: bench/gpu/wheels.sh fetches those here into .whl/, which the device call carries. This
# installs them into /tmp/site, and stops the session at once, saying what to do, if atnn still does not import
# (without this check every step would fail on the same ImportError and spend the device's minutes).
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}/tmp/site
fi
python3 -c "import atnn.cli, atnn.learner, atnn.graphs, atnn.sweep" || {
  echo "error: atnn does not import with this python3: run bash bench/gpu/wheels.sh here and pass .whl in carry"
  exit 1; }
