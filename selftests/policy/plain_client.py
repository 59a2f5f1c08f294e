#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An application that has never heard of TLS: plain TCP socket calls only.

The policy suite runs it where a transparent rule covers the destination;
tlsock must make its bytes TLS without it noticing.  Prints one result line
and exits 0; exits 1 with "errno NAME" when a call failed.

  plain_client.py echo HOST PORT TEXT     send TEXT + newline, print the first line back
  plain_client.py nbecho HOST PORT TEXT   the same after a non-blocking connect() and poll()
  plain_client.py read HOST PORT          print the first line the server sends (server speaks first)
  plain_client.py fastopen HOST PORT TEXT sendto(MSG_FASTOPEN) on an unconnected socket
  plain_client.py fastopen-connect HOST PORT TEXT   TCP_FASTOPEN_CONNECT, then echo
  plain_client.py hold HOST PORT TEXT SECS  echo, wait SECS (a rule may change), echo again
  plain_client.py smtp HOST PORT          an SMTP client's dialogue: wait for the greeting, then
                                          EHLO, NOOP, QUIT, each after the last reply; prints
                                          every line read, joined with "|"
"""
import errno
import select
import socket
import sys
import time

from lines import readline

TIMEOUT = 20


def connect(host, port, fastopen_connect=False):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    if fastopen_connect:
        s.setsockopt(socket.IPPROTO_TCP, 30, 1)  # TCP_FASTOPEN_CONNECT
    s.connect((host, port))
    return s




def echo(s, text):
    s.sendall(text.encode() + b"\n")
    return readline(s)


def main(argv):
    mode, host, port = argv[1], argv[2], int(argv[3])
    try:
        if mode == "echo":
            print(echo(connect(host, port), argv[4]))
        elif mode == "read":
            print(readline(connect(host, port)))
        elif mode == "nbecho":
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((host, port))
            if rc not in (0, errno.EINPROGRESS):
                raise OSError(rc, "connect")
            p = select.poll()
            p.register(s, select.POLLOUT)
            if not p.poll(TIMEOUT * 1000):
                raise OSError(errno.ETIMEDOUT, "poll")
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, "SO_ERROR")
            s.setblocking(True)
            s.settimeout(TIMEOUT)
            print(echo(s, argv[4]))
        elif mode == "fastopen":
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            s.sendto(argv[4].encode() + b"\n", socket.MSG_FASTOPEN, (host, port))
            print(readline(s))
        elif mode == "fastopen-connect":
            print(echo(connect(host, port, fastopen_connect=True), argv[4]))
        elif mode == "smtp":
            s = connect(host, port)
            pending = []

            def reply():	# the lines of one reply: up to one without "-" after its code
                out = []
                while True:
                    if not pending:
                        got = readline(s)
                        if not got:
                            return out
                        pending.extend(got.split("\n"))
                    line = pending.pop(0).rstrip("\r")
                    out.append(line)
                    if line[3:4] != "-":
                        return out
            seen = reply()
            for cmd in (b"EHLO client.test", b"NOOP", b"QUIT"):
                s.sendall(cmd + b"\r\n")
                seen += reply()
            print("|".join(seen))
        elif mode == "hold":
            s = connect(host, port)
            first = echo(s, argv[4])
            time.sleep(float(argv[5]))
            print(first, echo(s, argv[4]))
        else:
            print("unknown mode", mode)
            return 2
    except OSError as e:
        print("errno", errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
