#!/usr/bin/env bash
# Give an employer system its own RabbitMQ user (see services/applications/EMPLOYER_SYSTEMS.md):
#
#   deploy/local/employer-user.sh EMPLOYER_ID [PASSWORD]
#
# - user `employer-<EMPLOYER_ID>` (no management tags), password given or generated (printed);
# - permissions on the vhost: configure nothing, write only the `<prefix>employer.requests`
#   exchange, read only its own reply queue;
# - its reply queue `<prefix>employer-<EMPLOYER_ID>.replies` (durable) bound to the
#   `<prefix>employer.replies` exchange with routing key EMPLOYER_ID, so it receives the answers
#   meant for it and nothing else;
# - limits: at most EMPLOYER_MAX_CONNECTIONS (default 2) connections and EMPLOYER_MAX_CHANNELS
#   (default 8) channels for the user (`rabbitmqctl set_user_limits`, here through the API);
# - the policy `<prefix>employer-requests-limits` on the queue `<prefix>applications.employer-requests`:
#   at most EMPLOYER_QUEUE_MAX_LENGTH (default 10000) messages and EMPLOYER_QUEUE_MAX_BYTES
#   (default 67108864, 64 MiB), `overflow: reject-publish`, so a publish beyond it is nacked (the
#   sender's publisher confirm) instead of growing the queue. A policy, not queue arguments: the
#   arguments of an existing queue cannot change, a policy applies to existing and new queues.
#
# Uses the management HTTP API. Environment: RABBITMQ_API (default http://127.0.0.1:15672/api),
# RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD (default guest/guest), RABBITMQ_VHOST (default /),
# BUS_PREFIX (the services' prefix for exchange and queue names, default none).
# Running it again for the same employer updates the password and is otherwise a no-op.
set -euo pipefail

usage() { echo "usage: $0 EMPLOYER_ID [PASSWORD]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
EMPLOYER_ID="$1"
[[ "$EMPLOYER_ID" =~ ^[0-9a-f]{32}$ ]] || { echo "EMPLOYER_ID must be 32 hex digits" >&2; exit 2; }
GENERATED=0
if [ $# -eq 2 ]; then
  PASSWORD="$2"
else
  PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
  GENERATED=1
fi

API="${RABBITMQ_API:-http://127.0.0.1:15672/api}"
ADMIN="${RABBITMQ_ADMIN_USER:-guest}:${RABBITMQ_ADMIN_PASSWORD:-guest}"
VHOST="${RABBITMQ_VHOST:-/}"
PREFIX="${BUS_PREFIX:-}"
MAX_CONNECTIONS="${EMPLOYER_MAX_CONNECTIONS:-2}"
MAX_CHANNELS="${EMPLOYER_MAX_CHANNELS:-8}"
QUEUE_MAX_LENGTH="${EMPLOYER_QUEUE_MAX_LENGTH:-10000}"
QUEUE_MAX_BYTES="${EMPLOYER_QUEUE_MAX_BYTES:-67108864}"
for n in "$MAX_CONNECTIONS" "$MAX_CHANNELS" "$QUEUE_MAX_LENGTH" "$QUEUE_MAX_BYTES"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "limits must be whole numbers" >&2; exit 2; }
done
[[ "$PREFIX" =~ ^[A-Za-z0-9._-]*$ ]] || { echo "BUS_PREFIX may hold only A-Z a-z 0-9 . _ -" >&2; exit 2; }

USER_NAME="employer-$EMPLOYER_ID"
REQUESTS="${PREFIX}employer.requests"
REPLIES="${PREFIX}employer.replies"
UNROUTED="${PREFIX}hataraku.unrouted"
QUEUE="${PREFIX}employer-${EMPLOYER_ID}.replies"
REQUESTS_QUEUE="${PREFIX}applications.employer-requests"
POLICY="${PREFIX}employer-requests-limits"
VHOST_ENC="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$VHOST")"
PREFIX_RE="$(printf '%s' "$PREFIX" | sed 's/[.]/\\./g')"

# JSON bodies built by Python, so that no password or name can break them
json() { python3 -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }

call() { # METHOD PATH BODY
  local out status
  out="$(mktemp)"
  status="$(curl -sS -o "$out" -w '%{http_code}' -u "$ADMIN" -X "$1" -H 'content-type: application/json' \
    --data "$3" "$API$2")" || { rm -f "$out"; echo "RabbitMQ management API not reachable at $API" >&2; exit 1; }
  if [[ "$status" != 2* ]]; then
    echo "$1 $2 answered $status: $(cat "$out")" >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
}

call PUT "/users/$USER_NAME" "$(json password "$PASSWORD" tags "")"
if [ -n "$PREFIX" ]; then WRITE_RE="^(${PREFIX_RE})?employer\\.requests\$"; else WRITE_RE='^employer\.requests$'; fi
READ_RE="^${PREFIX_RE}employer-${EMPLOYER_ID}\\.replies\$"
call PUT "/permissions/$VHOST_ENC/$USER_NAME" "$(json configure '^$' write "$WRITE_RE" read "$READ_RE")"
call PUT "/user-limits/$USER_NAME/max-connections" "{\"value\": $MAX_CONNECTIONS}"
call PUT "/user-limits/$USER_NAME/max-channels" "{\"value\": $MAX_CHANNELS}"
# the bound of the queue every employer system writes to (the same for all: set each time)
call PUT "/policies/$VHOST_ENC/$POLICY" "$(python3 -c '
import json, sys
print(json.dumps({
    "pattern": "^" + sys.argv[1].replace(".", "\\.") + "$",
    "apply-to": "queues",
    "priority": 10,
    "definition": {"max-length": int(sys.argv[2]), "max-length-bytes": int(sys.argv[3]),
                   "overflow": "reject-publish"},
}))' "$REQUESTS_QUEUE" "$QUEUE_MAX_LENGTH" "$QUEUE_MAX_BYTES")"

# the same declarations as the applications service makes (arguments must match)
call PUT "/exchanges/$VHOST_ENC/$REQUESTS" '{"type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}'
call PUT "/exchanges/$VHOST_ENC/$REPLIES" \
  "{\"type\": \"direct\", \"durable\": true, \"auto_delete\": false, \"internal\": false, \"arguments\": {\"alternate-exchange\": \"$UNROUTED\"}}"
call PUT "/queues/$VHOST_ENC/$QUEUE" '{"durable": true, "auto_delete": false, "arguments": {}}'
call POST "/bindings/$VHOST_ENC/e/$REPLIES/q/$QUEUE" "$(json routing_key "$EMPLOYER_ID")"

echo "user:        $USER_NAME"
if [ "$GENERATED" = 1 ]; then echo "password:    $PASSWORD"; fi
echo "publish to:  exchange $REQUESTS (set the user_id property to $USER_NAME, and a message_id)"
echo "replies in:  queue $QUEUE"
echo "limits:      $MAX_CONNECTIONS connections, $MAX_CHANNELS channels; $REQUESTS_QUEUE holds at most $QUEUE_MAX_LENGTH messages / $QUEUE_MAX_BYTES bytes (then publishes are nacked)"
