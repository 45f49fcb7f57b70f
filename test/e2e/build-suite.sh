#!/usr/bin/env bash
# Compiles the in-extension-host mocha suite (test/e2e/suite/*.ts) and prints the folder to pass as
# extensionTestsPath. It goes under node_modules/.cache: there `require('mocha')` resolves from the
# repo, and lint/tsc/git already skip it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=$ROOT/node_modules/.cache/cronium-e2e/suite
rm -rf "$SUITE"
(cd "$ROOT" && npx esbuild test/e2e/suite/*.ts --bundle --platform=node --target=node20 --format=cjs \
  --external:vscode --external:mocha --outdir="$SUITE" --log-level=warning)
echo "$SUITE"
