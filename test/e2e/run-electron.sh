#!/usr/bin/env bash
# npm run test:e2e:electron — the extension-host suite in desktop VS Code via @vscode/test-electron.
# Needs a display (or xvfb-run) and either network access to download VS Code or VSCODE_EXECUTABLE.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
(cd "$ROOT" && npm run -s build)
W=$(mktemp -d /tmp/cree.XXXX) # short: the daemon's socket path must stay under 108 bytes
mkdir -p "$W/tmp"
"$HERE/make-workspace.sh" "$W"
cleanup() {
  node "$ROOT/dist/cli.js" --home "$W/home" daemon stop >/dev/null 2>&1 || true
  for pidfile in "$W"/tmp/*/daemon.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$W"
}
trap cleanup EXIT
SUITE=$("$HERE/build-suite.sh")
node "$HERE/electron.js" "$ROOT" "$SUITE" "$W"
