# Shared by the fault harness scripts: a release build of the service and the
# harness. Each harness starts its own PostgreSQL (initdb into a temp folder,
# pg_ctl on a free loopback port; run as the postgres user when root), its own
# redis-server and the service processes, and removes them when done.
# GF_PROFILE=ci runs them on the profile CI fuzzes (release without LTO, a
# faster build); the default is release.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROFILE="${GF_PROFILE:-release}"
echo "== $PROFILE build"
cargo build --profile "$PROFILE" --quiet --bin gongfang --bin gongfang-faults
FAULTS="target/$PROFILE/gongfang-faults"
