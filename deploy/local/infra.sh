#!/usr/bin/env bash
# Start (or stop) every piece of local infrastructure: RabbitMQ, MongoDB/SecantusDB, OpenSearch,
# SMTP sink.
source "$(dirname "$0")/common.sh"
here="$(dirname "$0")"
case "${1:-up}" in
  up) bash "$here/rabbitmq.sh" start; bash "$here/mongodb.sh" start; bash "$here/opensearch.sh" start
    bash "$here/smtp.sh" start ;;
  down) bash "$here/smtp.sh" stop; bash "$here/opensearch.sh" stop; bash "$here/mongodb.sh" stop
    bash "$here/rabbitmq.sh" stop ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
