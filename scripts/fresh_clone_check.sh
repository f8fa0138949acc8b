#!/usr/bin/env bash
# The two commands a newcomer types, each first on a fresh clone of this checkout, with the embedded
# defaults only (no DATABASE_URL, broker, cache or S3 settings):
#   1. `make run` must answer GET /api/v1/health with 200 within $RUN_DEADLINE seconds;
#   2. `make test` must pass (in another fresh clone, so nothing the first one made helps it).
# Everything started here is stopped by its own process group id, and the clones are removed.
# Usage: scripts/fresh_clone_check.sh [run|test|all]   (default all)
set -euo pipefail

what="${1:-all}"
source_repo="$(cd "$(dirname "$0")/.." && pwd)"
RUN_DEADLINE="${RUN_DEADLINE:-180}"
work="$(mktemp -d "${TMPDIR:-/tmp}/leadsy-fresh-clone.XXXXXX")"
run_pgid=""

cleanup() {
  if [ -n "$run_pgid" ] && kill -0 -- "-$run_pgid" 2>/dev/null; then
    kill -TERM -- "-$run_pgid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 -- "-$run_pgid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$run_pgid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Only what a newcomer's shell has: no service settings of this machine or of CI leak into the clone.
embedded_env=(env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL -u AWS_STORAGE_BUCKET_NAME
  -u AWS_S3_ENDPOINT_URL -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u DJANGO_SETTINGS_MODULE
  -u LEADSY_VAR_DIR -u CELERY_BROKER_DIR -u VIRTUAL_ENV -u PYTEST_ARGS)

fresh_clone() {
  git clone --quiet --no-hardlinks "$source_repo" "$work/$1"
  echo "$work/$1"
}

check_run() {
  local clone port log
  clone="$(fresh_clone run)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log="$work/make-run.log"
  echo "== fresh clone: make run (embedded defaults) on 127.0.0.1:$port"
  # setsid: make and everything it starts (runserver, the Celery worker) share one process group.
  (cd "$clone" && exec setsid "${embedded_env[@]}" make run ADDR="127.0.0.1:$port" >"$log" 2>&1 </dev/null) &
  local started=$SECONDS
  for _ in $(seq 100); do run_pgid="$(ps -o pgid= -p $! 2>/dev/null | tr -d ' ')"; [ -n "$run_pgid" ] && break; sleep 0.1; done
  while true; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/api/v1/health")" = "200" ]; then
      echo "   health answered 200 after $((SECONDS - started)) s"
      break
    fi
    if ! kill -0 $! 2>/dev/null; then
      echo "FAIL: make run exited before health answered; the tail of its log:"; tail -n 60 "$log"; return 1
    fi
    if [ $((SECONDS - started)) -ge "$RUN_DEADLINE" ]; then
      echo "FAIL: health did not answer 200 within $RUN_DEADLINE s; the tail of make run's log:"; tail -n 60 "$log"; return 1
    fi
    sleep 2
  done
  kill -TERM -- "-$run_pgid" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 -- "-$run_pgid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$run_pgid" 2>/dev/null || true
  run_pgid=""
}

check_test() {
  local clone
  clone="$(fresh_clone test)"
  echo "== fresh clone: make test (embedded defaults: SQLite, filesystem broker)"
  (cd "$clone" && "${embedded_env[@]}" make test </dev/null)
}

case "$what" in
  run) check_run ;;
  test) check_test ;;
  all) check_run; check_test ;;
  *) echo "usage: $0 [run|test|all]" >&2; exit 2 ;;
esac
