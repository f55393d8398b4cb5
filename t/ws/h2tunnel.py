"""A WebSocket over HTTP/2 (RFC 8441, extended CONNECT on h2c) that stays
open, for t/tunnel.t; with Debian's python3-h2.

    h2tunnel.py HOST PORT PATH [answer]

Sends a text frame "hello"; once its echo is back, prints "echoed" and
waits for a line on stdin (the test ends the tunnel meanwhile), then reads
until the stream ends; with "answer", a Close from the server (after the
echo) is answered with a Close of the same code, as a client must. Prints
one JSON line: {"status": <:status>, "data": <hex of every byte the server
sent>, "ended": "stream-ended", "reset N", "goaway N" (the connection went
first), "eof" or null, "close_to_end_ms": from the server's Close to the
stream's end, or null}. Bounded: 15 s after the line.
"""
import json
import socket
import sys
import time

import h2.events
import h2.exceptions

from h2ws import connect, open_websocket


def masked(opcode, payload):
    mask = b"\x01\x02\x03\x04"
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))


def main(host, port, path, answer=None):
    sock, conn = connect(host, port)
    out = {"status": None, "data": "", "ended": None, "close_to_end_ms": None}
    close_at = None
    stream = None
    data = b""
    echoed = False
    deadline = time.time() + 15
    while time.time() < deadline and out["ended"] is None:
        sock.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            out["ended"] = "eof"
            break
        for ev in conn.receive_data(chunk):
            if isinstance(ev, h2.events.RemoteSettingsChanged) \
                    and stream is None:
                stream = open_websocket(conn, host, port, path)
            elif isinstance(ev, h2.events.ResponseReceived):
                out["status"] = int(dict(ev.headers)[b":status"])
                conn.send_data(stream, masked(1, b"hello"))
            elif isinstance(ev, h2.events.DataReceived):
                data += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length,
                                               ev.stream_id)
                if not echoed and len(data) >= 7:
                    echoed = True
                    print("echoed", flush=True)
                    sys.stdin.readline()
                    deadline = time.time() + 15
                rest = data[7:]
                if close_at is None and len(rest) >= 2 and rest[0] == 0x88 \
                        and len(rest) >= 2 + (rest[1] & 0x7F):
                    close_at = time.time()
                    if answer and (rest[1] & 0x7F) >= 2:
                        try:
                            conn.send_data(stream, masked(8, rest[2:4]))
                        except h2.exceptions.StreamClosedError:
                            pass    # the server ended the stream with it
            elif isinstance(ev, h2.events.StreamEnded):
                out["ended"] = "stream-ended"
            elif isinstance(ev, h2.events.StreamReset):
                out["ended"] = "reset %d" % ev.error_code
            if out["ended"] and close_at and out["close_to_end_ms"] is None:
                out["close_to_end_ms"] = int((time.time() - close_at) * 1000)
            elif isinstance(ev, h2.events.ConnectionTerminated) \
                    and out["ended"] is None:
                out["ended"] = "goaway %d" % ev.error_code
        sock.sendall(conn.data_to_send())
    out["data"] = data.hex()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
