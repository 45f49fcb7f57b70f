#!/usr/bin/env bash
# The scratch workspace and user settings every e2e run opens: make-workspace.sh <scratch dir> [node].
# Creates <dir>/ws (scripts the scenarios run), <dir>/ud/User/settings.json and <dir>/home (cronium.home);
# [node] becomes cronium.daemon.nodePath (default: the node on PATH).
set -euo pipefail
W=$1
NODE_SETTING=${2:+, \"cronium.daemon.nodePath\": \"$2\"}
mkdir -p "$W/ws" "$W/ud/User" "$W/home"
printf 'print("hello from python")\nprint("second line")\n' > "$W/ws/hello.py"
printf 'echo before\necho oops >&2\nexit 3\n' > "$W/ws/fail.sh"
printf 'echo sleeping\nsleep 120\n' > "$W/ws/sleep.sh"
printf 'read -p "name? " n\necho "hi $n"\n' > "$W/ws/ask.sh"
printf 'trap '"'"'echo "now $(stty size)"'"'"' WINCH\necho "start $(stty size)"\nuntil read -r -t 0.2 line; do [ $? -gt 128 ] || break; done\necho bye\n' > "$W/ws/size.sh"
printf 'echo "tick $CRONIUM_SCHEDULED_TIME"\n' > "$W/ws/tick.sh"
# A workflow for the builder's scenario (builder.e2e.js): build → test, and a report step on its own.
cat > "$W/ws/deploy.cronium.json" <<'JSON'
{
  "name": "deploy",
  "nodes": [
    { "id": "build", "name": "Build", "script": { "runtime": "bash", "content": "echo built\n" }, "target": "local", "position": { "x": 40, "y": 120 } },
    { "id": "test", "name": "Test", "script": { "runtime": "bash", "content": "echo tested\n" }, "target": "local", "position": { "x": 360, "y": 40 } },
    { "id": "report", "name": "Report", "script": { "runtime": "python", "content": "print('report')\n" }, "target": "local", "position": { "x": 360, "y": 260 } }
  ],
  "edges": [{ "from": "build", "to": "test", "when": "on_success" }]
}
JSON
# Local target keeps the scenario independent of runtime images; the container path has its own tests.
cat > "$W/ud/User/settings.json" <<JSON
{ "cronium.home": "$W/home", "cronium.defaultTarget": "local", "workbench.startupEditor": "none",
  "terminal.integrated.gpuAcceleration": "off"$NODE_SETTING }
JSON
