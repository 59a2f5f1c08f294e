#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A plain TCP server whose first read of its one connection is not recv().

  first_read.py --port P --ready FILE --how splice|zerocopy|recv [--wait S]

Listens, writes FILE, and blocks in accept() (so a server rule added meanwhile
adopts a listener with a thread already in TCP's accept()).  Once it has the
connection it waits S seconds, so whatever the peer sent is queued, then reads
it through splice(2) into a pipe, through getsockopt(TCP_ZEROCOPY_RECEIVE)'s
copy buffer, or through recv().  Prints "got <bytes>" or "error <ERRNO>".
"""
import argparse
import ctypes
import errno
import os
import socket
import time

TCP_ZEROCOPY_RECEIVE = 35


class ZcReceive(ctypes.Structure):
    # struct tcp_zerocopy_receive, linux/tcp.h
    _fields_ = [("address", ctypes.c_uint64), ("length", ctypes.c_uint32),
                ("recv_skip_hint", ctypes.c_uint32), ("inq", ctypes.c_uint32),
                ("err", ctypes.c_int32), ("copybuf_address", ctypes.c_uint64),
                ("copybuf_len", ctypes.c_int32), ("flags", ctypes.c_uint32),
                ("msg_control", ctypes.c_uint64), ("msg_controllen", ctypes.c_uint64),
                ("msg_flags", ctypes.c_uint32), ("reserved", ctypes.c_uint32)]


def read_splice(conn):
    r, w = os.pipe()
    n = os.splice(conn.fileno(), w, 65536)
    os.close(w)
    data = os.read(r, n) if n else b""
    os.close(r)
    return data


def read_zerocopy(conn):
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(65536)
    zc = ZcReceive()
    zc.copybuf_address = ctypes.addressof(buf)
    zc.copybuf_len = len(buf)
    size = ctypes.c_int(ctypes.sizeof(zc))
    if libc.getsockopt(conn.fileno(), socket.IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE,
                       ctypes.byref(zc), ctypes.byref(size)) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    if zc.err:
        raise OSError(-zc.err, os.strerror(-zc.err))
    return buf.raw[:zc.copybuf_len]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--how", choices=("splice", "zerocopy", "recv"), required=True)
    ap.add_argument("--wait", type=float, default=1.0)
    a = ap.parse_args()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(8)
    open(a.ready, "w").close()
    conn, _ = ls.accept()
    time.sleep(a.wait)
    read = {"splice": read_splice, "zerocopy": read_zerocopy,
            "recv": lambda c: c.recv(65536)}[a.how]
    try:
        print("got", read(conn).decode(errors="replace").strip())
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, str(e.errno)))
    conn.close()


if __name__ == "__main__":
    main()
