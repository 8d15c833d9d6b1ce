#!/usr/bin/env python3
"""Checks that an L2 forwarder between two interfaces forwards every frame exactly once,
in order per flow, with its MAC addresses swapped and the rest of the frame intact.

Run it where the two interfaces are (tools/rig/fwd-veth runs it inside the test's own
network namespace, on the far ends of two veth pairs whose near ends sluice-fwd owns):

    fwd_checker.py --a sfa123p --b sfb123p --flows 16 --frames 2000

It sends --frames IPv4/UDP frames in each direction (A->B and B->A), spread round-robin
over --flows flows, from 198.18.0.0/15 addresses, paced in small bursts. Each frame's
payload carries a magic prefix, this run's nonce, the direction, the flow and a sequence
number, then bytes derived from them. It receives on the opposite interface until every
frame has arrived or --timeout passes, ignores frames that are not this run's, and prints
one verdict line:

    fwd-check: 4000 frames, 32 flow-directions, 0 lost, 0 duplicated, 0 out of order

Exit status: 0 only when every frame arrived exactly once, in order, intact; 1 when not;
2 when the forwarder never started forwarding (see --ready-timeout) or on a set-up error.
Standard library only; needs CAP_NET_RAW (root).
"""

import argparse
import hashlib
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
MAGIC = b"SLUICEFWDCHK"
KIND_PROBE = 0
KIND_DATA = 1
# magic, nonce, kind, direction, flow, sequence
HEADER = struct.Struct("!12sIBBHI")
ETH_HEADER = 14
IP_HEADER = 20
UDP_HEADER = 8


def interface_mac(name):
    with open(f"/sys/class/net/{name}/address") as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def ip_checksum(header):
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fill(seed, length):
    """Deterministic payload bytes for one frame, so corruption anywhere is caught."""
    return hashlib.shake_128(seed.to_bytes(8, "big")).digest(length)


class Direction:
    def __init__(self, index, name, tx_sock, rx_sock, src_mac, dst_mac):
        self.index = index
        self.name = name
        self.tx = tx_sock
        self.rx = rx_sock
        self.src_mac = src_mac  # what the frame carries as it leaves the checker
        self.dst_mac = dst_mac


def build_frame(nonce, kind, direction, flow, sequence, flows):
    """One IPv4/UDP frame from 198.18.0.0/15 to 198.18.0.0/15, flow-specific addresses and ports."""
    # Sizes vary with the sequence so short and long frames both go through (60..~700 bytes).
    extra = (sequence * 37 + flow * 11) % 640
    payload = HEADER.pack(MAGIC, nonce, kind, direction.index, flow, sequence)
    payload += fill((nonce << 32) ^ (direction.index << 31) ^ (flow << 20) ^ sequence, extra + 8)
    if direction.index == 0:
        src_ip = bytes([198, 18, 1, flow % 250 + 1])
        dst_ip = bytes([198, 19, 1, flow % 250 + 1])
    else:
        src_ip = bytes([198, 19, 1, flow % 250 + 1])
        dst_ip = bytes([198, 18, 1, flow % 250 + 1])
    src_port = 20000 + flow
    dst_port = 30000 + flow
    udp_length = UDP_HEADER + len(payload)
    udp = struct.pack("!HHHH", src_port, dst_port, udp_length, 0) + payload  # checksum 0: none (IPv4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IP_HEADER + udp_length, (sequence & 0xFFFF), 0x4000, 64, 17, 0,
                     src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    eth = direction.dst_mac + direction.src_mac + struct.pack("!H", ETH_P_IP)
    frame = eth + ip + udp
    if len(frame) < 60:
        frame += bytes(60 - len(frame))
    return frame


def expected_after_forwarding(frame):
    """sluice-fwd swaps destination and source MAC; everything else stays as sent."""
    return frame[6:12] + frame[0:6] + frame[12:]


def parse(frame, nonce):
    """(kind, direction, flow, sequence) for one of this run's frames, else None."""
    offset = ETH_HEADER + IP_HEADER + UDP_HEADER
    if len(frame) < offset + HEADER.size or frame[12:14] != struct.pack("!H", ETH_P_IP):
        return None
    magic, frame_nonce, kind, direction, flow, sequence = HEADER.unpack_from(frame, offset)
    if magic != MAGIC or frame_nonce != nonce:
        return None
    return kind, direction, flow, sequence


def open_socket(interface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    for option in (33, socket.SO_RCVBUF):  # 33: SO_RCVBUFFORCE (root), falls back to the capped one
        try:
            s.setsockopt(socket.SOL_SOCKET, option, 8 << 20)
            break
        except OSError:
            continue
    s.bind((interface, 0))
    s.setblocking(False)
    return s


def drain(sock, on_frame):
    """Reads every frame queued on sock; returns how many were read."""
    count = 0
    while True:
        try:
            frame, address = sock.recvfrom(65536)
        except BlockingIOError:
            return count
        if address[2] == PACKET_OUTGOING:
            continue  # our own transmission seen on the same interface
        count += 1
        on_frame(frame)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="interface A (frames sent here must come out of B)")
    parser.add_argument("--b", required=True, help="interface B (frames sent here must come out of A)")
    parser.add_argument("--flows", type=int, default=16, help="flows per direction (default 16)")
    parser.add_argument("--frames", type=int, default=2000, help="frames per direction (default 2000)")
    parser.add_argument("--burst", type=int, default=16, help="frames sent per direction between pauses (default 16)")
    parser.add_argument("--pause-us", type=int, default=1000, help="pause between bursts in microseconds (default 1000)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for the last frames after sending (default 10)")
    parser.add_argument("--ready-timeout", type=float, default=20.0,
                        help="seconds to wait for the forwarder to pass a probe frame both ways (default 20)")
    args = parser.parse_args()
    if not 1 <= args.flows <= 4096 or args.frames < args.flows or args.frames > 10_000_000:
        print("fwd-check: --flows must be 1..4096 and --frames at least --flows", file=sys.stderr)
        return 2

    nonce = int.from_bytes(os.urandom(4), "big")
    mac_a, mac_b = interface_mac(args.a), interface_mac(args.b)
    sock_a, sock_b = open_socket(args.a), open_socket(args.b)
    # Frames are addressed to a fixed locally administered MAC (the forwarder does not filter);
    # after the swap they come back addressed to the sending interface.
    peer_a = bytes.fromhex("025c1cef0a01")
    peer_b = bytes.fromhex("025c1cef0b01")
    directions = [
        Direction(0, f"{args.a}->{args.b}", sock_a, sock_b, mac_a, peer_a),
        Direction(1, f"{args.b}->{args.a}", sock_b, sock_a, mac_b, peer_b),
    ]
    rx_direction = {id(sock_b): 0, id(sock_a): 1}  # which direction a frame read on a socket belongs to

    # Per flow-direction: the sequence numbers sent, in order, and what came back.
    sent = {}  # (direction, flow) -> {sequence: expected bytes}
    received = {}  # (direction, flow) -> list of sequences in arrival order
    problems = {"corrupt": 0, "wrong_port": 0, "unexpected": 0}
    first_problems = []
    probes_seen = set()

    def note(text):
        if len(first_problems) < 10:
            first_problems.append(text)

    def on_frame_from(sock):
        def handle(frame):
            parsed = parse(frame, nonce)
            if parsed is None:
                return  # not ours (kernel chatter, an earlier run)
            kind, direction, flow, sequence = parsed
            if kind == KIND_PROBE:
                if direction == rx_direction[id(sock)]:
                    probes_seen.add(direction)
                return
            if direction != rx_direction[id(sock)]:
                problems["wrong_port"] += 1
                note(f"frame dir {direction} flow {flow} seq {sequence} came out of the port it was sent to")
                return
            key = (direction, flow)
            expected = sent.get(key, {}).get(sequence)
            if expected is None:
                problems["unexpected"] += 1
                note(f"dir {direction} flow {flow} seq {sequence} arrived but was never sent")
                return
            if frame != expected:
                problems["corrupt"] += 1
                note(f"dir {direction} flow {flow} seq {sequence}: frame differs from what was sent with MACs swapped "
                     f"(got {len(frame)} bytes, want {len(expected)}; dst {frame[0:6].hex()} src {frame[6:12].hex()}, "
                     f"want dst {expected[0:6].hex()} src {expected[6:12].hex()})")
            received.setdefault(key, []).append(sequence)
        return handle

    handlers = {id(sock_a): on_frame_from(sock_a), id(sock_b): on_frame_from(sock_b)}

    def drain_all():
        return drain(sock_a, handlers[id(sock_a)]) + drain(sock_b, handlers[id(sock_b)])

    # 1. Wait until the forwarder forwards: a probe each way until both have come through.
    deadline = time.monotonic() + args.ready_timeout
    probe_sequence = 0
    while len(probes_seen) < 2:
        if time.monotonic() > deadline:
            print(f"fwd-check: the forwarder passed no probe frame within {args.ready_timeout:g} s "
                  f"(seen: {sorted(probes_seen)}); is it running on the peers of {args.a} and {args.b}?")
            return 2
        for d in directions:
            if d.index not in probes_seen:
                d.tx.send(build_frame(nonce, KIND_PROBE, d, 0, probe_sequence, args.flows))
        probe_sequence += 1
        select.select([sock_a, sock_b], [], [], 0.05)
        drain_all()

    # 2. Send both directions interleaved, flows round-robin, in paced bursts; receive as we go.
    total_per_direction = args.frames
    next_index = 0
    started = time.monotonic()
    while next_index < total_per_direction:
        for _ in range(args.burst):
            if next_index >= total_per_direction:
                break
            flow = next_index % args.flows
            sequence = next_index // args.flows
            for d in directions:
                frame = build_frame(nonce, KIND_DATA, d, flow, sequence, args.flows)
                sent.setdefault((d.index, flow), {})[sequence] = expected_after_forwarding(frame)
                while True:
                    try:
                        d.tx.send(frame)
                        break
                    except (BlockingIOError, OSError) as e:
                        if isinstance(e, BlockingIOError) or getattr(e, "errno", 0) == 105:  # ENOBUFS
                            select.select([], [d.tx], [], 0.001)
                            continue
                        raise
            next_index += 1
        drain_all()
        time.sleep(args.pause_us / 1e6)
    send_seconds = time.monotonic() - started

    # 3. Receive the rest, until everything arrived or the timeout passes.
    expected_total = 2 * total_per_direction
    deadline = time.monotonic() + args.timeout
    while sum(len(v) for v in received.values()) < expected_total and time.monotonic() < deadline:
        select.select([sock_a, sock_b], [], [], 0.05)
        drain_all()
    # A short grace period to catch duplicates that trail the last frame.
    grace = time.monotonic() + 0.3
    while time.monotonic() < grace:
        select.select([sock_a, sock_b], [], [], 0.05)
        drain_all()

    # 4. Judge every flow-direction.
    lost = duplicated = out_of_order = 0
    for key, frames in sorted(sent.items()):
        direction, flow = key
        arrivals = received.get(key, [])
        seen = set()
        highest = -1
        for sequence in arrivals:
            if sequence in seen:
                duplicated += 1
                note(f"{directions[direction].name} flow {flow}: seq {sequence} arrived more than once")
                continue
            seen.add(sequence)
            if sequence < highest:
                out_of_order += 1
                note(f"{directions[direction].name} flow {flow}: seq {sequence} arrived after seq {highest}")
            highest = max(highest, sequence)
        missing = [s for s in frames if s not in seen]
        if missing:
            lost += len(missing)
            note(f"{directions[direction].name} flow {flow}: {len(missing)} lost, first seq {missing[0]}")

    for line in first_problems:
        print(f"fwd-check: problem: {line}")
    flow_directions = len(sent)
    arrived = sum(len(v) for v in received.values())
    print(f"fwd-check: sent {expected_total} frames in {send_seconds:.2f} s, {arrived} arrived", file=sys.stderr)
    verdict = (f"fwd-check: {expected_total} frames, {flow_directions} flow-directions, {lost} lost, "
               f"{duplicated} duplicated, {out_of_order} out of order")
    if problems["corrupt"] or problems["wrong_port"] or problems["unexpected"]:
        verdict += (f", {problems['corrupt']} corrupt, {problems['wrong_port']} on the wrong port, "
                    f"{problems['unexpected']} never sent")
    print(verdict)
    perfect = lost == 0 and duplicated == 0 and out_of_order == 0 and not any(problems.values()) \
        and flow_directions == 2 * args.flows
    return 0 if perfect else 1


if __name__ == "__main__":
    sys.exit(main())
