#!/usr/bin/env bash
# Live-room fan-out: VIEWERS event streams split over two instances sharing
# PostgreSQL and Redis; the demo streamer changes a live price EVENTS times on
# the first instance. Prints request-to-viewer latency and checks that every
# viewer got every event once, in id order. Measures only once both
# instances are ready (the demo is loaded).
source "$(dirname "$0")/common.sh"
VIEWERS=${VIEWERS:-2000}
EVENTS=${EVENTS:-200}
INTERVAL_MS=${INTERVAL_MS:-50}
build gongfang-live
fresh_database gongfang_bench_live
start_service --demo
PORT2=$((PORT + 1))
start_service --port "$PORT2"

TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"phone":"13900100002","password":"gongfang-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') \
  || fail "the demo streamer cannot sign in"
# The demo's live session of 莓好集市 and a pinned item that is not common-prosperity.
read -r WORKSHOP SESSION ITEM < <(curl -fs "$BASE/api/v1/live/sessions?status=live" | python3 -c '
import json, sys, urllib.request
for s in json.load(sys.stdin)["items"]:
    page = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/live/sessions/%d" % s["id"]))
    for i in page["items"]:
        if not i["is_common_prosperity"] and i["normal_price_fen"] > 4000:
            print(s["workshop_id"], s["id"], i["id"]); sys.exit()
' "$BASE") || true
[ -n "${ITEM:-}" ] || fail "the demo has no live session with a pinned item to change"

echo "== fan-out: $VIEWERS viewers, $EVENTS events every $INTERVAL_MS ms"
SECS=$(( (EVENTS * INTERVAL_MS) / 1000 + 30 ))
measure "$SECS" "$BIN/gongfang-live" --bases "$BASE,http://127.0.0.1:$PORT2" --workshop "$WORKSHOP" \
  --session "$SESSION" --item "$ITEM" --token "$TOKEN" --viewers "$VIEWERS" \
  --events "$EVENTS" --interval-ms "$INTERVAL_MS"
sleep 1  # the streams just closed
echo "viewer figures: $(curl -fs "$BASE/api/v1/live/sessions/$SESSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["viewers"])')"
