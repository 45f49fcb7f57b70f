"""Cronium runtime helpers for Python (DESIGN.md section 3). Standard library only (urllib).

    import cronium                      # or, in a job started by the daemon, the preloaded global:
    data = cronium.input()              # no import needed
    cronium.output({"rows": 3})
    cronium.set_variable("last_run", "2025-01-01")   # camelCase aliases too: setVariable
    cronium.set_condition(True)

Every call is synchronous. Running this file as a program runs a job script with the global `cronium`
installed in builtins, as if the script had been run directly:

    python3 /path/to/cronium.py SCRIPT [ARGS...]      (or: python3 -m cronium SCRIPT [ARGS...])
"""

import builtins
import json
import os
import sys
import time

# urllib, http.client and socket (which pull in ssl and email) are imported on the first call, so the
# bootstrap that preloads this module into every Python job adds almost nothing to its start-up.

__all__ = [
    "input", "output", "get_variable", "set_variable", "set_condition", "event",
    "getVariable", "setVariable", "setCondition",
    "CroniumError", "CroniumAPIError", "CroniumTimeoutError", "install_global",
]

_RETRY_DELAYS = (0.2, 0.5, 1.0)  # three retries, on transient failures only
_MAX_RETRY_AFTER = 30.0  # a 429's Retry-After is honoured up to this many seconds
_MISSING_ENV = ("Cronium runtime helpers need CRONIUM_RUNTIME_API and CRONIUM_EXECUTION_TOKEN; "
                "run this script as a Cronium job (cronium run FILE)")


class CroniumError(Exception):
    """Base class of every error the helpers raise."""


class CroniumAPIError(CroniumError):
    """The runtime API answered with an error status, or could not be reached (status 0)."""

    def __init__(self, message, status=0, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


class CroniumTimeoutError(CroniumError):
    """The runtime API did not answer in time (after the retries)."""


_opener = None


def _get_opener():
    # No proxy: the runtime API is always local (127.0.0.1, the job network or an SSH tunnel), and a
    # job's HTTP_PROXY must not capture it.
    global _opener
    if _opener is None:
        import urllib.request
        _opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return _opener


def _config():
    """Reads the job environment on every call, so a missing variable is an error only when used."""
    base = os.environ.get("CRONIUM_RUNTIME_API", "")
    token = os.environ.get("CRONIUM_EXECUTION_TOKEN", "")
    if not base or not token:
        raise CroniumError(_MISSING_ENV)
    execution_id = os.environ.get("CRONIUM_EXECUTION_ID", "")
    if not execution_id:
        raise CroniumError("Cronium runtime helpers need CRONIUM_EXECUTION_ID; "
                           "run this script as a Cronium job (cronium run FILE)")
    try:
        timeout = float(os.environ.get("CRONIUM_HELPER_TIMEOUT", "") or 30)
    except ValueError:
        timeout = 30.0
    return base.rstrip("/"), token, execution_id, timeout if timeout > 0 else 30.0


def _server_message(raw):
    try:
        body = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"]), err.get("kind") or err.get("code")
        if isinstance(err, str):
            return err, None
        if body.get("message"):
            return str(body["message"]), None
    return (raw.decode("utf-8", "replace").strip()[:200] or "no details"), None


def _retry_after(headers, fallback):
    import email.utils
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return fallback
    try:
        seconds = float(value)
    except ValueError:
        try:  # or an HTTP date
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return fallback
    if seconds != seconds:  # NaN
        return fallback
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)


def _is_timeout(err):
    import socket
    reason = getattr(err, "reason", err)
    return isinstance(reason, (TimeoutError, socket.timeout))


def _is_transient(err):
    import http.client
    import socket
    reason = getattr(err, "reason", err)
    if isinstance(reason, socket.gaierror):
        return reason.errno == socket.EAI_AGAIN  # an unknown host stays unknown
    return isinstance(reason, (ConnectionError, TimeoutError, socket.timeout, http.client.HTTPException, OSError))


def _call(method, what, body=None, missing_is_none=False):
    """`method /executions/{id}/{what}`; returns the envelope's `data`. Retries connection failures,
    timeouts, 429 and 5xx; other error statuses raise at once. With missing_is_none a 404 is None."""
    import http.client
    import urllib.error
    import urllib.parse
    import urllib.request
    base, token, execution_id, timeout = _config()
    url = "%s/executions/%s/%s" % (base, urllib.parse.quote(execution_id, safe=""), what)
    data = None if body is None else json.dumps(body, allow_nan=False).encode("utf-8")
    headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    attempts = len(_RETRY_DELAYS) + 1
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        status, raw, response_headers = 0, b"", None
        try:
            with _get_opener().open(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, raw, response_headers = err.code, err.read(), err.headers
        except ValueError as err:  # urllib's word for a malformed URL
            raise CroniumError("CRONIUM_RUNTIME_API is not a valid URL: %s (%s)" % (base, err)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            if _is_transient(err) and not last:
                time.sleep(_RETRY_DELAYS[attempt - 1])
                continue
            tries = "" if attempt == 1 else " (%d attempts)" % attempt
            if _is_timeout(err):
                raise CroniumTimeoutError("Cronium runtime API at %s did not answer %s %s within %g s%s"
                                          % (base, method, what, timeout, tries)) from None
            reason = getattr(err, "reason", err)
            raise CroniumAPIError("Cannot reach the Cronium runtime API at %s: %s%s" % (base, reason, tries),
                                  0, type(reason).__name__) from None
        if 200 <= status < 300:
            try:
                envelope = json.loads(raw.decode("utf-8"))
            except ValueError:
                raise CroniumAPIError("Cronium runtime API sent a response that is not JSON for %s %s"
                                      % (method, what), status, "bad_response") from None
            return envelope.get("data") if isinstance(envelope, dict) else None
        if (status == 429 or status >= 500) and not last:
            delay = _RETRY_DELAYS[attempt - 1]
            time.sleep(_retry_after(response_headers, delay) if status == 429 else delay)
            continue
        if status == 404 and missing_is_none:
            return None
        detail, code = _server_message(raw)
        if status == 401 and code == "token_expired":
            # The execution has ended (or outlived its timeout); the server's words say which.
            raise CroniumAPIError("Cronium runtime API refused the execution token: " + detail, status, code)
        if status == 401:
            raise CroniumAPIError("Cronium runtime API rejected the execution token (expired or invalid): "
                                  + detail, status, code or "unauthorized")
        if status == 403:
            raise CroniumAPIError("Cronium runtime API refused access to execution %s: the token belongs "
                                  "to another execution (%s)" % (execution_id, detail), status, code or "forbidden")
        tries = "" if attempt == 1 else " after %d attempts" % attempt
        raise CroniumAPIError("Cronium runtime API error %d on %s %s%s: %s"
                              % (status, method, what, tries, detail), status, code)
    raise AssertionError("unreachable")


def _variable_path(key):
    import urllib.parse
    if not isinstance(key, str) or key == "":
        raise TypeError("cronium: a variable key must be a non-empty string")
    return "variables/" + urllib.parse.quote(key, safe="")


def input():  # noqa: A001 - the name is the API (it shadows the builtin only inside this module)
    """The input from the previous workflow step (any JSON value, None when there is none)."""
    return _call("GET", "input")


def output(data):
    """Sends `data` (any JSON-serialisable value) to the next workflow step."""
    _call("POST", "output", {"data": data})


def get_variable(key):
    """The variable's value, or None when it does not exist."""
    data = _call("GET", _variable_path(key), missing_is_none=True)
    return data.get("value") if isinstance(data, dict) else None


def set_variable(key, value):
    _call("PUT", _variable_path(key), {"value": value})


def set_condition(condition):
    """Sets the condition that `on_condition` workflow edges test (a bool; 'true'/'false', 1/0 too)."""
    if isinstance(condition, str) and condition.strip().lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        condition = condition.strip().lower() in ("true", "1", "yes", "on")
    elif isinstance(condition, int) and condition in (0, 1):  # bool is an int too
        condition = bool(condition)
    else:
        raise TypeError("cronium: set_condition expects True or False, got %r" % (condition,))
    _call("POST", "condition", {"condition": condition})


def event():
    """The event/job context: executionId, jobId, eventId, eventName, runtime, target, startedAt, ..."""
    return _call("GET", "context")


# camelCase names, as scripts written for Cronium use them.
getVariable = get_variable
setVariable = set_variable
setCondition = set_condition


def install_global():
    """Makes this module the builtin `cronium`, so scripts use it without an import."""
    builtins.cronium = sys.modules[__name__]
    return builtins.cronium


def _run_script(argv):
    """Runs argv[0] as __main__ with argv as sys.argv, the global installed, as `python3 SCRIPT` would:
    same sys.path[0], traceback without runner frames, exit status 1 on an uncaught exception."""
    import runpy
    import signal
    if not argv or argv[0] in ("-h", "--help"):
        sys.stderr.write("usage: python3 cronium.py SCRIPT [ARGS...]\n")
        return 2
    script = argv[0]
    if not os.path.exists(script):
        sys.stderr.write("%s: can't open file %r: [Errno 2] No such file or directory\n"
                         % (sys.executable or "python3", os.path.abspath(script)))
        return 2
    install_global()
    sys.argv = list(argv)
    # Python puts the script's directory first on sys.path; here it would be this file's directory.
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as err:  # noqa: BLE001 - reported like the interpreter reports it
        tb = err.__traceback__
        target = os.path.realpath(script)
        while tb is not None and os.path.realpath(tb.tb_frame.f_code.co_filename) != target:
            tb = tb.tb_next
        # No frame in the script (a SyntaxError): the error itself says where. The interpreter's hook
        # prints the exception's own __traceback__, so trim that.
        err.__traceback__ = tb
        sys.excepthook(type(err), err, tb)
        if isinstance(err, KeyboardInterrupt):  # die of SIGINT, as python3 does
            sys.stdout.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        return 1
    return 0


if __name__ == "__main__":
    # Run as a program (python3 cronium.py SCRIPT): hand over to the module imported as `cronium`, so
    # `import cronium` in the script and the global are one and the same module.
    import cronium as _module
    sys.exit(_module._run_script(sys.argv[1:]))
