#!/usr/bin/env python3
"""Kernel TCP clients against an echo server, for tools/rig/tcp-checks.

  tcp_clients.py concurrent ADDRESS PORT   1,000 connections open at once, each sends a
                                           line and reads it back, then all close
  tcp_clients.py reset ADDRESS PORT        one client streams and resets mid-transfer
                                           (SO_LINGER 0), while another streams 16 MiB
                                           through the echo: it must come back intact
  tcp_clients.py serve-echo ADDRESS PORT MIB
                                           a kernel echo server for one connection (Sluice
                                           is the client: sluice-bench-tcp --mode transfer);
                                           what it received must be MIB MiB of that
                                           program's pattern (SHA-256 compared)

Prints one summary line; exits 1 with the reason on failure. Every wait is bounded.
"""
import hashlib
import os
import selectors
import socket
import struct
import sys
import threading
import time

DEADLINE_S = 60


def concurrent(address, port, count=1000):
    selector = selectors.DefaultSelector()
    sockets = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((address, port))
        sockets.append(s)
        selector.register(s, selectors.EVENT_WRITE, {"index": i, "sent": False, "got": b""})
    done = 0
    end = time.monotonic() + DEADLINE_S
    while done < count:
        if time.monotonic() > end:
            return f"only {done} of {count} connections echoed their line within {DEADLINE_S} s"
        for key, events in selector.select(timeout=1):
            s, state = key.fileobj, key.data
            line = f"connection {state['index']}\n".encode()
            if events & selectors.EVENT_WRITE and not state["sent"]:
                error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    return f"connection {state['index']}: {os.strerror(error)}"
                s.send(line)
                state["sent"] = True
                selector.modify(s, selectors.EVENT_READ, state)
            elif events & selectors.EVENT_READ:
                chunk = s.recv(4096)
                if not chunk:
                    return f"connection {state['index']} closed before its echo"
                state["got"] += chunk
                if len(state["got"]) >= len(line):
                    if state["got"] != line:
                        return f"connection {state['index']}: sent {line!r}, got {state['got']!r}"
                    selector.unregister(s)
                    done += 1
    for s in sockets:
        s.close()
    return f"{count} connections opened, echoed and closed"


def stream(address, port, total, result):
    """Sends `total` random bytes and reads the echo back; puts both digests in result."""
    s = socket.create_connection((address, port), timeout=DEADLINE_S)
    sent_hash, got_hash = hashlib.sha256(), hashlib.sha256()
    received = [0]

    def reader():
        while received[0] < total:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got_hash.update(chunk)
            received[0] += len(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    left = total
    while left > 0:
        block = os.urandom(min(left, 1 << 16))
        sent_hash.update(block)
        s.sendall(block)
        left -= len(block)
    thread.join(DEADLINE_S)
    s.close()
    result.update(sent=sent_hash.hexdigest(), got=got_hash.hexdigest(), received=received[0])


def reset(address, port):
    total = 16 << 20
    result = {}
    worker = threading.Thread(target=stream, args=(address, port, total, result))
    worker.start()
    victim = socket.create_connection((address, port), timeout=DEADLINE_S)
    for _ in range(64):
        victim.sendall(os.urandom(1 << 14))
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN (a client that dies).
    victim.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    victim.close()
    worker.join(DEADLINE_S)
    if worker.is_alive():
        return f"the other transfer did not finish within {DEADLINE_S} s"
    if result.get("received") != total or result["sent"] != result["got"]:
        return f"the other transfer got {result.get('received')} of {total} bytes, digests {result.get('sent')} / {result.get('got')}"
    return f"a reset client beside a 16 MiB transfer: the transfer came back whole ({result['got'][:16]}...)"


def pattern_digest(mebibytes):
    """SHA-256 of sluice-bench-tcp's transfer pattern: 64 KiB block k is the base
    (bytes 0, 1, ..., 255, 0, ...) from offset k mod 251."""
    base = bytes(j & 0xFF for j in range((1 << 16) + 251))
    digest = hashlib.sha256()
    for k in range(mebibytes * 16):
        digest.update(base[k % 251:k % 251 + (1 << 16)])
    return digest.hexdigest()


def serve_echo(address, port, mebibytes):
    listener = socket.create_server((address, port))
    listener.settimeout(DEADLINE_S)
    print(f"serve-echo: listening on {address}:{port}", flush=True)
    connection, peer = listener.accept()
    connection.settimeout(DEADLINE_S)
    received, got_hash = 0, hashlib.sha256()
    while True:
        chunk = connection.recv(1 << 16)
        if not chunk:
            break
        got_hash.update(chunk)
        received += len(chunk)
        connection.sendall(chunk)
    connection.shutdown(socket.SHUT_WR)
    connection.close()
    expected = pattern_digest(mebibytes)
    got = got_hash.hexdigest()
    if received == mebibytes << 20 and got == expected:
        return f"received {received} bytes from {peer[0]}:{peer[1]}, SHA-256 {got}: the pattern, echoed back"
    return f"FAILED: received {received} of {mebibytes << 20} bytes, SHA-256 {got}, expected {expected}"


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "serve-echo":
        try:
            outcome = serve_echo(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        except OSError as error:
            outcome = f"FAILED: serve-echo: {error}"
        print(outcome)
        return 1 if outcome.startswith("FAILED") else 0
    if len(sys.argv) != 4 or sys.argv[1] not in ("concurrent", "reset"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    address, port = sys.argv[2], int(sys.argv[3])
    try:
        outcome = (concurrent if sys.argv[1] == "concurrent" else reset)(address, port)
    except OSError as error:
        print(f"{sys.argv[1]}: {error}")
        return 1
    print(outcome)
    ok = outcome.startswith(("1000 connections", "a reset client"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
