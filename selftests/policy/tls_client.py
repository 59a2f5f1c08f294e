#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A userspace TLS client (Python's ssl) for the policy suite's server rules.

  tls_client.py HOST PORT CA [CERT KEY] TEXT [--read-first | --banner-only]

Connects with TLS (verifying the server against CA, presenting CERT/KEY when
given), sends TEXT and a newline, prints the first line back and the
negotiated version.  With --read-first, prints the server's first line (a
banner) before sending.  With --banner-only, prints that line, waits for the
server to close, and closes without a close_notify of its own (so the server's
end, which closed first, is left in TIME_WAIT).  Exits 1 with "error ..." on
failure.
"""
import os
import socket
import ssl
import sys

from lines import readline




def main(argv):
    read_first = "--read-first" in argv
    banner_only = "--banner-only" in argv
    args = [a for a in argv[1:] if a not in ("--read-first", "--banner-only")]
    host, port, ca = args[0], int(args[1]), args[2]
    cert = key = None
    if len(args) == 6:
        cert, key, text = args[3], args[4], args[5]
    else:
        text = args[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(cert, key)
    try:
        raw = socket.create_connection((host, port), timeout=20)
        s = ctx.wrap_socket(raw)
        out = []
        if banner_only:
            out.append(readline(s))
            out.append(s.version())
            fd = s.detach()  # the TCP socket, without SSL's goodbye
            # a socket with a timeout is non-blocking underneath: wait for the end in read()
            os.set_blocking(fd, True)
            while os.read(fd, 4096):  # its close_notify, then its FIN
                pass
            os.close(fd)
            print(" ".join(out))
            return 0
        if read_first:
            out.append(readline(s))
        s.sendall(text.encode() + b"\n")
        out.append(readline(s))
        out.append(s.version())
        print(" ".join(out))
    except (OSError, ssl.SSLError) as e:
        print("error", type(e).__name__, e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
