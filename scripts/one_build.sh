#!/usr/bin/env bash
# One compile of burn for every package: after `cargo run --release` (the CLI), building an
# example, a bench or another package must find every burn crate already built. Cargo builds a
# crate again when the features it is built with differ, so this compares, for every crate that
# burn is built from, the features each package resolves against the CLI's. It resolves the
# dependency graph only (seconds; no compiling).
set -euo pipefail
cd "$(dirname "$0")/.."

# The crates burn is built from (consort-core's normal and build dependencies, burn among them).
closure=$(cargo tree -q -p consort-core -e normal,build --prefix none -f '{p}' \
  | sed 's/ (.*//' | sort -u)

features() { # package, edge kinds -> "crate version features" for the closure, one per line
  cargo tree -q -p "$1" -e "$2" --prefix none -f '{p} {f}' | sed 's/ (\*)$//' | sort -u \
    | while read -r name version feats; do
        if grep -qxF "$name $version" <<<"$closure"; then echo "$name $version $feats"; fi
      done
}

reference=$(features consort-cli normal,build)
status=0
for package in consort-examples; do
  # Examples and benches build with their package's dev-dependencies.
  theirs=$(features "$package" normal,build,dev)
  if ! diff <(echo "$reference") <(echo "$theirs") >/dev/null; then
    echo "one build: $package resolves crates burn is built from differently from consort-cli:"
    diff <(echo "$reference") <(echo "$theirs") | grep '^[<>]' || true
    status=1
  fi
done
if [ "$status" = 0 ]; then
  echo "one build: consort-cli and the examples package (examples, benches, with dev-dependencies) resolve the $(wc -l <<<"$reference") crates burn is built from identically"
fi

# The library as documented: a crate that trains, taken alone (the README's snippet has
# consort-experiment as its one dependency), compiles in a backend.
for package in consort-experiment consort-tune; do
  if ! cargo tree -q -p "$package" -e normal -f '{p} {f}' --prefix none \
      | grep -q '^consort-core v.* .*flex'; then
    echo "library: $package alone compiles no backend (consort-core without flex)"
    status=1
  fi
done
[ "$status" = 0 ] && echo "library: consort-experiment and consort-tune alone compile the flex backend in"
exit "$status"
