#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A plain TCP server that records what its application is handed, for the
policy suite's attacks: behind a server rule it must be handed nothing but
what a TLS client sent through TLS.

  sink_server.py --port P [--host H] [--count N] [--banner TEXT]
                 [--reply TEXT] [--wait SECS] [--accept-after FILE]
                 [--listeners K] [--handoff scm|fork|systemd] [--ready FILE] --log FILE

Each accepted connection (or failed accept) adds one line to --log:

  accept errno NAME
  conn L got N first HEX end eof|errno NAME|timeout tls STATE

Connections are served at once, each by a thread of its own.
L is the listener (0..K-1) that took it, N the bytes the application read,
HEX the first 16 of them, STATE what TLSOCK_INFO says of the socket (none:
no tlsock on it (ENOPROTOOPT, or EOPNOTSUPP from IPv4), pending, established, failed).  --banner is sent first
(a server-first protocol), --reply after the first bytes read.  A read
waits --wait seconds at most (default 20).  --accept-after waits for FILE
before the first accept() (connections pile up in the backlog meanwhile).

--listeners K opens K SO_REUSEPORT listeners on the same port, each served
by its own thread.  --handoff hands the listener over before any accept():
scm: to another process through SCM_RIGHTS on a socketpair; fork: to a
child, the parent closing its copy.  systemd: open nothing, serve the
listeners of socket activation (LISTEN_FDS from fd 3, for LISTEN_PID; run it
under systemd-socket-activate).  Exits after --count lines.
"""
import argparse
import errno
import os
import socket
import struct
import sys
import threading
import time

SOL_TLSOCK = 0x746C73
TLSOCK_INFO = 2
STATES = {0: "none", 1: "pending", 2: "established", 3: "failed"}


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def tls_state(s):
    try:
        raw = s.getsockopt(SOL_TLSOCK, TLSOCK_INFO, 24)
    except OSError as e:
        return "none" if e.errno in (errno.ENOPROTOOPT, errno.EOPNOTSUPP) else "errno-" + ename(e)
    return STATES.get(struct.unpack("<I", raw[:4])[0], "?")


def serve(conn, idx, a):
    got = b""
    end = "eof"
    try:
        if a.banner:
            conn.sendall(a.banner.encode() + b"\n")
        conn.settimeout(a.wait)
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            if not got and a.reply:
                conn.sendall(a.reply.encode() + b"\n")
            got += chunk
    except socket.timeout:
        end = "timeout"
    except OSError as e:
        end = "errno " + ename(e)
    state = tls_state(conn)
    conn.close()
    return "conn %d got %d first %s end %s tls %s" % (idx, len(got), got[:16].hex() or "-",
                                                      end, state)


def listen(a):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.listeners > 1:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind((a.host, a.port))
    ls.listen(64)
    return ls


class Log:
    def __init__(self, path, count):
        self.f = open(path, "a", buffering=1)
        self.left = count
        self.lock = threading.Lock()
        self.done = threading.Event()

    def line(self, text):
        with self.lock:
            if self.left <= 0:
                return
            self.f.write(text + "\n")
            self.left -= 1
            if self.left == 0:
                self.done.set()


def accept_loop(ls, idx, a, log):
    ls.settimeout(0.5)
    while not log.done.is_set():
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        except OSError as e:
            log.line("accept errno " + ename(e))
            continue
        conn.settimeout(None)
        threading.Thread(target=lambda c=conn: log.line(serve(c, idx, a)), daemon=True).start()


def run(listeners, a):
    log = Log(a.log, a.count)
    if a.accept_after:
        while not os.path.exists(a.accept_after):
            time.sleep(0.05)
    threads = [threading.Thread(target=accept_loop, args=(ls, i, a, log), daemon=True)
               for i, ls in enumerate(listeners)]
    for t in threads:
        t.start()
    log.done.wait()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--banner")
    ap.add_argument("--reply")
    ap.add_argument("--wait", type=float, default=20)
    ap.add_argument("--accept-after")
    ap.add_argument("--listeners", type=int, default=1)
    ap.add_argument("--handoff", choices=("scm", "fork", "systemd"))
    ap.add_argument("--ready")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    if a.handoff == "systemd":
        if int(os.environ.get("LISTEN_PID", "0")) != os.getpid():
            print("sink_server.py: no socket activation for this process", file=sys.stderr)
            return 2
        got = [socket.socket(fileno=3 + i) for i in range(int(os.environ["LISTEN_FDS"]))]
        if a.ready:
            open(a.ready, "w").close()
        return run(got, a)
    listeners = [listen(a) for _ in range(a.listeners)]
    if a.handoff == "fork":
        pid = os.fork()
        if pid:
            for ls in listeners:
                ls.close()
            if a.ready:
                open(a.ready, "w").close()
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        return run(listeners, a)
    if a.handoff == "scm":
        left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if not pid:
            # the receiver: a process that never bound nor listened
            for ls in listeners:
                ls.close()
            left.close()
            _, fds, _, _ = socket.recv_fds(right, 16, len(listeners))
            got = [socket.socket(fileno=fd) for fd in fds]
            os._exit(run(got, a))
        right.close()
        socket.send_fds(left, [b"l"], [ls.fileno() for ls in listeners])
        for ls in listeners:
            ls.close()
        if a.ready:
            open(a.ready, "w").close()
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    if a.ready:
        open(a.ready, "w").close()
    return run(listeners, a)


if __name__ == "__main__":
    sys.exit(main())
