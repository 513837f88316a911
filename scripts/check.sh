#!/usr/bin/env bash
# Static checks: typecheck for Bun (tsc with bun-types) and for Deno (deno check, each without
# the other runtime's adapter), formatting and lint.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" DENO_NO_UPDATE_CHECK=1
tsc --noEmit -p .
deno check --quiet $(find src handlers -name '*.ts' -not -path 'src/runtime/bun/*' | sort)
deno fmt --check
deno lint
