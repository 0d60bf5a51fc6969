#!/usr/bin/env bash
# Item 6: a thousand slowloris sockets while others are served, and order
# latency with 50 concurrent logins against without.
source "$(dirname "$0")/common.sh"
$FAULTS limits "$@"
