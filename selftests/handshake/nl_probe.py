#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Speak the "tlsock" generic netlink family directly (raw sockets, no libnl),
to check the rules the kernel enforces on daemons.

  nl_probe.py accept      ACCEPT once; print "accept: <errno name or req id>"
  nl_probe.py steal       claim a pending request on socket A, send DONE for it
                          from socket B (must be EPERM), then DONE with status
                          EPROTO from A (must be accepted); exit 0 if so
  nl_probe.py unknown     DONE for a request id that does not exist: ENOENT
  nl_probe.py roles       the role filter of ACCEPT: a socket parked for clients only
                          is not told of a server's request but is of a client's,
                          claims the client's although the server's is older, and
                          claims the server's only when it asks for servers; exit 0
                          if so (tlsockd must be stopped meanwhile)
"""
import errno
import os
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
NLM_F_ACK = 4
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

# uapi/linux/tlsock.h
TLSOCK_CMD_READY = 1
TLSOCK_CMD_ACCEPT = 2
TLSOCK_CMD_DONE = 3
TLSOCK_A_ACCEPT_REQ_ID = 1
TLSOCK_A_ACCEPT_SOCKFD = 2
TLSOCK_A_ACCEPT_ROLE = 3
TLSOCK_A_ACCEPT_PARK = 10
TLSOCK_A_ACCEPT_ROLE_FILTER = 12
TLSOCK_ROLE_CLIENT = 1
TLSOCK_ROLE_SERVER = 2
SOL_TLSOCK = 0x746c73
TLSOCK_HANDSHAKE = 1
TCP_ULP = 31
TLSOCK_A_DONE_REQ_ID = 1
TLSOCK_A_DONE_STATUS = 2


def attr(atype, data):
    hdr = struct.pack("=HH", 4 + len(data), atype)
    pad = b"\0" * ((4 - len(data) % 4) % 4)
    return hdr + data + pad


def parse_attrs(buf):
    out = {}
    while len(buf) >= 4:
        alen, atype = struct.unpack_from("=HH", buf)
        if alen < 4:
            break
        out[atype & 0x3fff] = buf[4:alen]
        buf = buf[(alen + 3) & ~3:]
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.seq = 1

    def request(self, family, cmd, attrs=b"", version=1):
        """Send one request; return (errno or 0, attributes of the reply)."""
        payload = struct.pack("=BBH", cmd, version, 0) + attrs
        self.seq += 1
        msg = struct.pack("=IHHII", 16 + len(payload), family, NLM_F_REQUEST | NLM_F_ACK,
                          self.seq, 0) + payload
        self.sock.send(msg)
        reply = {}
        while True:
            data = self.sock.recv(65536)
            while len(data) >= 16:
                mlen, mtype, _, seq, _ = struct.unpack_from("=IHHII", data)
                body = data[16:mlen]
                data = data[(mlen + 3) & ~3:]
                if seq != self.seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = struct.unpack_from("=i", body)[0]
                    return -err, reply
                reply = parse_attrs(body[4:])

    def family(self, name):
        err, reply = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                  attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err:
            sys.exit("family %s: %s" % (name, errno.errorcode.get(err, err)))
        return struct.unpack("=H", reply[CTRL_ATTR_FAMILY_ID])[0]


def done(nl, fam, req_id, status):
    return nl.request(fam, TLSOCK_CMD_DONE,
                      attr(TLSOCK_A_DONE_REQ_ID, struct.pack("=I", req_id)) +
                      attr(TLSOCK_A_DONE_STATUS, struct.pack("=I", status)))[0]


def ready_ids(nl, wait):
    """The request ids of the READY messages that reach @nl within @wait seconds."""
    ids = []
    nl.sock.settimeout(wait)
    try:
        while True:
            data = nl.sock.recv(65536)
            while len(data) >= 20:
                mlen, _, _, _, _ = struct.unpack_from("=IHHII", data)
                if data[16] == TLSOCK_CMD_READY:
                    a = parse_attrs(data[20:mlen])
                    ids.append(struct.unpack("=I", a[TLSOCK_A_ACCEPT_REQ_ID])[0])
                data = data[(mlen + 3) & ~3:]
    except socket.timeout:
        pass
    nl.sock.settimeout(None)
    return ids


def managed(role):
    """A loopback connection whose end @role asks for a handshake: (app, peer)."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    cli = socket.create_connection(lst.getsockname())
    srv, _ = lst.accept()
    lst.close()
    app, peer = (cli, srv) if role == TLSOCK_ROLE_CLIENT else (srv, cli)
    if role == TLSOCK_ROLE_SERVER:
        peer.send(b"\x16")  # a server's request waits for its peer's first byte
        time.sleep(0.1)
    app.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tlsock")
    app.setblocking(False)
    try:
        app.setsockopt(SOL_TLSOCK, TLSOCK_HANDSHAKE, struct.pack("=IIII", role, 0, 20000, 0))
    except BlockingIOError:
        pass
    return app, peer


def claim(nl, fam, role_filter, park=False):
    """ACCEPT with a role filter: (errno or 0, req id, role, fd)."""
    attrs = attr(TLSOCK_A_ACCEPT_ROLE_FILTER, struct.pack("=I", role_filter))
    if park:
        attrs += attr(TLSOCK_A_ACCEPT_PARK, b"")
    err, reply = nl.request(fam, TLSOCK_CMD_ACCEPT, attrs)
    if err:
        return err, None, None, None
    return (0, struct.unpack("=I", reply[TLSOCK_A_ACCEPT_REQ_ID])[0],
            struct.unpack("=I", reply[TLSOCK_A_ACCEPT_ROLE])[0],
            struct.unpack("=i", reply[TLSOCK_A_ACCEPT_SOCKFD])[0])


def roles(fam):
    ok = True

    def expect(what, good, got):
        nonlocal ok
        print("%s: %s" % (what, got) if good else "%s: %s (wrong)" % (what, got))
        ok = ok and good

    a = Genl()
    err = claim(a, fam, TLSOCK_ROLE_CLIENT, park=True)[0]
    expect("ACCEPT of clients only, parked, nothing pending", err == errno.EAGAIN, name(err))
    server = managed(TLSOCK_ROLE_SERVER)
    got = ready_ids(a, 0.5)
    expect("READYs to the client-only socket for a server's request", got == [], got)
    client = managed(TLSOCK_ROLE_CLIENT)
    got = ready_ids(a, 2)
    expect("READYs to the client-only socket for a client's request", len(got) == 1, got)
    err, cid, role, cfd = claim(a, fam, TLSOCK_ROLE_CLIENT)
    expect("ACCEPT of clients only claims the client's (the server's is older)",
           not err and role == TLSOCK_ROLE_CLIENT and cid in got, (name(err), cid, role))
    err = claim(a, fam, TLSOCK_ROLE_CLIENT)[0]
    expect("ACCEPT of clients only again", err == errno.EAGAIN, name(err))
    err, sid, role, sfd = claim(a, fam, TLSOCK_ROLE_SERVER)
    expect("ACCEPT of servers only claims the server's", not err and role == TLSOCK_ROLE_SERVER,
           (name(err), sid, role))
    for req_id, fd in ((cid, cfd), (sid, sfd)):
        if req_id is not None:
            expect("DONE EPROTO for request %d" % req_id,
                   done(a, fam, req_id, errno.EPROTO) == 0, "sent")
            os.close(fd)
    for app, _ in (server, client):
        e = app.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        expect("the application's error", e == errno.EPROTO, name(e))
    for app, peer in (server, client):
        app.close()
        peer.close()
    return 0 if ok else 1


def name(err):
    return errno.errorcode.get(err, str(err)) if err else "0"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    a = Genl()
    fam = a.family("tlsock")
    what = sys.argv[1]
    if what == "accept":
        err, reply = a.request(fam, TLSOCK_CMD_ACCEPT)
        if err:
            print("accept:", name(err))
        else:
            print("accept:", struct.unpack("=I", reply[TLSOCK_A_ACCEPT_REQ_ID])[0])
        return 0
    if what == "roles":
        return roles(fam)
    if what == "unknown":
        err = done(a, fam, 0x7fffffff, 0)
        print("done unknown id:", name(err))
        return 0 if err == errno.ENOENT else 1
    if what == "steal":
        err, reply = a.request(fam, TLSOCK_CMD_ACCEPT)
        if err:
            print("accept:", name(err))
            return 1
        req_id = struct.unpack("=I", reply[TLSOCK_A_ACCEPT_REQ_ID])[0]
        fd = struct.unpack("=i", reply[TLSOCK_A_ACCEPT_SOCKFD])[0]
        print("accept: req", req_id, "fd", fd)
        b = Genl()
        err_b = done(b, fam, req_id, 0)
        print("done from another socket:", name(err_b))
        err_a = done(a, fam, req_id, errno.EPROTO)
        print("done from the claimer:", name(err_a))
        os.close(fd)
        return 0 if err_b == errno.EPERM and err_a == 0 else 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
