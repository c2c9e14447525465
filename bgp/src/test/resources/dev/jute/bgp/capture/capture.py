#!/usr/bin/env python3
"""Records the BGP messages a real daemon sends, for the codec round-trip tests.

Run by hand (see README.md); never part of the build. It accepts one connection, answers the
daemon's OPEN with its own OPEN and KEEPALIVEs, records every message for --duration seconds,
then sends a message of unknown type (99) so the daemon answers with a NOTIFICATION, which is
recorded too. Output: one line per message, "<type> <hex>".
"""
import argparse, socket, struct, threading, time

def frame(msg_type, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), msg_type) + body

def our_open(asn, router_id, hold):
    caps = b""
    caps += bytes([1, 4]) + struct.pack("!HBB", 1, 0, 1)          # MP IPv4 unicast
    caps += bytes([1, 4]) + struct.pack("!HBB", 2, 0, 1)          # MP IPv6 unicast
    caps += bytes([2, 0])                                         # route refresh
    caps += bytes([65, 4]) + struct.pack("!I", asn)               # 4-octet AS
    caps += bytes([64, 2]) + struct.pack("!H", 120)               # graceful restart, no families
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn < 65536 else 23456
    body = struct.pack("!BHH4sB", 4, my_as, hold, socket.inet_aton(router_id), len(params)) + params
    return frame(1, body)

def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--asn", type=int, default=65001)
    ap.add_argument("--router-id", default="1.1.1.1")
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.listen, args.port))
    srv.listen(1)
    srv.settimeout(60)
    conn, peer = srv.accept()
    conn.settimeout(args.duration + 5)
    recorded = []
    deadline = None
    try:
        while True:
            header = read_exact(conn, 19)
            length, msg_type = struct.unpack("!HB", header[16:19])
            msg = header + read_exact(conn, length - 19)
            recorded.append((msg_type, msg.hex()))
            if msg_type == 1:
                conn.sendall(our_open(args.asn, args.router_id, 90) + frame(4, b""))
                deadline = time.time() + args.duration
                def provoke():
                    time.sleep(args.duration)
                    conn.sendall(frame(4, b"") + frame(99, b""))
                threading.Thread(target=provoke, daemon=True).start()
            elif msg_type == 4:
                conn.sendall(frame(4, b""))
            elif msg_type == 3:
                break
    except (EOFError, socket.timeout, ConnectionResetError):
        pass
    with open(args.out, "w") as f:
        for msg_type, h in recorded:
            f.write(f"{msg_type} {h}\n")
    print(f"recorded {len(recorded)} messages from {peer}")

if __name__ == "__main__":
    main()
