#!/usr/bin/env bash
# Runs consort-hpo's PostgreSQL storage tests against a real, throw-away server:
# installs PostgreSQL from the OS packages if missing (Debian/Ubuntu: apt-get), creates a
# cluster in a temporary folder, starts it on loopback (port $CONSORT_PG_PORT, default
# 54329, trust authentication, nothing listens beyond 127.0.0.1), runs the tests with
# `--features postgres`, and stops the server whatever happens.
# Point CONSORT_TEST_POSTGRES_URL at a server of your own to skip all of that.
#
# With arguments, runs them as the command instead, with CONSORT_TEST_POSTGRES_URL set:
# `.ci/run` passes `cargo test --workspace --features consort-hpo/postgres`, so the whole
# test suite and the PostgreSQL tests come from one build. (Built apart, the feature changes
# the features of shared crates such as `bytes` and `memchr`, and all of burn is compiled a
# second time: six of CI's minutes.)
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests() {
  if [[ $# -gt 0 ]]; then
    "$@"
  else
    cargo test --workspace --features consort-hpo/postgres --test postgres -- --nocapture
  fi
}

if [[ -n "${CONSORT_TEST_POSTGRES_URL:-}" ]]; then
  run_tests "$@"
  exit
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  echo "installing PostgreSQL from the OS packages"
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL is not installed and this user cannot install it (need root for apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

port=${CONSORT_PG_PORT:-54329}
data=$(mktemp -d /tmp/consort-pg.XXXXXX)
# initdb and postgres refuse to run as root: run them as the packages' postgres user.
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$data"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap stop EXIT

"${as_owner[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
"${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off" start >/dev/null
"$bindir/pg_isready" -h 127.0.0.1 -p "$port" >/dev/null

export CONSORT_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
run_tests "$@"
