# Shared by the fault harness scripts: a release build of the service and the
# harness. Each harness starts its own PostgreSQL (initdb into a temp folder,
# pg_ctl on a free loopback port; run as the postgres user when root), its own
# redis-server and the service processes, and removes them when done.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== release build"
cargo build --release --quiet --bin gongfang --bin gongfang-faults
FAULTS=target/release/gongfang-faults
