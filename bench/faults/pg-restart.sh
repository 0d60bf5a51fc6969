#!/usr/bin/env bash
# Item 2: reads and orders while PostgreSQL stops and starts (fast, then
# immediate mode). 503 + Retry-After within ~2 s, no hang, no 500, /readyz
# flips and back, no acknowledged order lost, no service restart.
source "$(dirname "$0")/common.sh"
$FAULTS pg-restart "$@"
