#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An SMTP-like server: it speaks first, with a 220 greeting, and then
answers EHLO/HELO, NOOP and QUIT as a mail server would (nothing is ever
delivered).  Plain TCP: the policy suite puts it behind a server rule.

  banner_server.py --port P --count N --ready FILE --log FILE

Logs one line per session: the commands it read, space-separated.
"""
import argparse
import socket
import sys

GREETING = b"220 mail.test ESMTP plaintext-marker-smtp ready\r\n"


def session(conn):
    seen = []
    f = conn.makefile("rwb", buffering=0)
    f.write(GREETING)
    for raw in f:
        line = raw.decode(errors="replace").strip()
        verb = line.split(" ", 1)[0].upper()
        seen.append(verb or "-")
        if verb in ("EHLO", "HELO"):
            f.write(b"250-mail.test greets you\r\n250-SIZE 1048576\r\n250 8BITMIME\r\n")
        elif verb == "NOOP":
            f.write(b"250 OK plaintext-marker-noop\r\n")
        elif verb == "QUIT":
            f.write(b"221 mail.test closing\r\n")
            break
        else:
            f.write(b"502 command not implemented\r\n")
    return " ".join(seen) or "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--ready")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    log = open(a.log, "a", buffering=1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(8)
    if a.ready:
        open(a.ready, "w").close()
    for _ in range(a.count):
        try:
            conn, _ = ls.accept()
        except OSError as e:	# ECONNABORTED: a child whose TLS could not start
            log.write("accept error %s\n" % e)
            continue
        conn.settimeout(30)
        try:
            log.write(session(conn) + "\n")
        except OSError as e:
            log.write("error %s\n" % e)
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
