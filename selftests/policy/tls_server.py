#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A small TCP server for the policy suite: userspace TLS (Python's ssl) or plain.

Each connection: optionally a banner line first (a server-first protocol),
then every line received is sent back reversed (or, with --close, the
server closes first, right after its banner).  Serves --count connections
one after another, then exits.  Writes --ready once it listens.

  tls_server.py --port P [--host H] [--plain | --cert C --key K [--ca CA]]
                [--banner TEXT [--close]] [--count N] [--ready FILE] [--log FILE]

With --ca, a client certificate signed by CA is required (mutual TLS).
"""
import argparse
import socket
import ssl
import sys


def serve(conn, banner, log, close=False):
    if banner:
        conn.sendall(banner.encode() + b"\n")
    if close:
        return
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            conn.sendall(line[::-1] + b"\n")
    if log:
        log.write("closed\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ca")
    ap.add_argument("--banner")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--ready")
    ap.add_argument("--log")
    ap.add_argument("--close", action="store_true")
    a = ap.parse_args()

    log = open(a.log, "a", buffering=1) if a.log else None
    ctx = None
    if not a.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        if a.ca:
            ctx.load_verify_locations(a.ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(16)
    if a.ready:
        open(a.ready, "w").close()
    for _ in range(a.count):
        conn, peer = ls.accept()
        conn.settimeout(30)
        try:
            if ctx:
                conn = ctx.wrap_socket(conn, server_side=True)
                if log:
                    cert = conn.getpeercert()
                    subj = dict(x[0] for x in cert["subject"]) if cert else {}
                    log.write("tls %s peer %s\n" % (conn.version(), subj.get("commonName", "-")))
            elif log:
                log.write("plain\n")
            serve(conn, a.banner, log, a.close)
        except (OSError, ssl.SSLError) as e:
            if log:
                log.write("error %s\n" % e)
        finally:
            conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
