#!/usr/bin/env bash
# MongoDB for local runs: a mongod on PATH if there is one, otherwise FerretDB 1.24.2
# (SQLite backend, data under .data/ferretdb), built from source with Go.
# usage: mongodb.sh start|stop|status
source "$(dirname "$0")/common.sh"
HOST=$(url_host "$MONGODB_URL"); PORT=$(url_port "$MONGODB_URL" 27017)
FERRET_VERSION=v1.24.2
FERRET_BIN="$DATA/bin/ferretdb-$FERRET_VERSION"
PIDFILE="$DATA/run/mongodb.pid"

build_ferretdb() {
  [ -x "$FERRET_BIN" ] && return 0
  command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { log "installing Debian's golang"; apt_install golang-go ca-certificates; }
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  log "building FerretDB $FERRET_VERSION with Go (first run only, about a minute)"
  # `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` is what upstream documents, but
  # the binary it makes panics at start (the module zip lacks build/version/version.txt), so we
  # fetch the same module with `go mod download`, add that one file, and `go build` it.
  local work="$DATA/build/ferretdb"
  rm -rf "$work"; mkdir -p "$work/mod"
  printf 'module hatarakuferret\n\ngo 1.21\n\nrequire github.com/FerretDB/FerretDB %s\n' "$FERRET_VERSION" > "$work/mod/go.mod"
  local dir
  dir=$(cd "$work/mod" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRET_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { log "go mod download of FerretDB failed"; return 1; }
  cp -r "$dir" "$work/src"; chmod -R u+w "$work/src"
  echo "$FERRET_VERSION" > "$work/src/build/version/version.txt"
  mkdir -p "$DATA/bin"
  (cd "$work/src" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -o "$FERRET_BIN" ./cmd/ferretdb)
  rm -rf "$work"
}

start() {
  if answers "$HOST" "$PORT"; then log "MongoDB-compatible server answers on $HOST:$PORT"; return 0; fi
  case "$HOST" in 127.0.0.1|localhost) ;; *) log "MONGODB_URL points at $HOST, which does not answer"; return 1;; esac
  if command -v mongod >/dev/null; then
    mkdir -p "$DATA/mongod"
    log "starting mongod"
    mongod --dbpath "$DATA/mongod" --bind_ip 127.0.0.1 --port "$PORT" --fork \
      --logpath "$DATA/log/mongod.log" --pidfilepath "$PIDFILE" >/dev/null
  else
    build_ferretdb
    mkdir -p "$DATA/ferretdb"
    log "starting FerretDB $FERRET_VERSION (SQLite backend, data in $DATA/ferretdb)"
    nohup "$FERRET_BIN" --handler=sqlite --sqlite-url="file:$DATA/ferretdb/" \
      --listen-addr="127.0.0.1:$PORT" --state-dir="$DATA/ferretdb" --telemetry=disable \
      --debug-addr=- --log-level=warn >"$DATA/log/ferretdb.log" 2>&1 &
    echo $! > "$PIDFILE"
  fi
  wait_for "$HOST" "$PORT" 60 MongoDB
  log "MongoDB-compatible server up on $HOST:$PORT"
}

stop() {
  [ -f "$PIDFILE" ] || { log "MongoDB was not started by these scripts; leaving it"; return 0; }
  kill "$(cat "$PIDFILE")" 2>/dev/null || true
  rm -f "$PIDFILE"; log "MongoDB stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  build) build_ferretdb ;;
  status) answers "$HOST" "$PORT" && echo up || echo down ;;
  *) echo "usage: $0 start|stop|build|status" >&2; exit 2 ;;
esac
