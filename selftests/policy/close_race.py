#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Adopted listeners closed by their application while their server rule is
deleted: tlsock gives each listener back to TCP (policy-del) while close()
tears it down, both at once.

  close_race.py --port P --rounds N --tlsockctl PATH

Each round adds a server rule for P, opens an SO_REUSEPORT group of 16
listeners (adopted as they bind), queues a few connections on them, then
deletes the rule while closing the listeners one by one at small random
intervals.  Prints "rounds N" once every round finished; a kernel that
trips over the race warns (the test VM panics on it) or leaks.
"""
import argparse
import random
import socket
import subprocess
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--tlsockctl", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.port)
    done = 0
    for _ in range(a.rounds):
        rid = subprocess.run([a.tlsockctl, "policy", "add", "server", "127.0.0.1:%d" % a.port,
                              "profile", "server"], capture_output=True, text=True).stdout.strip()
        group = []
        for _ in range(16):
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            ls.bind(("127.0.0.1", a.port))
            ls.listen(16)
            group.append(ls)
        clients = [socket.create_connection(("127.0.0.1", a.port)) for _ in range(8)]
        deleter = subprocess.Popen([a.tlsockctl, "policy", "del", rid])
        rnd.shuffle(group)
        for ls in group:
            ls.close()
            time.sleep(rnd.random() * 0.012)
        deleter.wait()
        for c in clients:
            c.close()
        done += 1
    print("rounds %d" % done)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
