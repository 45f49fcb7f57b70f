# cronium.sh: Cronium runtime helpers for Bash (DESIGN.md §3).
#
# Sourced by every non-interactive bash through BASH_ENV, so this file only defines functions: sourcing it
# prints nothing, sets no variables or options, and works without the job environment (a missing
# CRONIUM_* variable is an error only when a helper is called). Every helper runs in a subshell with the
# caller's options (set -e/-u/-x/-o pipefail, ERR traps, IFS) reset there, so they neither change the
# caller's shell nor trip over it, and xtrace never prints the token. Helpers return 0 on success, 1 on
# an error and 2 on a usage error, with a one-line message on stderr.
#
#   cronium_input                      prints the input JSON (null when there is none)
#   cronium_output JSON_OR_STRING      a value that is not JSON is sent as a JSON string; "-" reads stdin
#   cronium_get_variable KEY           prints the value: a string raw, other JSON compact; nothing if unset
#   cronium_set_variable KEY VALUE     VALUE as JSON when it parses, else as a string; "-" reads stdin
#   cronium_set_condition true|false   also 1|0, yes|no, on|off
#   cronium_event                      prints the event/job context JSON
#   cronium_event_field FIELD          prints one context field (a.b for nested), like get_variable
#
# Needs curl, and for JSON the first of jq, python3, node found on PATH (CRONIUM_JSON_TOOL=jq|python3|node
# picks one). Bash 3.2 syntax, so a macOS host's /bin/bash can run local jobs.

# Every bash of every job sources this file, most never call a helper: define cheap stubs and stop
# here (bash parses a sourced file command by command, so the rest is not even read). The first call
# of any helper loads the whole file, whose definitions replace the stubs. Saves ~0.6 ms per bash.
if [ -z "${_CRONIUM_FULL_LOAD-}" ]; then
  _cronium_load_full() { local _CRONIUM_FULL_LOAD=1; . "${BASH_SOURCE[0]}"; }
  cronium_input() { _cronium_load_full && cronium_input "$@"; }
  cronium_output() { _cronium_load_full && cronium_output "$@"; }
  cronium_get_variable() { _cronium_load_full && cronium_get_variable "$@"; }
  cronium_set_variable() { _cronium_load_full && cronium_set_variable "$@"; }
  cronium_set_condition() { _cronium_load_full && cronium_set_condition "$@"; }
  cronium_event() { _cronium_load_full && cronium_event "$@"; }
  cronium_event_field() { _cronium_load_full && cronium_event_field "$@"; }
  return 0 2>/dev/null || true
fi

_cronium_err() { printf 'cronium: %s\n' "$*" >&2; }

# First command of every helper's subshell: the caller's shell state stays the caller's.
_cronium_enter() {
  { set +x; } 2>/dev/null
  set +e +u +E +T +f
  set -o pipefail
  trap - ERR DEBUG RETURN EXIT
  shopt -u nocasematch nullglob failglob 2>/dev/null
  IFS=$' \t\n'
  umask 077
  LC_ALL=C # byte-wise URL encoding; JSON tools are told their encoding explicitly
}

# Checks the environment and tools; prints the JSON tool to use.
_cronium_ready() {
  if [ -z "${CRONIUM_RUNTIME_API:-}" ] || [ -z "${CRONIUM_EXECUTION_TOKEN:-}" ]; then
    _cronium_err "Cronium runtime helpers need CRONIUM_RUNTIME_API and CRONIUM_EXECUTION_TOKEN; run this script as a Cronium job (cronium run FILE)"
    return 1
  fi
  if [ -z "${CRONIUM_EXECUTION_ID:-}" ]; then
    _cronium_err "Cronium runtime helpers need CRONIUM_EXECUTION_ID; run this script as a Cronium job (cronium run FILE)"
    return 1
  fi
  if ! command -v curl >/dev/null 2>&1; then
    _cronium_err "cronium.sh needs curl to reach the Cronium runtime API; install curl"
    return 1
  fi
  local tool
  if [ -n "${CRONIUM_JSON_TOOL:-}" ]; then
    case $CRONIUM_JSON_TOOL in jq | python3 | node) ;; *)
      _cronium_err "CRONIUM_JSON_TOOL must be jq, python3 or node, not '$CRONIUM_JSON_TOOL'"
      return 1 ;;
    esac
    if ! command -v "$CRONIUM_JSON_TOOL" >/dev/null 2>&1; then
      _cronium_err "CRONIUM_JSON_TOOL=$CRONIUM_JSON_TOOL, but $CRONIUM_JSON_TOOL is not on PATH"
      return 1
    fi
    printf '%s' "$CRONIUM_JSON_TOOL"
    return 0
  fi
  for tool in jq python3 node; do
    if command -v "$tool" >/dev/null 2>&1; then
      printf '%s' "$tool"
      return 0
    fi
  done
  _cronium_err "cronium.sh needs jq (or python3 or node) to read JSON; install jq"
  return 1
}

# _cronium_json TOOL OP [PATH], JSON on stdin. OPs:
#   data    envelope -> .data, compact JSON line ("null" when absent)
#   pick P  envelope -> .data at dotted path P: a string raw, null/absent prints nothing, else compact
#   encode  any text -> itself as compact JSON if it is one JSON value, else the text as a JSON string
#   errmsg  error body -> error.message | error | message, or nothing
#   errkind error body -> error.kind | error.code, or nothing
_cronium_json() {
  local tool=$1 op=$2 path=${3:-}
  case $tool in
  jq)
    case $op in
    data) command jq -c 'if type == "object" then .data else null end' ;;
    pick) command jq -r --arg p "$path" \
      '(try ((if type == "object" then .data else null end) | getpath($p | split("."))) catch null) as $v
       | if $v == null then empty elif ($v | type) == "string" then $v else ($v | tojson) end' ;;
    # jq 1.6 reads NaN and Infinity as numbers, which JSON has not: those stay strings.
    encode) command jq -Rsc '. as $s | (try fromjson catch $s) as $v
       | if ($v | type) == "number" and (($v | isnan) or ($v | isinfinite)) then $s else $v end' ;;
    errmsg) command jq -r 'if type != "object" then empty
       elif (.error | type) == "object" and .error.message then .error.message
       elif (.error | type) == "string" then .error else (.message // empty) end' 2>/dev/null ;;
    errkind) command jq -r 'if type == "object" and (.error | type) == "object"
       then (.error.kind // .error.code // empty) | strings else empty end' 2>/dev/null ;;
    esac ;;
  python3)
    PYTHONIOENCODING=utf-8 command python3 -c '
import json, sys
op, path, raw = sys.argv[1], sys.argv[2], sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
def out(s): sys.stdout.buffer.write(s.encode("utf-8", "surrogateescape"))
def dump(v): return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
def bad(c): raise ValueError(c)
if op == "encode":
    try: out(json.dumps(json.loads(raw, parse_constant=bad), separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    except ValueError: out(dump(raw))
    sys.exit(0)
try: d = json.loads(raw)
except ValueError: d = None
if op == "errmsg":
    e = d.get("error") if isinstance(d, dict) else None
    m = e.get("message") if isinstance(e, dict) else e if isinstance(e, str) else d.get("message") if isinstance(d, dict) else None
    if m: out(str(m) + "\n")
    sys.exit(0)
if op == "errkind":
    e = d.get("error") if isinstance(d, dict) else None
    k = (e.get("kind") or e.get("code")) if isinstance(e, dict) else None
    if isinstance(k, str): out(k + "\n")
    sys.exit(0)
if not isinstance(d, dict): sys.exit("cronium: the runtime API sent a response that is not a JSON object")
v = d.get("data")
if op == "data": out(dump(v) + "\n"); sys.exit(0)
for k in path.split("."): v = v.get(k) if isinstance(v, dict) else None
if v is not None: out((v if isinstance(v, str) else dump(v)) + "\n")
' "$op" "$path" ;;
  node)
    command node -e '
const [op, path] = process.argv.slice(1);
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c)).on("end", () => {
  const raw = Buffer.concat(chunks).toString("utf8");
  const out = (s) => process.stdout.write(s);
  const parse = (s) => { try { return { ok: true, v: JSON.parse(s) }; } catch { return { ok: false }; } };
  if (op === "encode") { const p = parse(raw), num = typeof p.v === "number"; return out(JSON.stringify(p.ok && (!num || isFinite(p.v)) ? p.v : raw)); }
  const p = parse(raw), d = p.ok && p.v && typeof p.v === "object" ? p.v : undefined;
  if (op === "errmsg") {
    const e = d && d.error, m = e && typeof e === "object" ? e.message : typeof e === "string" ? e : d && d.message;
    if (m) out(String(m) + "\n");
    return;
  }
  if (op === "errkind") {
    const e = d && d.error, k = e && typeof e === "object" ? e.kind || e.code : undefined;
    if (typeof k === "string") out(k + "\n");
    return;
  }
  if (!d) { console.error("cronium: the runtime API sent a response that is not a JSON object"); process.exitCode = 1; return; }
  let v = d.data === undefined ? null : d.data;
  if (op === "data") return out(JSON.stringify(v) + "\n");
  for (const k of path.split(".")) v = v && typeof v === "object" && !Array.isArray(v) && k in v ? v[k] : null;
  if (v !== null && v !== undefined) out((typeof v === "string" ? v : JSON.stringify(v)) + "\n");
});
' "$op" "$path" ;;
  esac
}

_cronium_urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
    [a-zA-Z0-9._~-]) out=$out$c ;;
    *) printf -v c '%%%02X' "'$c" && out=$out$c ;;
    esac
  done
  printf '%s' "$out"
}

# _cronium_call TOOL METHOD WHAT BODY [MISSING_OK]: prints the response body. Returns 0 on 2xx, 3 on a 404
# when MISSING_OK=1, 1 on errors (reported). Retries connection failures, timeouts, 429 and 5xx three times.
_cronium_call() {
  local tool=$1 method=$2 what=$3 body=$4 missing_ok=${5:-0}
  local base=${CRONIUM_RUNTIME_API%/} timeout=${CRONIUM_HELPER_TIMEOUT:-30} tmp code rc attempt detail delay
  case $timeout in '' | *[!0-9.]*) timeout=30 ;; esac
  local url
  url="$base/executions/$(_cronium_urlencode "$CRONIUM_EXECUTION_ID")/$what"
  tmp=$(command mktemp -d "${TMPDIR:-/tmp}/cronium.XXXXXX") || {
    _cronium_err "cannot create a temporary directory in ${TMPDIR:-/tmp}"
    return 1
  }
  # This runs in a subshell (a helper's, or a command substitution), so the trap is local to the call.
  trap 'command rm -rf "$tmp"' EXIT
  # The token goes into a curl config file (mode 0600), not argv, where ps would show it to other users.
  local token=${CRONIUM_EXECUTION_TOKEN//\\/\\\\}
  printf 'header = "Authorization: Bearer %s"\n' "${token//\"/\\\"}" >"$tmp/config"
  # --noproxy: the API is always local; a job's http_proxy must not capture it.
  local -a args=(-sS --noproxy '*' --max-time "$timeout" -X "$method" -K "$tmp/config"
    -H 'Accept: application/json' -D "$tmp/headers" -o "$tmp/response" -w '%{http_code}')
  if [ -n "$body" ]; then
    printf '%s' "$body" >"$tmp/body"
    args+=(-H 'Content-Type: application/json' -H 'Expect:' --data-binary "@$tmp/body")
  fi
  local -a delays=(0.2 0.5 1)
  for attempt in 1 2 3 4; do
    delay=${delays[attempt - 1]:-}
    : >"$tmp/response"
    code=$(command curl "${args[@]}" "$url" 2>"$tmp/stderr")
    rc=$?
    if [ $rc -ne 0 ]; then
      case $rc in 7 | 28 | 52 | 55 | 56) [ -n "$delay" ] && { command sleep "$delay"; continue; } ;; esac
      local tries=''
      [ "$attempt" -gt 1 ] && tries=" ($attempt attempts)"
      if [ $rc -eq 28 ]; then
        _cronium_err "Cronium runtime API at $base did not answer $method $what within $timeout s$tries"
      else
        detail=$(command head -n 1 "$tmp/stderr")
        detail=${detail#curl: }
        _cronium_err "Cannot reach the Cronium runtime API at $base: ${detail:-curl exit code $rc}$tries"
      fi
      return 1
    fi
    case $code in
    2??)
      command cat "$tmp/response"
      return 0 ;;
    429 | 5??)
      if [ -n "$delay" ]; then
        [ "$code" = 429 ] && delay=$(_cronium_retry_after "$tmp/headers" "$delay")
        command sleep "$delay"
        continue
      fi ;;
    404) [ "$missing_ok" = 1 ] && return 3 ;;
    esac
    detail=$(_cronium_json "$tool" errmsg <"$tmp/response" | command head -n 1)
    [ -n "$detail" ] || detail=$(command head -c 200 "$tmp/response")
    case $code in
    401)
      # token_expired: the execution has ended (or outlived its timeout); the server's words say which.
      if [ "$(_cronium_json "$tool" errkind <"$tmp/response" | command head -n 1)" = token_expired ]; then
        _cronium_err "Cronium runtime API refused the execution token: ${detail:-its execution has ended}"
      else
        _cronium_err "Cronium runtime API rejected the execution token (expired or invalid): ${detail:-no details}"
      fi ;;
    403) _cronium_err "Cronium runtime API refused access to execution $CRONIUM_EXECUTION_ID: the token belongs to another execution (${detail:-no details})" ;;
    *)
      local after=''
      [ "$attempt" -gt 1 ] && after=" after $attempt attempts"
      _cronium_err "Cronium runtime API error $code on $method $what$after: ${detail:-no details}" ;;
    esac
    return 1
  done
}

# Seconds to wait from a Retry-After header (whole seconds, at most 30), else the fallback.
_cronium_retry_after() {
  local line value=''
  while IFS= read -r line; do
    case $line in [Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]:*) value=${line#*:} ;; esac
  done <"$1"
  value=${value//[$' \t\r']/}
  case $value in '' | *[!0-9]*) printf '%s' "$2" ;; *) [ "$value" -gt 30 ] && value=30; printf '%s' "$value" ;; esac
}

# A value argument, or stdin for "-".
_cronium_value() {
  if [ "$1" = - ]; then command cat; else printf '%s' "$1"; fi
}

_cronium_variable_path() {
  if [ -z "$1" ]; then
    _cronium_err "a variable key must not be empty"
    return 2
  fi
  printf 'variables/%s' "$(_cronium_urlencode "$1")"
}

cronium_input() {
  (
    _cronium_enter
    local tool resp
    tool=$(_cronium_ready) || exit 1
    resp=$(_cronium_call "$tool" GET input '') || exit 1
    printf '%s' "$resp" | _cronium_json "$tool" data
  )
}

cronium_output() {
  (
    _cronium_enter
    [ $# -eq 1 ] || { _cronium_err "usage: cronium_output JSON_OR_STRING (or - to read stdin)"; exit 2; }
    local tool value
    tool=$(_cronium_ready) || exit 1
    value=$(_cronium_value "$1" | _cronium_json "$tool" encode) || exit 1
    _cronium_call "$tool" POST output "{\"data\":$value}" >/dev/null
  )
}

cronium_get_variable() {
  (
    _cronium_enter
    [ $# -eq 1 ] || { _cronium_err "usage: cronium_get_variable KEY"; exit 2; }
    local tool path resp rc
    path=$(_cronium_variable_path "$1") || exit 2
    tool=$(_cronium_ready) || exit 1
    resp=$(_cronium_call "$tool" GET "$path" '' 1)
    rc=$?
    [ $rc -eq 3 ] && exit 0 # no such variable: prints nothing
    [ $rc -eq 0 ] || exit 1
    printf '%s' "$resp" | _cronium_json "$tool" pick value
  )
}

cronium_set_variable() {
  (
    _cronium_enter
    [ $# -eq 2 ] || { _cronium_err "usage: cronium_set_variable KEY VALUE (VALUE - reads stdin)"; exit 2; }
    local tool path value
    path=$(_cronium_variable_path "$1") || exit 2
    tool=$(_cronium_ready) || exit 1
    value=$(_cronium_value "$2" | _cronium_json "$tool" encode) || exit 1
    _cronium_call "$tool" PUT "$path" "{\"value\":$value}" >/dev/null
  )
}

cronium_set_condition() {
  (
    _cronium_enter
    local condition
    case ${1:-} in
    true | TRUE | True | 1 | yes | YES | Yes | on | ON | On) condition=true ;;
    false | FALSE | False | 0 | no | NO | No | off | OFF | Off) condition=false ;;
    *) _cronium_err "usage: cronium_set_condition true|false (or 1|0, yes|no, on|off), got '${1:-}'"; exit 2 ;;
    esac
    [ $# -eq 1 ] || { _cronium_err "usage: cronium_set_condition true|false"; exit 2; }
    local tool
    tool=$(_cronium_ready) || exit 1
    _cronium_call "$tool" POST condition "{\"condition\":$condition}" >/dev/null
  )
}

cronium_event() {
  (
    _cronium_enter
    local tool resp
    tool=$(_cronium_ready) || exit 1
    resp=$(_cronium_call "$tool" GET context '') || exit 1
    printf '%s' "$resp" | _cronium_json "$tool" data
  )
}

cronium_event_field() {
  (
    _cronium_enter
    if [ $# -ne 1 ] || [ -z "$1" ]; then _cronium_err "usage: cronium_event_field FIELD"; exit 2; fi
    local tool resp
    tool=$(_cronium_ready) || exit 1
    resp=$(_cronium_call "$tool" GET context '') || exit 1
    printf '%s' "$resp" | _cronium_json "$tool" pick "$1"
  )
}
