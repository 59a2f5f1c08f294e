# SPDX-License-Identifier: GPL-2.0
"""Line reading shared by the policy suite's Python clients."""


def readline(s):
    """The next line from socket @s without its newline ("" at once on EOF)."""
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace").rstrip("\n")
