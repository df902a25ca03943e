#!/usr/bin/env bash
# MongoDB for local runs and CI. Where nothing answers at MONGODB_URL (loopback only):
#   1. a `mongod` on PATH;
#   2. otherwise SecantusDB's Rust server `secantusd-rs` (crate secantus-mdb, pinned, --locked),
#      built once with cargo into .data/bin/ (about 4 minutes; needs cmake and a C compiler);
#   3. where no cargo can build it, the PyPI package `secantusdb` (its `secantusd-py` server,
#      slower) in a virtualenv of its own under .data/.
# SecantusDB is GPL-2.0: it runs as a separate process and is never imported by the project.
# Data lives under .data/secantus (or .data/mongod). usage: mongodb.sh start|stop|build|status
source "$(dirname "$0")/common.sh"
HOST=$(url_host "$MONGODB_URL"); PORT=$(url_port "$MONGODB_URL" 27017)
SECANTUS_VERSION=0.5.3-beta.196
SECANTUS_BIN="$DATA/bin/secantusd-rs-$SECANTUS_VERSION"
SECANTUS_PY_VERSION=0.7.0b3
SECANTUS_PY_ENV="$DATA/secantusdb-py"
PIDFILE="$DATA/run/mongodb.pid"
# cargo's build directory outlives a fresh clone on the same machine, so a rebuild is incremental
TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hataraku/secantus-target}"

find_cargo() {
  command -v cargo >/dev/null && return 0
  [ -x "$HOME/.cargo/bin/cargo" ] && { export PATH="$HOME/.cargo/bin:$PATH"; return 0; }
  return 1
}

build_secantus() { # → 0 when $SECANTUS_BIN exists afterwards
  [ -x "$SECANTUS_BIN" ] && return 0
  find_cargo || { log "cargo not found: cannot build secantusd-rs"; return 1; }
  command -v cmake >/dev/null && command -v cc >/dev/null \
    || { log "installing cmake and a C compiler (WiredTiger is built from source)"; apt_install cmake build-essential || true; }
  log "building SecantusDB $SECANTUS_VERSION (secantusd-rs) with cargo — first run only, about 4 minutes"
  local root="$DATA/build/secantus"
  mkdir -p "$DATA/bin" "$TARGET_DIR"
  if ! cargo install secantus-mdb --version "$SECANTUS_VERSION" --locked --ignore-rust-version \
      --root "$root" --target-dir "$TARGET_DIR" >"$DATA/log/secantus-build.log" 2>&1; then
    log "cargo install secantus-mdb $SECANTUS_VERSION failed (last lines of $DATA/log/secantus-build.log):"
    tail -n 15 "$DATA/log/secantus-build.log" >&2
    return 1
  fi
  mv "$root/bin/secantusd-rs" "$SECANTUS_BIN"
  rm -rf "$root"
}

install_secantus_py() { # the slower pure-PyPI fallback
  [ -x "$SECANTUS_PY_ENV/bin/secantusd-py" ] && return 0
  log "installing the PyPI server secantusdb $SECANTUS_PY_VERSION into $SECANTUS_PY_ENV (slower than secantusd-rs)"
  python3 -m venv "$SECANTUS_PY_ENV" && "$SECANTUS_PY_ENV/bin/pip" install -q "secantusdb==$SECANTUS_PY_VERSION"
}

speaks_mongodb() { # a ping through the driver, where the project's Python is installed
  [ -x "$PY" ] || return 0
  "$PY" -c 'import sys, pymongo; pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=3000).admin.command("ping")' \
    "$MONGODB_URL" >/dev/null 2>&1
}

start() {
  if answers "$HOST" "$PORT"; then
    if speaks_mongodb; then log "MongoDB-compatible server answers on $HOST:$PORT"; return 0; fi
    log "$HOST:$PORT (MONGODB_URL=$MONGODB_URL) accepts connections but does not answer as MongoDB (a port taken by another program?): free it or point MONGODB_URL elsewhere"
    return 1
  fi
  case "$HOST" in
    127.0.0.1|localhost) ;;
    *) log "MONGODB_URL=$MONGODB_URL: $HOST:$PORT does not answer, and only a loopback database is started here"; return 1;;
  esac
  mkdir -p "$DATA/log"
  if command -v mongod >/dev/null; then
    mkdir -p "$DATA/mongod"
    log "starting mongod on $HOST:$PORT"
    mongod --dbpath "$DATA/mongod" --bind_ip 127.0.0.1 --port "$PORT" --fork \
      --logpath "$DATA/log/mongod.log" --pidfilepath "$PIDFILE" >/dev/null
  elif build_secantus; then
    mkdir -p "$DATA/secantus"
    log "starting SecantusDB $SECANTUS_VERSION (secantusd-rs, data in $DATA/secantus) on $HOST:$PORT"
    nohup "$SECANTUS_BIN" --host 127.0.0.1 --port "$PORT" --storage-path "$DATA/secantus" \
      --cache-size 1G --sync-on-commit --log-level WARNING >"$DATA/log/secantus.log" 2>&1 &
    echo $! > "$PIDFILE"
  elif install_secantus_py; then
    mkdir -p "$DATA/secantus-py"
    log "starting SecantusDB (secantusd-py $SECANTUS_PY_VERSION, data in $DATA/secantus-py) on $HOST:$PORT"
    nohup "$SECANTUS_PY_ENV/bin/secantusd-py" --host 127.0.0.1 --port "$PORT" \
      --storage-path "$DATA/secantus-py" --sync-on-commit >"$DATA/log/secantus.log" 2>&1 &
    echo $! > "$PIDFILE"
  else
    log "no MongoDB-compatible server could be started for $MONGODB_URL: no mongod on PATH, secantusd-rs could not be built and secantusdb could not be installed"
    return 1
  fi
  if ! wait_for "$HOST" "$PORT" 60 MongoDB; then
    log "the database did not start; see $DATA/log/secantus.log (is port $PORT taken by something that is not MongoDB?)"
    tail -n 10 "$DATA/log/secantus.log" >&2 2>/dev/null || true
    return 1
  fi
  log "MongoDB-compatible server up on $HOST:$PORT"
}

stop() {
  [ -f "$PIDFILE" ] || { log "MongoDB was not started by these scripts; leaving it"; return 0; }
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "MongoDB did not stop within 10 s: killing it (its journal keeps every acknowledged write)"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"; log "MongoDB stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  build) build_secantus ;;
  status) answers "$HOST" "$PORT" && echo up || echo down ;;
  *) echo "usage: $0 start|stop|build|status" >&2; exit 2 ;;
esac
