#!/usr/bin/env bash
# Static checks: typecheck with bun-types, formatting and lint.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" DENO_NO_UPDATE_CHECK=1
tsc --noEmit -p .
deno fmt --check
deno lint
