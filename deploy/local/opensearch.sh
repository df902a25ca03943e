#!/usr/bin/env bash
# OpenSearch for local runs and CI. Where nothing answers at OPENSEARCH_URL (loopback only), one
# OpenSearch 2.19.6 node assembled from Maven Central artifacts by deploy/opensearch/pom.xml and
# started in-process by its launcher (plugins on the classpath, single-node discovery, no
# replicas so indices are green). Built once with Maven into .data/build/opensearch (about 15 s
# and ~90 MB of downloads into ~/.m2 the first time; rebuilt only when the pom or the launcher
# changes); needs a JDK 17+ and mvn. Data lives under .data/opensearch, its log in
# .data/log/opensearch.log. OPENSEARCH_HEAP (default 512m) sets the heap, OPENSEARCH_JAVA_OPTS
# adds JVM options. usage: opensearch.sh start|stop|build|status
source "$(dirname "$0")/common.sh"
export OPENSEARCH_URL="${OPENSEARCH_URL:-http://127.0.0.1:9200}"
HOST=$(url_host "$OPENSEARCH_URL"); PORT=$(url_port "$OPENSEARCH_URL" 9200)
SRC="$ROOT/deploy/opensearch"
BUILD="$DATA/build/opensearch"
HOME_DIR="$DATA/opensearch"
LOGFILE="$DATA/log/opensearch.log"
PIDFILE="$DATA/run/opensearch.pid"
HEAP="${OPENSEARCH_HEAP:-512m}"
START_TIMEOUT="${OPENSEARCH_START_TIMEOUT:-90}"
LAUNCHER=jp.hataraku.search.Launcher

http_get() { # url → body on stdout; fails on no answer or an HTTP error
  curl -fsS -m 5 "$1" 2>/dev/null
}

# "OpenSearch <version>" when OPENSEARCH_URL answers as OpenSearch, else fails
speaks_opensearch() {
  local body
  body=$(http_get "$OPENSEARCH_URL/") || return 1
  [[ "$body" == *'"distribution" : "opensearch"'* || "$body" == *'"distribution":"opensearch"'* ]] || return 1
  local v="${body#*\"number\"}"; v="${v#*\"}"; echo "OpenSearch ${v%%\"*}"
}

health() { # green, yellow or red; fails when the cluster does not answer
  local body
  body=$(http_get "$OPENSEARCH_URL/_cluster/health") || return 1
  [[ "$body" =~ \"status\":\"([a-z]+)\" ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

stamp() { # what the build depends on: the pom, the launcher's sources, the JDK
  { cat "$SRC/pom.xml"; find "$SRC/src" -type f -print0 | sort -z | xargs -0 cat; java -version 2>&1; } \
    | sha256sum | cut -d' ' -f1
}

build() { # → 0 when $BUILD holds a launcher built from the current sources
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    log "installing a JDK and Maven (to build the OpenSearch launcher)"
    apt_install openjdk-17-jdk-headless maven || return 1
  fi
  local want; want=$(stamp)
  [ -f "$BUILD/hataraku-opensearch.jar" ] && [ "$(cat "$BUILD/.stamp" 2>/dev/null)" = "$want" ] && return 0
  log "building the OpenSearch launcher with Maven into $BUILD (first run downloads ~90 MB from Maven Central)"
  rm -rf "$BUILD"; mkdir -p "$BUILD"
  # offline first: a rebuild after a pom or launcher change usually has everything in ~/.m2
  if ! mvn -q -B -o -f "$SRC/pom.xml" package -Dbuild.dir="$BUILD" >"$DATA/log/opensearch-build.log" 2>&1 \
    && ! mvn -q -B -f "$SRC/pom.xml" package -Dbuild.dir="$BUILD" >"$DATA/log/opensearch-build.log" 2>&1; then
    log "mvn package failed (last lines of $DATA/log/opensearch-build.log):"
    tail -n 20 "$DATA/log/opensearch-build.log" >&2
    return 1
  fi
  echo "$want" > "$BUILD/.stamp"
}

ours() { # true when the pid file names a running launcher
  [ -f "$PIDFILE" ] && grep -qs "$LAUNCHER" "/proc/$(cat "$PIDFILE")/cmdline"
}

start() {
  local what
  if answers "$HOST" "$PORT"; then
    if what=$(speaks_opensearch); then log "$what already answers at $OPENSEARCH_URL: using it"; return 0; fi
    log "$HOST:$PORT (OPENSEARCH_URL=$OPENSEARCH_URL) accepts connections but does not answer as OpenSearch (a port taken by another program?): free it or point OPENSEARCH_URL elsewhere"
    return 1
  fi
  case "$HOST" in
    127.0.0.1|localhost) ;;
    *) log "OPENSEARCH_URL=$OPENSEARCH_URL: $HOST:$PORT does not answer, and only a loopback engine is started here"; return 1;;
  esac
  if ours; then
    log "the OpenSearch started earlier (pid $(cat "$PIDFILE")) is still starting or stuck: see $LOGFILE, or run $0 stop"
    return 1
  fi
  build || return 1
  mkdir -p "$HOME_DIR/data" "$HOME_DIR/tmp"
  log "starting OpenSearch 2.19.6 (heap $HEAP, data in $HOME_DIR) on $HOST:$PORT"
  local t0=$SECONDS
  # its own session, so it outlives the shell that started it
  # shellcheck disable=SC2086 # OPENSEARCH_JAVA_OPTS is a list of options
  setsid nohup java -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -Xss1m -XX:+ExitOnOutOfMemoryError \
    -XX:-OmitStackTraceInFastThrow -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Djava.locale.providers=SPI,COMPAT -Djava.io.tmpdir="$HOME_DIR/tmp" -Djna.nosys=true \
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
    -Dio.netty.recycler.maxCapacityPerThread=0 \
    -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
    ${OPENSEARCH_JAVA_OPTS:-} -cp "$BUILD/hataraku-opensearch.jar:$BUILD/lib/*" "$LAUNCHER" \
    path.home="$HOME_DIR" path.data="$HOME_DIR/data" path.logs="$DATA/log" \
    network.host=127.0.0.1 http.port="$PORT" \
    >"$LOGFILE" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  local status=""
  while ((SECONDS - t0 < START_TIMEOUT)); do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then log "OpenSearch exited while starting"; break; fi
    # healthy, and the launcher has stored the cluster's default of no replicas
    status=$(health) && [[ "$status" == green || "$status" == yellow ]] \
      && [[ "$(http_get "$OPENSEARCH_URL/_cluster/settings")" == *default_number_of_replicas* ]] && break
    status=""; sleep 0.5
  done
  if [ -z "$status" ]; then
    ((SECONDS - t0 < START_TIMEOUT)) || log "OpenSearch did not become healthy within $START_TIMEOUT s"
    log "last lines of $LOGFILE:"
    tail -n 30 "$LOGFILE" >&2 || true
    stop >/dev/null 2>&1 || true
    return 1
  fi
  log "$(speaks_opensearch) up at $OPENSEARCH_URL (cluster $status, $((SECONDS - t0)) s)"
}

stop() {
  [ -f "$PIDFILE" ] || { log "OpenSearch was not started by these scripts; leaving it"; return 0; }
  if ! ours; then log "OpenSearch (pid $(cat "$PIDFILE")) is not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "OpenSearch did not stop within 10 s: killing it (its translog keeps every acknowledged write)"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"; log "OpenSearch stopped"
}

status() {
  local what
  if what=$(speaks_opensearch); then echo "up ($what at $OPENSEARCH_URL, cluster $(health || echo unknown))"
  elif answers "$HOST" "$PORT"; then echo "taken ($HOST:$PORT answers, but not as OpenSearch)"; return 1
  else echo down; return 1
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  build) build ;;
  status) status ;;
  *) echo "usage: $0 start|stop|build|status" >&2; exit 2 ;;
esac
