#!/usr/bin/env bash
# Live-room fan-out: VIEWERS event streams split over two instances sharing
# PostgreSQL and Redis; the demo streamer changes a live price EVENTS times on
# the first instance. Prints request-to-viewer latency and checks that every
# viewer got every event once, in id order.
source "$(dirname "$0")/common.sh"
mkdir -p bench/out
echo "== release build"
cargo build --release --quiet --bin gongfang --bin gongfang-live
fresh_database gongfang_bench_live
start_service --demo
PORT2=$((PORT + 1))
target/release/gongfang serve --bind "127.0.0.1:$PORT2" > "bench/out/service-$PORT2.log" 2>&1 &
SECOND_PID=$!
trap 'kill $SERVICE_PID $SECOND_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT2/healthz" > /dev/null && break; sleep 0.1; done

TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"phone":"13900100002","password":"gongfang-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# The demo's live session of 莓好集市 and a pinned item that is not common-prosperity.
read -r WORKSHOP SESSION ITEM < <(curl -fs "$BASE/api/v1/live/sessions?status=live" | python3 -c '
import json, sys, urllib.request
for s in json.load(sys.stdin)["items"]:
    page = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/live/sessions/%d" % s["id"]))
    for i in page["items"]:
        if not i["is_common_prosperity"] and i["normal_price_fen"] > 4000:
            print(s["workshop_id"], s["id"], i["id"]); sys.exit()
' "$BASE")

echo "== fan-out: ${VIEWERS:-2000} viewers, ${EVENTS:-200} events every ${INTERVAL_MS:-50} ms"
target/release/gongfang-live --bases "$BASE,http://127.0.0.1:$PORT2" --workshop "$WORKSHOP" \
  --session "$SESSION" --item "$ITEM" --token "$TOKEN" --viewers "${VIEWERS:-2000}" \
  --events "${EVENTS:-200}" --interval-ms "${INTERVAL_MS:-50}"
sleep 1  # the streams just closed
echo "viewer figures: $(curl -fs "$BASE/api/v1/live/sessions/$SESSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["viewers"])')"
