#!/usr/bin/env bash
# Local SMTP sink (aiosmtpd) that keeps every mail as an .eml file under .data/mail/.
# usage: smtp.sh start|stop|status
source "$(dirname "$0")/common.sh"
PIDFILE="$DATA/run/smtp.pid"
MAILDIR="${HATARAKU_MAIL_DIR:-$DATA/mail}"

start() {
  if answers "$SMTP_HOST" "$SMTP_PORT"; then log "SMTP answers on $SMTP_HOST:$SMTP_PORT"; return 0; fi
  mkdir -p "$MAILDIR"
  nohup "$PY" -m deploy.local.mailsink --host "$SMTP_HOST" --port "$SMTP_PORT" --dir "$MAILDIR" \
    >"$DATA/log/smtp.log" 2>&1 &
  echo $! > "$PIDFILE"
  wait_for "$SMTP_HOST" "$SMTP_PORT" 20 SMTP
  log "SMTP sink on $SMTP_HOST:$SMTP_PORT, mails in $MAILDIR"
}

stop() {
  [ -f "$PIDFILE" ] || { log "SMTP was not started by these scripts; leaving it"; return 0; }
  kill "$(cat "$PIDFILE")" 2>/dev/null || true
  rm -f "$PIDFILE"; log "SMTP sink stopped"
}

case "${1:-start}" in
  start) (cd "$ROOT" && start) ;;
  stop) stop ;;
  status) answers "$SMTP_HOST" "$SMTP_PORT" && echo up || echo down ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
