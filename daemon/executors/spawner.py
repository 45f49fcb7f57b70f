"""Cronium's process spawner: starts local jobs on behalf of the daemon.

Forking the daemon (a Node.js process of 50 MiB and more) costs it about a millisecond of CPU per job,
most of the per-job overhead on a busy machine. This small process starts jobs with vfork (Python's
subprocess) instead. The daemon starts it on its first local job; it never forks the daemon again.

Protocol, one JSON object per line.
daemon -> spawner, on stdin:
    {"id": 1, "argv": ["bash", "/x.sh"], "env": {...}, "cwd": "/dir", "socket": "/home/spawner.sock", "key": "hex"}
spawner -> daemon, on stdout:
    {"id": 1, "pid": 123, "start": "4567"}                     the job runs; start is field 22 of /proc/PID/stat
    {"id": 1, "error": "No such file or directory", "code": "ENOENT", "path": "bash"}   it did not start
    {"id": 1, "exit": 0, "signal": null}                        it ended ("signal": "SIGTERM" and "exit": null)
The job's stdout and stderr are connections to the daemon's unix socket, each opened with the line
"KEY 1" or "KEY 2" before the job starts: its output goes straight to the daemon, never through here.
The job leads a new session and process group (setsid), its stdin is /dev/null.

When the daemon is gone (end of stdin, a broken stdout, or we were handed to another parent), the jobs
still running are unobserved: their output and exit status have nowhere to go, and a job that ignores
SIGPIPE would run on for good. The spawner SIGKILLs their process groups, then exits; the restarted
daemon records them failed. Requests still buffered in stdin are not started. A job started in the
instant the daemon died is killed as soon as the spawner notices. What it cannot reach (a job's child
that left the group, jobs of a spawner that was itself killed) the restarted daemon finds by the
execution id in their environment.
"""

import errno
import json
import os
import selectors
import signal
import socket
import subprocess
import sys


def connect(path, key, stream):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sock.sendall(("%s %d\n" % (key, stream)).encode("ascii"))
    except BaseException:
        sock.close()
        raise
    return sock


def deprioritize(pid, nice):
    """Lowers the job's CPU priority below the daemon's: its own niceness (inherited by what it starts)
    and its session's autogroup, which the scheduler weighs against the daemon's where autogroups are on.
    Best effort: the job may be gone already, the kernel may have no autogroups."""
    if not isinstance(nice, int) or nice <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(nice, 19))
    except OSError:
        pass
    try:
        with open("/proc/%d/autogroup" % pid, "w") as f:
            f.write(str(min(nice, 19)))
    except OSError:
        pass


def start_time(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        return stat[stat.rindex(")") + 2 :].split(" ")[19]
    except (OSError, ValueError, IndexError):
        return None


class DaemonGone(Exception):
    """The daemon that started us is gone: nobody takes our jobs' output and exit status any more."""


def daemon_pid():
    try:
        return int(os.environ.get("CRONIUM_SPAWNER_DAEMON", ""))
    except ValueError:
        return None


class Spawner:
    def __init__(self):
        self.children = {}  # pid -> (request id, Popen)
        self.out = sys.stdout.buffer
        # An orphan is handed to init (or a subreaper): a parent other than the daemon means it died,
        # even while its last requests are still buffered ahead of the end of stdin.
        self.daemon = daemon_pid()

    def check_daemon(self):
        if self.daemon is not None and os.getppid() != self.daemon:
            raise DaemonGone()

    def kill_all(self):
        # Not yet reaped, so each pid still names its own group: no other process can have taken it.
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        self.children.clear()

    def send(self, message):
        try:
            self.out.write(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
            self.out.flush()
        except OSError:
            raise DaemonGone()

    def spawn(self, request):
        self.check_daemon()
        rid = request.get("id")
        sockets = []
        try:
            sockets.append(connect(request["socket"], request["key"], 1))
            sockets.append(connect(request["socket"], request["key"], 2))
            child = subprocess.Popen(
                request["argv"],
                cwd=request["cwd"],
                env=request["env"],
                stdin=subprocess.DEVNULL,
                stdout=sockets[0].fileno(),
                stderr=sockets[1].fileno(),
                start_new_session=True,
            )
        except OSError as e:
            code = errno.errorcode.get(e.errno, "") if e.errno is not None else ""
            self.send({"id": rid, "error": e.strerror or str(e), "code": code, "path": e.filename})
            return
        except (KeyError, TypeError, ValueError) as e:
            self.send({"id": rid, "error": "bad spawn request: %s" % e, "code": "EINVAL", "path": None})
            return
        finally:
            for sock in sockets:
                sock.close()
        self.children[child.pid] = (rid, child)
        deprioritize(child.pid, request.get("nice", 0))
        # The daemon may have died while the job started: then it goes with the others.
        self.check_daemon()
        self.send({"id": rid, "pid": child.pid, "start": start_time(child.pid)})

    def reap(self):
        for pid, (rid, child) in list(self.children.items()):
            status = child.poll()
            if status is None:
                continue
            del self.children[pid]
            if status < 0:
                try:
                    name = signal.Signals(-status).name
                except ValueError:
                    name = "SIG%d" % -status
                self.send({"id": rid, "exit": None, "signal": name})
            else:
                self.send({"id": rid, "exit": status, "signal": None})


def main(spawner):
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    # A Python handler (not SIG_IGN, which children would inherit): SIGCHLD only wakes the loop.
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, "request")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    pending = b""
    while True:
        # The timeout only re-checks the daemon, in case the end of stdin does not come.
        events = selector.select(timeout=1.0)
        spawner.check_daemon()
        for key, _ in events:
            if key.data == "child":
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                spawner.reap()
                continue
            try:
                chunk = os.read(0, 1 << 16)
            except OSError:  # ECONNRESET: the daemon died with our messages unread
                raise DaemonGone()
            if not chunk:
                raise DaemonGone()
            pending += chunk
            lines = pending.split(b"\n")
            pending = lines.pop()
            for line in lines:
                if not line.strip():
                    continue
                try:
                    request = json.loads(line)
                except ValueError as e:
                    spawner.send({"id": None, "error": "bad spawn request: %s" % e, "code": "EINVAL", "path": None})
                    continue
                spawner.spawn(request)
            # A job that ended while we were busy spawning is reaped on the next wake-up byte.


if __name__ == "__main__":
    spawner = Spawner()
    try:
        main(spawner)
    except DaemonGone:
        pass
    finally:
        spawner.kill_all()
    # Our stdout may be a broken pipe: leave without Python flushing it again at exit.
    os._exit(0)
