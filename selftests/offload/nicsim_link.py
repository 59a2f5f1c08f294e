#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Make a nicsim pair with a named peer, over rtnetlink (stock ip cannot pass the peer).

  nicsim_link.py NAME PEER [NETNS]

NETNS names a namespace under /run/netns for the peer. The request carries IFLA_INFO_DATA /
NICSIM_INFO_PEER (1): a struct ifinfomsg and the peer's IFLA_* attributes, veth's layout.
Exit status 0 when the kernel acknowledges, else the errno it returned.
"""
import os
import socket
import struct
import sys

RTM_NEWLINK = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLMSG_ERROR = 2
IFLA_IFNAME, IFLA_LINKINFO, IFLA_NET_NS_FD = 3, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
NLA_F_NESTED = 0x8000
NICSIM_INFO_PEER = 1


def attr(kind, payload):
    head = struct.pack("=HH", 4 + len(payload), kind)
    return head + payload + b"\0" * (-len(payload) % 4)


def ifinfomsg():
    return struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    name, peer = sys.argv[1].encode(), sys.argv[2].encode()
    peer_attrs = attr(IFLA_IFNAME, peer + b"\0")
    if len(sys.argv) == 4:
        fd = os.open("/run/netns/" + sys.argv[3], os.O_RDONLY)
        peer_attrs += attr(IFLA_NET_NS_FD, struct.pack("=I", fd))
    data = attr(NICSIM_INFO_PEER, ifinfomsg() + peer_attrs)
    linkinfo = attr(IFLA_INFO_KIND, b"nicsim\0") + attr(IFLA_INFO_DATA | NLA_F_NESTED, data)
    body = ifinfomsg() + attr(IFLA_IFNAME, name + b"\0") + \
        attr(IFLA_LINKINFO | NLA_F_NESTED, linkinfo)
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    msg = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, flags, 1, 0) + body

    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, 0))
    s.send(msg)
    reply = s.recv(65536)
    _, kind, _, _, _ = struct.unpack_from("=IHHII", reply)
    if kind != NLMSG_ERROR:
        print(f"nicsim_link: unexpected reply type {kind}", file=sys.stderr)
        return 1
    err = -struct.unpack_from("=i", reply, 16)[0]
    if err:
        print(f"nicsim_link: RTM_NEWLINK: {os.strerror(err)}", file=sys.stderr)
    return err


if __name__ == "__main__":
    sys.exit(main())
