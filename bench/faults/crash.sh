#!/usr/bin/env bash
# Item 1: 20 buyers retry their own Idempotency-Keys while the service is
# SIGKILLed and restarted 10 times in a minute; on SQLite, then PostgreSQL.
# Checks every acknowledged order exists once, no order without a key, no key
# left in progress, stock balanced, every buyer finished.
source "$(dirname "$0")/common.sh"
$FAULTS crash --db sqlite "$@"
$FAULTS crash --db postgres "$@"
