# Shared settings for the local infrastructure scripts (sourced, not run).
# Every script reuses whatever already answers on MONGODB_URL / AMQP_URL / SMTP_HOST:SMTP_PORT.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
DATA="${HATARAKU_DATA:-$ROOT/.data}"
mkdir -p "$DATA/run" "$DATA/log"
export MONGODB_URL="${MONGODB_URL:-mongodb://127.0.0.1:27017/}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"
export SMTP_HOST="${SMTP_HOST:-127.0.0.1}"
export SMTP_PORT="${SMTP_PORT:-1025}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"

log() { printf '[infra] %s\n' "$*" >&2; }

# host and port out of a URL such as amqp://u:p@host:5672/vhost
url_host() { local r="${1#*://}"; r="${r#*@}"; r="${r%%/*}"; echo "${r%%:*}"; }
url_port() { local r="${1#*://}"; r="${r#*@}"; r="${r%%/*}"; [[ "$r" == *:* ]] && echo "${r##*:}" || echo "$2"; }

# true when something accepts TCP connections on host:port
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # host port seconds what
  local i
  for ((i = 0; i < $3 * 5; i++)); do answers "$1" "$2" && return 0; sleep 0.2; done
  log "$4 did not answer on $1:$2 within $3 s"; return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

apt_install() { # install Debian packages when apt is available
  command -v apt-get >/dev/null || { log "apt-get not available: install $* by hand"; return 1; }
  if [ -z "${HATARAKU_APT_UPDATED:-}" ]; then as_root apt-get update -qq; export HATARAKU_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
