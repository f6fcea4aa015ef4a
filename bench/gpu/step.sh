# step NAME SECONDS COMMAND...: COMMAND under a time limit, its output in $OUT/NAME.log (sourced by the GPU scripts,
# so that one stuck step cannot take the others' results with it)
step() {
  local name=$1 limit=$2; shift 2
  echo "== $(date +%T) $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  echo "rc=$?" >>"$OUT/$name.log"
  tail -n 4 "$OUT/$name.log"
}
