#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One TCP transfer of a file for the offload suite, kTLS (TLS 1.2, AES-GCM) or plain.

  ktls_xfer.py send ADDR PORT FILE [--cipher 128|256|none] [--seed N]
  ktls_xfer.py recv ADDR PORT FILE [--cipher 128|256|none] [--seed N]

Both ends derive the same key, salt, IV and starting record number from --seed. The sender
attaches the kernel's "tls" ULP and sets TLS_TX (the kernel offloads it to the route's device
when the device can), then sends FILE in random pieces: plain send(), send() with MSG_MORE and
sendfile(). The receiver sets software kTLS RX, which checks every record's tag, reads to the
end and compares every byte with FILE. Exit status 0 when the transfer is whole and equal.
"""
import argparse
import os
import random
import socket
import struct
import sys

SOL_TLS = 282
TCP_ULP = 31
TLS_TX = 1
TLS_RX = 2
TLS_1_2_VERSION = 0x0303
CIPHERS = {"128": (51, 16), "256": (52, 32)}


def crypto_info(cipher, seed):
    """struct tls12_crypto_info_aes_gcm_{128,256}: version, cipher, iv, key, salt, rec_seq."""
    cipher_type, keylen = CIPHERS[cipher]
    rnd = random.Random(seed)
    iv, key, salt = rnd.randbytes(8), rnd.randbytes(keylen), rnd.randbytes(4)
    # a record number that is not 0, and far from wrapping
    rec_seq = struct.pack(">Q", rnd.randrange(1, 1 << 40))
    return struct.pack("=HH", TLS_1_2_VERSION, cipher_type) + iv + key + salt + rec_seq


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def send(args, data):
    s = socket.socket(family(args.addr), socket.SOCK_STREAM)
    s.connect((args.addr, args.port))
    if args.cipher != "none":
        s.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
        s.setsockopt(SOL_TLS, TLS_TX, crypto_info(args.cipher, args.seed))
    rnd = random.Random(args.seed + 1)
    counts = {"send": 0, "more": 0, "sendfile": 0}
    with open(args.file, "rb") as f:
        off = 0
        while off < len(data):
            n = rnd.choice((rnd.randint(1, 100), rnd.randint(1, 20000),
                            rnd.randint(1, 200000)))
            n = min(n, len(data) - off)
            way = rnd.random()
            last = off + n == len(data)
            if way < 0.25:
                sent = os.sendfile(s.fileno(), f.fileno(), off, n)
                counts["sendfile"] += 1
            elif way < 0.5 and not last:
                # the last piece never carries MSG_MORE: it pushes the open record
                sent = s.send(data[off:off + n], socket.MSG_MORE)
                counts["more"] += 1
            else:
                s.sendall(data[off:off + n])
                sent = n
                counts["send"] += 1
            if sent <= 0:
                print(f"send: wrote nothing at offset {off}", file=sys.stderr)
                return 1
            off += sent
    s.close()
    print(f"send: {len(data)} bytes, pieces {counts}")
    return 0


def recv(args, data):
    ls = socket.socket(family(args.addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.addr, args.port))
    ls.listen(1)
    # a sender that never comes or stalls must not leave this waiting forever
    ls.settimeout(args.timeout)
    try:
        c, _ = ls.accept()
    except OSError as e:
        print(f"recv: accept: {e}", file=sys.stderr)
        return 2
    ls.close()
    c.settimeout(args.timeout)
    if args.cipher != "none":
        c.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
        c.setsockopt(SOL_TLS, TLS_RX, crypto_info(args.cipher, args.seed))
    got = bytearray()
    try:
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            got += d
    except OSError as e:
        print(f"recv: {e} after {len(got)} bytes", file=sys.stderr)
        return 2
    if got != data:
        at = next((i for i in range(min(len(got), len(data))) if got[i] != data[i]),
                  min(len(got), len(data)))
        print(f"recv: {len(got)} bytes of {len(data)}, first difference at {at}",
              file=sys.stderr)
        return 1
    print(f"recv: {len(got)} bytes, all equal")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=("send", "recv"))
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("file")
    p.add_argument("--cipher", choices=("128", "256", "none"), default="128")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120, help="recv: seconds without progress")
    args = p.parse_args()
    with open(args.file, "rb") as f:
        data = f.read()
    return send(args, data) if args.role == "send" else recv(args, data)


if __name__ == "__main__":
    sys.exit(main())
