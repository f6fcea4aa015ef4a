# step NAME SECONDS COMMAND...: COMMAND under a time limit, its output in $OUT/NAME.log (sourced by the GPU scripts,
# so that one stuck step cannot take the others' results with it). With STEP_SINCE=<file>, the bench/results files
# written since that file's time are copied into $OUT/results after each step: a session cut short keeps them.
step() {
  local name=$1 limit=$2; shift 2
  echo "== $(date +%T) $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  echo "rc=$?" >>"$OUT/$name.log"
  tail -n 4 "$OUT/$name.log"
  if [ -n "${STEP_SINCE:-}" ]; then
    mkdir -p "$OUT/results"
    find bench/results -type f -newer "$STEP_SINCE" -exec cp {} "$OUT/results/" \;
  fi
}
