#!/usr/bin/env bash
# RabbitMQ for local runs: Debian's rabbitmq-server, started detached, management plugin on,
# Prometheus plugin on (http://127.0.0.1:15692/metrics: queue depths for the dashboard).
# usage: rabbitmq.sh start|stop|restart|status
source "$(dirname "$0")/common.sh"
HOST=$(url_host "$AMQP_URL"); PORT=$(url_port "$AMQP_URL" 5672)
MARK="$DATA/run/rabbitmq.started"

start() {
  if answers "$HOST" "$PORT"; then
    log "RabbitMQ answers on $HOST:$PORT"
    # a local broker we did not start may lack the management plugin (employer users need its API)
    if [[ "$HOST" =~ ^(127\.0\.0\.1|localhost)$ ]] && ! answers 127.0.0.1 15672 && command -v rabbitmq-plugins >/dev/null; then
      as_root rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 && wait_for 127.0.0.1 15672 30 "RabbitMQ management" || true
    fi
    if [[ "$HOST" =~ ^(127\.0\.0\.1|localhost)$ ]] && ! answers 127.0.0.1 15692 && command -v rabbitmq-plugins >/dev/null; then
      as_root rabbitmq-plugins enable rabbitmq_prometheus >/dev/null 2>&1 || true
    fi
    return 0
  fi
  case "$HOST" in 127.0.0.1|localhost) ;; *) log "AMQP_URL points at $HOST, which does not answer"; return 1;; esac
  command -v rabbitmq-server >/dev/null || { log "installing rabbitmq-server"; apt_install rabbitmq-server; }
  as_root rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_prometheus >/dev/null
  log "starting rabbitmq-server (detached)"
  as_root rabbitmq-server -detached
  local i
  for ((i = 0; i < 60; i++)); do # the node needs a moment before rabbitmqctl can see it
    sleep 1
    as_root timeout 120 rabbitmqctl -q await_startup >/dev/null 2>&1 && break
  done
  wait_for "$HOST" "$PORT" 60 RabbitMQ
  touch "$MARK"
  log "RabbitMQ up: amqp $HOST:$PORT, management http://127.0.0.1:15672/ (guest/guest), metrics http://127.0.0.1:15692/metrics"
}

stop() {
  [ -f "$MARK" ] || { log "RabbitMQ was not started by these scripts; leaving it"; return 0; }
  as_root rabbitmqctl stop >/dev/null 2>&1 || true
  rm -f "$MARK"; log "RabbitMQ stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  # used by fault tests: stop the broker this project started, then start it again
  restart) as_root rabbitmqctl stop_app >/dev/null; as_root rabbitmqctl start_app >/dev/null ;;
  stop-app) as_root rabbitmqctl stop_app >/dev/null ;;
  start-app) as_root rabbitmqctl start_app >/dev/null; wait_for "$HOST" "$PORT" 60 RabbitMQ ;;
  status) answers "$HOST" "$PORT" && echo up || echo down ;;
  *) echo "usage: $0 start|stop|restart|stop-app|start-app|status" >&2; exit 2 ;;
esac
