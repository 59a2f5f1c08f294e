#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rules that come and go while connections are made: the policy suite's race.

  race.py --port P --secs S --tlsockctl PATH

Two plain listeners, on P (a thread blocked in accept()) and P+1 (non-blocking,
epoll), a third port whose listeners are opened and closed while its
server rule comes and goes, and four plain clients (blocking connect, non-blocking connect with
epoll, to each port) loop for S seconds while a thread adds and deletes a
server rule and a client rule for each port, independently.  A connection is
then TLS at both ends, plain at both ends, or TLS at one end only; the last
kind must fail, at the TLS end without handing its application a byte.

Each client sends "M<its port>", each server answers a line starting with M
with "R<the same>", and anything else with a plaintext decoy.  Afterwards,
every end that read something is checked against what TLSOCK_INFO says of
both ends: an application reads its peer application's bytes only when both
ends are plain or both established TLS, and a socket whose handshake is not
established never returns a byte.  Prints

  connections N tls N plain N failed N toggles N violations N hung N

then one line per violation.
"""
import argparse
import errno
import select
import socket
import struct
import subprocess
import threading
import time

SOL_TLSOCK = 0x746C73
TLSOCK_INFO = 2
STATES = {0: "none", 1: "pending", 2: "established", 3: "failed"}
DECOY = b"plaintext-decoy-from-a-plain-server\n"
IO_TIMEOUT = 15


def tls_state(s):
    try:
        raw = s.getsockopt(SOL_TLSOCK, TLSOCK_INFO, 24)
    except OSError as e:
        return "none" if e.errno in (errno.ENOPROTOOPT, errno.EOPNOTSUPP) else "errno"
    return STATES.get(struct.unpack("<I", raw[:4])[0], "?")


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


class Race:
    def __init__(self, a):
        self.a = a
        self.stop = threading.Event()		# clients and rules stop
        self.stop_servers = threading.Event()	# then the servers, once clients are done
        self.lock = threading.Lock()
        # (client port, server port) -> (state, got, err): a client port may be in use
        # towards both server ports at once, so it alone names no connection
        self.clients = {}
        self.servers = {}
        self.toggles = 0
        self.busy = 0		# server connections still being served
        self.odd = []		# unexpected errors of accept()

    # --- servers ---
    def serve(self, conn, peer_port):
        key = (peer_port, conn.getsockname()[1])
        got = b""
        err = ""
        try:
            conn.settimeout(IO_TIMEOUT)
            while b"\n" not in got and len(got) < 512:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                got += chunk
            if got:
                line = got.split(b"\n", 1)[0]
                conn.sendall(b"R" + line[1:] + b"\n" if line.startswith(b"M") else DECOY)
            while conn.recv(4096):
                pass
        except OSError as e:
            err = ename(e)
        state = tls_state(conn)
        conn.close()
        with self.lock:
            self.servers[key] = (state, got, err)
            self.busy -= 1

    def take(self, conn, addr):
        with self.lock:
            self.busy += 1
        threading.Thread(target=self.serve, args=(conn, addr[1]), daemon=True).start()

    def blocking_accept(self, ls):
        while True:
            try:
                conn, addr = ls.accept()
            except OSError as e:
                if self.stop_servers.is_set():
                    return
                if e.errno not in (errno.ECONNABORTED, errno.ECONNRESET):
                    self.odd.append("accept(): " + ename(e))
                    time.sleep(0.05)
                continue
            self.take(conn, addr)

    def epoll_accept(self, ls):
        ls.setblocking(False)
        ep = select.epoll()
        ep.register(ls.fileno(), select.EPOLLIN)
        while not self.stop_servers.is_set():
            if not ep.poll(0.2):
                continue
            try:
                conn, addr = ls.accept()
            except (BlockingIOError, ConnectionAbortedError):
                continue
            conn.setblocking(True)
            self.take(conn, addr)
        ep.close()

    # --- clients ---
    def exchange(self, s, dport):
        port = s.getsockname()[1]
        key = (port, dport)
        got = b""
        err = ""
        try:
            s.sendall(b"M%d\n" % port)
            while b"\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except OSError as e:
            err = ename(e)
        state = tls_state(s)
        s.close()
        with self.lock:
            self.clients[key] = (state, got, err)

    def client_blocking(self, port):
        while not self.stop.is_set():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(IO_TIMEOUT)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            self.exchange(s, port)

    def client_epoll(self, port):
        while not self.stop.is_set():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex(("127.0.0.1", port))
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                continue
            ep = select.epoll()
            ep.register(s.fileno(), select.EPOLLOUT)
            ready = ep.poll(IO_TIMEOUT)
            ep.close()
            if not ready or s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                s.close()
                continue
            s.setblocking(True)
            s.settimeout(IO_TIMEOUT)
            self.exchange(s, port)

    # --- rules ---
    def ctl(self, *args):
        r = subprocess.run([self.a.tlsockctl, "policy"] + list(args), capture_output=True,
                           text=True)
        return r.stdout.strip()

    def toggler(self):
        ports = (self.a.port, self.a.port + 1)
        rules = {}
        flip = 0
        while not self.stop.is_set():
            key = (("server", "client")[flip % 2], ports[(flip // 2) % 2])
            flip += 1
            if key in rules:
                self.ctl("del", rules.pop(key))
            elif key[0] == "server":
                rules[key] = self.ctl("add", "server", "*:%d" % key[1], "profile", "server")
            else:
                rules[key] = self.ctl("add", "client", "127.0.0.1:%d" % key[1], "profile",
                                      "client", "server-name", "server.test")
            self.toggles += 1
            time.sleep(0.05 * (flip % 3))
        for rid in rules.values():
            self.ctl("del", rid)

    def churn(self):
        # listeners on P+2 opened and closed while their server rule comes and goes
        port = self.a.port + 2
        rid = None
        while not self.stop.is_set():
            for _ in range(5):
                ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                ls.bind(("127.0.0.1", port))
                ls.listen(4)
                c = socket.create_connection(("127.0.0.1", port))
                ls.close()
                c.close()
            if rid:
                threading.Thread(target=self.ctl, args=("del", rid), daemon=True).start()
                rid = None
            else:
                rid = self.ctl("add", "server", "*:%d" % port, "profile", "server")
            self.toggles += 1
        if rid:
            self.ctl("del", rid)

    def run(self):
        p = self.a.port
        ls_block = socket.create_server(("127.0.0.1", p), backlog=64)
        ls_epoll = socket.create_server(("127.0.0.1", p + 1), backlog=64)
        servers = [threading.Thread(target=self.blocking_accept, args=(ls_block,), daemon=True),
                   threading.Thread(target=self.epoll_accept, args=(ls_epoll,), daemon=True)]
        workers = [threading.Thread(target=self.toggler, daemon=True),
                   threading.Thread(target=self.churn, daemon=True)]
        for port in (p, p + 1):
            workers.append(threading.Thread(target=self.client_blocking, args=(port,),
                                            daemon=True))
            workers.append(threading.Thread(target=self.client_epoll, args=(port,),
                                            daemon=True))
        for t in servers + workers:
            t.start()
        time.sleep(self.a.secs)
        self.stop.set()
        deadline = time.time() + 3 * IO_TIMEOUT
        for t in workers:
            t.join(max(deadline - time.time(), 0.1))
        while self.busy and time.time() < deadline:
            time.sleep(0.1)
        self.stop_servers.set()
        ls_block.shutdown(socket.SHUT_RDWR)	# wakes the blocked accept()
        servers[0].join(2)
        servers[1].join(2)
        ls_block.close()
        ls_epoll.close()
        hung = sum(t.is_alive() for t in workers + servers) + self.busy
        return hung

    def verdict(self, hung):
        bad = list(self.odd)
        tls = plain = failed = 0
        for key, (cstate, cgot, cerr) in sorted(self.clients.items()):
            port = key[0]
            sstate, sgot, serr = self.servers.get(key, ("unseen", b"", ""))
            both_plain = cstate == "none" and sstate in ("none", "unseen")
            both_tls = cstate == "established" and sstate == "established"
            if cgot == b"R%d\n" % port:
                tls += both_tls
                plain += both_plain
            else:
                failed += 1
            what = "client %d->%d %s got %r (%s), server %s got %r (%s)" % (
                port, key[1], cstate, cgot[:40], cerr, sstate, sgot[:40], serr)
            # an end reads its peer's bytes only when both ends are alike
            if (cgot == b"R%d\n" % port or b"M%d\n" % port in sgot) and not (both_plain or
                                                                           both_tls):
                bad.append("mismatched ends exchanged data: " + what)
            # a handshake that is not established hands the application nothing
            if cgot and cstate in ("pending", "failed", "errno"):
                bad.append("client read while not TLS: " + what)
            if sgot and sstate in ("pending", "failed", "errno"):
                bad.append("server read while not TLS: " + what)
            if DECOY.strip() in cgot and cstate != "none":
                bad.append("a TLS client read a plain server's bytes: " + what)
        print("connections %d tls %d plain %d failed %d toggles %d violations %d hung %d" %
              (len(self.clients), tls, plain, failed, self.toggles, len(bad), hung))
        for b in bad[:20]:
            print(b)
        return 1 if bad or hung else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secs", type=float, default=6)
    ap.add_argument("--tlsockctl", required=True)
    a = ap.parse_args()
    r = Race(a)
    return r.verdict(r.run())


if __name__ == "__main__":
    raise SystemExit(main())
