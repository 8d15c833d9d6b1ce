#!/usr/bin/env python3
"""Asks a UDP sockperf server for one pong, the way `sockperf ping-pong` does.

    sockperf_probe.py --address 198.18.0.1 [--port 11111] [--size 64] [--timeout 30]

Sends a sockperf ping (14-byte header: 8-byte sequence number, 2-byte flags "client" and
"pong requested", 4-byte total length; all in network byte order; see
apps/echo/sockperf_message.hh) every 100 ms until an answer with the same sequence
number, the same length and the "client" flag cleared comes back, or until --timeout
seconds have passed. Exit 0 when answered, 1 when not. Standard library only: it runs
inside the rig's client namespace with whatever python3 the machine has.
"""

import argparse
import select
import socket
import struct
import sys
import time

FLAG_CLIENT = 1
FLAG_PONG_REQUEST = 2
HEADER = struct.Struct("!QHI")  # sequence, flags, total length


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=11111)
    parser.add_argument("--size", type=int, default=64, help="message length, header included")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to keep trying")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    if args.size < HEADER.size:
        parser.error(f"--size must be at least {HEADER.size}")

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    deadline = time.monotonic() + args.timeout
    sequence = 0x5C0FFEE000  # far from the sequence numbers sockperf itself uses
    sent = 0
    while time.monotonic() < deadline:
        sequence += 1
        message = HEADER.pack(sequence, FLAG_CLIENT | FLAG_PONG_REQUEST, args.size)
        message += bytes(args.size - HEADER.size)
        try:
            sock.sendto(message, (args.address, args.port))
            sent += 1
        except OSError:  # no neighbour entry yet, or the link is not up: try again
            pass
        round_end = min(deadline, time.monotonic() + 0.1)
        while True:
            left = round_end - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                break
            try:
                reply = sock.recv(65536)
            except OSError:
                continue
            if len(reply) < HEADER.size:
                continue
            seq, flags, length = HEADER.unpack_from(reply)
            if seq == sequence and not flags & FLAG_CLIENT and length == len(reply) == args.size:
                if not args.quiet:
                    print(f"sockperf-probe: {args.address}:{args.port} answered after {sent} ping(s)")
                return 0
    if not args.quiet:
        print(f"sockperf-probe: no answer from {args.address}:{args.port} to {sent} ping(s) "
              f"in {args.timeout:g} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
