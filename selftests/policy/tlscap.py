#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a capture of the policy suite: every TCP stream to or from PORT is TLS.

  tlscap.py [--list] [--only to|from] FILE.pcap PORT MARKER...

For each direction of each connection, the payload bytes, put in sequence
order, must parse as TLS records from the first byte on (content types 20-23,
version 0x0301-0x0303, lengths within RFC 8446's limit), and no MARKER may
appear anywhere in the capture.  Prints "ok N streams, M records" or what is
wrong, and exits 0 or 1.  Reads pcap files of Ethernet or Linux cooked
captures, IPv4 and IPv6.  --list also prints each stream's records, in order,
as content type and length (the demo shows them).  --only to checks only the
direction towards PORT (the client's, when the server is no TLS end), --only
from only the direction from PORT (the server's, when the client is none).
"""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield link, data[off:off + incl]
        off += incl


def tcp_of(link, frame):
    if link == 1:		# Ethernet
        etype, l3 = struct.unpack(">H", frame[12:14])[0], frame[14:]
    elif link == 113:		# Linux cooked
        etype, l3 = struct.unpack(">H", frame[14:16])[0], frame[16:]
    else:
        raise SystemExit("unsupported link type %d" % link)
    if etype == 0x0800 and l3[9] == 6:
        ihl = (l3[0] & 15) * 4
        total = struct.unpack(">H", l3[2:4])[0]
        src, dst, seg = l3[12:16], l3[16:20], l3[ihl:total]
    elif etype == 0x86DD and l3[6] == 6:
        plen = struct.unpack(">H", l3[4:6])[0]
        src, dst, seg = l3[8:24], l3[24:40], l3[40:40 + plen]
    else:
        return None
    sport, dport, seq = struct.unpack(">HHI", seg[:8])
    doff = (seg[12] >> 4) * 4
    return (src, sport, dst, dport), seq, seg[13], seg[doff:]


TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}


def show(key, recs):
    """One line per stream: its records as type(length), the first 8 of them"""
    words = ["%s(%d)" % (TYPES[t], n) for t, n in recs[:8]]
    if len(recs) > 8:
        words.append("... %d more" % (len(recs) - 8))
    print("  %d -> %d: %s" % (key[1], key[3], " ".join(words)))


def main(argv):
    listing = False
    only = None
    while len(argv) > 2 and argv[1] in ("--list", "--only"):
        if argv[1] == "--list":
            listing = True
            argv = argv[:1] + argv[2:]
        else:
            only = argv[2]
            argv = argv[:1] + argv[3:]
    path, port, markers = argv[1], int(argv[2]), [m.encode() for m in argv[3:]]
    raw = open(path, "rb").read()
    for m in markers:
        if m in raw:
            print("marker %r is in the capture" % m.decode())
            return 1
    streams = {}
    for link, frame in packets(path):
        t = tcp_of(link, frame)
        if not t:
            continue
        key, seq, flags, payload = t
        if port not in (key[1], key[3]) or (only == "to" and key[3] != port) or \
                (only == "from" and key[1] != port):
            continue
        st = streams.setdefault(key, {"isn": None, "segs": {}})
        if flags & 0x02:	# SYN
            st["isn"] = (seq + 1) & 0xFFFFFFFF
            continue
        if payload:
            st["segs"][seq] = payload
    nrec = 0
    nstreams = 0
    for key, st in streams.items():
        if not st["segs"]:
            continue
        if st["isn"] is None:
            print("stream %d->%d: capture misses its SYN" % (key[1], key[3]))
            return 1
        buf = b""
        for seq in sorted(st["segs"], key=lambda s: (s - st["isn"]) & 0xFFFFFFFF):
            rel = (seq - st["isn"]) & 0xFFFFFFFF
            p = st["segs"][seq]
            if rel < len(buf):
                p = p[len(buf) - rel:]	# a retransmission overlaps
            elif rel > len(buf):
                print("stream %d->%d: gap at byte %d" % (key[1], key[3], len(buf)))
                return 1
            buf += p
        nstreams += 1
        recs = []
        i = 0
        while i < len(buf):
            if len(buf) - i < 5:
                print("stream %d->%d: %d stray bytes at its end" % (key[1], key[3], len(buf) - i))
                return 1
            ctype, ver, ln = buf[i], struct.unpack(">H", buf[i + 1:i + 3])[0], \
                struct.unpack(">H", buf[i + 3:i + 5])[0]
            if ctype not in (20, 21, 22, 23) or not 0x0301 <= ver <= 0x0303 or ln > 16384 + 256:
                print("stream %d->%d: byte %d is no TLS record header (%02x %04x %d)" %
                      (key[1], key[3], i, ctype, ver, ln))
                return 1
            i += 5 + ln
            nrec += 1
            recs.append((ctype, ln))
        if listing:
            show(key, recs)
    if not nstreams:
        print("no payload on port %d in the capture" % port)
        return 1
    print("ok %d streams, %d records" % (nstreams, nrec))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
