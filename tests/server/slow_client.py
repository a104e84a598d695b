#!/usr/bin/env python3
"""slow_client.py PORT headers|body [TOKEN]: sends a request one byte at a
time (every 0.2 s) and prints 'cut after N bytes' if the server closes the
connection before the request is complete, 'complete' otherwise."""
import socket
import sys
import time

port, mode = int(sys.argv[1]), sys.argv[2]
if mode == "headers":
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 400 + b"\r\n\r\n"
    body = b""
else:
    body = b"x" * 400
    head = (b"POST /v1/banks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            sys.argv[3].encode() + b"\r\nContent-Type: application/json\r\n" +
            b"Content-Length: %d\r\n\r\n" % len(body))
s = socket.create_connection(("127.0.0.1", port))
sent = 0
data = head + body if mode == "headers" else body
if mode != "headers":
    s.sendall(head)
try:
    for b in data:
        s.send(bytes([b]))
        sent += 1
        time.sleep(0.2)
        s.setblocking(False)
        try:
            if s.recv(4096) == b"":
                raise ConnectionResetError("closed")
        except BlockingIOError:
            pass
        s.setblocking(True)
    print("complete")
except (BrokenPipeError, ConnectionResetError, OSError):
    print("cut after %d bytes" % sent)
