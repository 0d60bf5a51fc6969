#!/usr/bin/env bash
# Issue 16: 10,000 event streams from one address (made-up device ids) beside
# 200 ordinary viewers and buyers: the flood gets at most the address cap,
# every viewer gets every event, order p50 stays within 1.5x, viewer figures
# are not inflated and the service's RSS stays bounded (before/during/after).
source "$(dirname "$0")/common.sh"
$FAULTS streams "$@"
