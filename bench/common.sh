# Shared by the bench scripts: a fresh PostgreSQL database, a release build,
# and a service started in the background (stopped on exit).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS:-redis://127.0.0.1:6379}
PORT=${PORT:-18088}
BASE="http://127.0.0.1:$PORT"

fresh_database() {
  psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
  export DATABASE_URL="$PG_SERVER/$1" REDIS_URL="$REDIS"
  export GONGFANG__CACHE__KEY_PREFIX="bench:$1:$$:" GONGFANG__LOG__LEVEL=warn
  # Thousands of buyers from one loopback address: no per-address or per-customer limits.
  export GONGFANG__RATE_LIMITS__ORDERS__PER_CUSTOMER=0 GONGFANG__RATE_LIMITS__ORDERS__PER_IP=0
  export GONGFANG__RATE_LIMITS__DEALS__PER_CUSTOMER=0 GONGFANG__RATE_LIMITS__DEALS__PER_IP=0
  # The load generator is one address holding thousands of event streams.
  export GONGFANG__LIVE__STREAMS_PER_ADDRESS=0 GONGFANG__LIVE__DEVICES_PER_ADDRESS=100000
}

release_build() {
  echo "== release build"
  cargo build --release --quiet --bin gongfang --bin gongfang-load
}

start_service() {
  target/release/gongfang serve --bind "127.0.0.1:$PORT" "$@" > "bench/out/service-$PORT.log" 2>&1 &
  SERVICE_PID=$!
  trap 'kill $SERVICE_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fs "$BASE/healthz" > /dev/null && return
    sleep 0.1
  done
  echo "service did not start"; cat "bench/out/service-$PORT.log"; exit 1
}

sql() {
  psql -qAt "$DATABASE_URL" -c "$1"
}
