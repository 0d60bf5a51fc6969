#!/usr/bin/env bash
# Item 3: two instances under load while Redis is killed, SIGSTOPped for 20 s
# and made slow. No 5xx, orders unaffected, reads fast, login limit holds,
# prices stale at most the cache TTL, live events cross instances again.
source "$(dirname "$0")/common.sh"
$FAULTS redis "$@"
