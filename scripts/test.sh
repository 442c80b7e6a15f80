#!/usr/bin/env bash
# Runs every test of Portcullis on a fresh machine, installing what the tests need (a
# Python venv with awscli and boto3 in .venv, the JavaScript SDK v3 in tests/e2e/js/node_modules
# with `npm ci` (Node.js 20+ and npm must be there), cargo-fuzz, mdbook for the user guide).
#   PORTCULLIS_FUZZ_SECONDS  seconds per fuzz target (default 30; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds="${PORTCULLIS_FUZZ_SECONDS:-30}"

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all --check

step "documentation: every relative link and #anchor of README.md, the root's .md files and the user guide"
python3 scripts/check_links.py

step "documentation: build the user guide (mdbook build docs)"
if [ "$(mdbook --version 2>/dev/null || true)" != "mdbook v0.5.4" ]; then
  # No default features: `mdbook build` needs none of serve, watch or search.
  cargo install mdbook --locked --version 0.5.4 --no-default-features
fi
mdbook build docs

step "the server's modules import each other in no circle"
python3 scripts/module_cycles.py --quiet

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build the portcullis binary the end-to-end tests start"
cargo build -p portcullis --locked

step "unit, corpus, property, managed-policy and Rust SDK end-to-end tests"
cargo test --workspace --locked

step "end-to-end tests with the aws CLI, boto3 and the JavaScript SDK v3 (the README's quick start, the seed scenarios, also with --dev)"
bash tests/e2e/run.sh

if [ "$fuzz_seconds" != "0" ]; then
  step "fuzzing (${fuzz_seconds}s per target)"
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
  fi
  (
    cd fuzz
    mkdir -p corpus/policy corpus/wildcard
    cargo fuzz run -s none policy corpus/policy seeds/policy -- \
      -dict=policy.dict -max_total_time="$fuzz_seconds" -print_final_stats=1
    cargo fuzz run -s none wildcard corpus/wildcard -- \
      -max_total_time="$fuzz_seconds" -print_final_stats=1
  )
fi

step "all tests passed"
