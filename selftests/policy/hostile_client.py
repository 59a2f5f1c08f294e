#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A client that speaks no TLS to a server a rule makes TLS: what does it get?

  hostile_client.py HOST PORT WHAT [SECS]

WHAT is what it sends after connecting:
  garbage    4 KiB of bytes that are no TLS record
  http       an HTTP/1.1 request
  hello      the first 60 bytes of a ClientHello that announces 512: it never ends
  nothing    nothing at all
then it reads until the server closes or SECS (default 20) pass, and prints

  got N first HEX end eof|errno NAME|timeout

HEX: the first 8 bytes it read, "-" for none.  A TLS server answers with
records (first byte 0x15 alert, 0x16 handshake) or resets; never with what
its application would have said.
"""
import errno
import os
import socket
import struct
import sys


def truncated_hello():
    # record header and handshake header promise more than follows
    body = struct.pack(">H", 0x0303) + os.urandom(32) + b"\x00" + b"\x00\x02\x13\x01"
    hs = b"\x01" + struct.pack(">I", 508)[1:] + body
    return (b"\x16\x03\x01" + struct.pack(">H", 512) + hs)[:60]


PAYLOADS = {
    "garbage": lambda: bytes((i * 7 + 0x41) & 0x7F for i in range(4096)),
    "http": lambda: b"GET /plaintext-marker-http HTTP/1.1\r\nHost: server.test\r\n"
                    b"User-Agent: hostile\r\n\r\n",
    "hello": truncated_hello,
    "nothing": lambda: b"",
}


def main(argv):
    host, port, what = argv[1], int(argv[2]), argv[3]
    secs = float(argv[4]) if len(argv) > 4 else 20
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    got = b""
    end = "eof"
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(secs)
        s.connect((host, port))
        data = PAYLOADS[what]()
        if data:
            s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        end = "timeout"
    except OSError as e:
        end = "errno " + errno.errorcode.get(e.errno, str(e.errno))
    print("got %d first %s end %s" % (len(got), got[:8].hex() or "-", end))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
