"""Long-lived sockets for RetiredSocketTerminatorTest, driven line by line over stdin/stdout.

  socket_peers.py serve NAME         a backend: TCP 8080 greets each connection with NAME and echoes
                                     it; UDP 5353 answers every datagram with NAME
  socket_peers.py client             commands on stdin, one answer line each:
    tcp ID HOST PORT      connect, read the greeting          -> "ok ID NAME"
    udp ID HOST PORT      connect a UDP socket, ask its name  -> "ok ID NAME"
    probe ID              a non-blocking read (a destroyed socket's error), then one round trip
                          -> "error ID ERRNO_NAME" | "alive ID NAME" | "eof ID"
    idle N                N more TCP connections within the namespace (to its own loopback listener)
                          -> "ok idle N"
"""
import errno
import socket
import sys
import threading


def serve(name):
    def tcp_connection(conn):
        with conn:
            conn.sendall((name + "\n").encode())
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall((name + "\n").encode())

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 8080))
    listener.listen(128)

    def tcp():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=tcp_connection, args=(conn,), daemon=True).start()

    threading.Thread(target=tcp, daemon=True).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", 5353))
    print("listening", flush=True)
    while True:
        _, peer = udp.recvfrom(4096)
        udp.sendto((name + "\n").encode(), peer)


def client():
    sockets = {}
    idle = []
    for line in sys.stdin:
        words = line.split()
        try:
            if words[0] in ("tcp", "udp"):
                kind, ident, host, port = words[0], words[1], words[2], int(words[3])
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
                s.settimeout(3)
                s.connect((host, port))
                if kind == "udp":
                    s.send(b"name?\n")
                sockets[ident] = (kind, s)
                print("ok", ident, s.recv(4096).decode().strip(), flush=True)
            elif words[0] == "probe":
                ident = words[1]
                kind, s = sockets[ident]
                try:
                    # A destroyed socket fails the next read with its error (ECONNABORTED); a live one has nothing to read.
                    # (Python waits for data on a socket with a timeout, whatever the flags: make it non-blocking.)
                    s.setblocking(False)
                    try:
                        early = s.recv(4096)
                        if not early:
                            print("eof", ident, flush=True)
                            continue
                    except BlockingIOError:
                        pass
                    finally:
                        s.settimeout(3)
                    s.send(b"ping\n")
                    data = s.recv(4096)
                    print(("alive " + ident + " " + data.decode().strip()) if data else ("eof " + ident), flush=True)
                except OSError as e:
                    print("error", ident, errno.errorcode.get(e.errno, str(e.errno)), flush=True)
            elif words[0] == "idle":
                count = int(words[1])
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.bind(("127.0.0.1", 0))
                listener.listen(count)
                for _ in range(count):
                    c = socket.create_connection(listener.getsockname())
                    idle.append(c)
                    idle.append(listener.accept()[0])
                idle.append(listener)
                print("ok idle", count, flush=True)
            else:
                print("unknown command", line.strip(), flush=True)
        except OSError as e:
            print("failed", line.strip(), errno.errorcode.get(e.errno, str(e)), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        client()
