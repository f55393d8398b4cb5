"""h2tunnel.py - long-lived WebSockets over HTTP/2 (RFC 8441: extended
CONNECT on h2c) for `make soak`, with Debian's python3-h2: the HTTP/2
counterpart of bench/wstunnel.c, with the same checks and figures.

    h2tunnel.py HOST PORT PATH SECONDS TUNNELS INTERVAL_MS

TUNNELS streams of one connection, each a WebSocket on PATH that every
INTERVAL_MS sends a masked text frame with its own sequence number and
reads frames until its echo, for SECONDS; then it closes with 1000 and
expects the Close echoed, then the stream's end. Every byte of a stream is
read as WebSocket frames.

python3-h2 takes a GOAWAY for the end of the connection and refuses the
frames that RFC 9113 6.8 says still come on the streams at or below its
last-stream-id: GOAWAY frames are taken out of the bytes before h2 sees
them, and read here.

Across a graceful restart the server sends GOAWAY; a tunnel then either
goes on echoing, or receives exactly Close 1012 "Service restart" as a
whole frame, answers it, and its stream ends with nothing after the Close.
A connection that got GOAWAY opens no stream: once its tunnels are gone a
new connection carries new ones; a CONNECT above the GOAWAY's
last-stream-id was not processed (RFC 9113 6.8) and is sent again there.
Failures: a stream or connection that ends without a Close (bare_closes),
in the middle of a frame (truncated), any other frame or Close, bytes after
the Close (unexpected), no echo within 10 s (stalls), a CONNECT answered
with anything but 200 (handshakes). Prints "wstunnel tunnels=N opened=N
echoed=N restart_closes=N waiting_at_close=N normal_ends=N bare_closes=N
truncated=N unexpected=N stalls=N handshakes=N left_open=N", the first
few failures on stderr; exits 0 if there was none. left_open: streams the
server had not ended 1 s after the closing handshake, which the client then
ended itself (httpd does not end a proxied tunnel's HTTP/2 stream when the
backend side ends, module or not, until the client ends its side or
Timeout): a figure, not a failure.
"""
import os
import select
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

WAIT = 10.0
counts = dict.fromkeys(
    "opened echoed restart_closes waiting_at_close normal_ends bare_closes "
    "truncated unexpected stalls handshakes left_open".split(), 0)
reports = []


def count(what, msg=None):
    counts[what] += 1
    if msg and len(reports) < 10:
        reports.append(msg)
        print("h2tunnel: " + msg, file=sys.stderr, flush=True)


def frame(opcode, payload):
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))


class Tunnel:
    def __init__(self, n):
        self.n = n
        self.seq = 0
        self.reset()

    def reset(self):
        self.stream = None
        self.state = "idle"     # idle, opening, open, closing, done
        self.buf = b""
        self.waiting = None     # the message whose echo is due
        self.ended_ours = False
        self.since = 0.0
        self.next = 0.0

    def frames(self):
        """Whole frames in buf: (opcode, payload); None if no server may
        send what is there."""
        out = []
        while len(self.buf) >= 2:
            b0, b1 = self.buf[0], self.buf[1]
            if b1 & 0x80 or b0 & 0x70 or not b0 & 0x80:
                return None
            n, hl = b1 & 0x7f, 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, hl = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                return None
            if len(self.buf) < hl + n:
                break
            out.append((b0 & 0x0f, self.buf[hl:hl + n]))
            self.buf = self.buf[hl + n:]
        return out


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=WAIT)
        self.sock.setblocking(False)
        self.h2 = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True))
        self.h2.initiate_connection()
        self.goaway = None      # the last-stream-id, once GOAWAY came
        self.settings = False   # the server's SETTINGS (extended CONNECT)
        self.out = b""
        self.inbuf = b""
        self.flush()

    def split(self, chunk):
        """chunk's bytes for h2, without the GOAWAY frames; reads those."""
        self.inbuf += chunk
        keep = b""
        while len(self.inbuf) >= 9:
            length = int.from_bytes(self.inbuf[:3], "big")
            if len(self.inbuf) < 9 + length:
                break
            f, self.inbuf = self.inbuf[:9 + length], self.inbuf[9 + length:]
            if f[3] == 7 and length >= 8:
                last = int.from_bytes(f[9:13], "big") & 0x7fffffff
                self.goaway = last if self.goaway is None else min(
                    self.goaway, last)
            else:
                keep += f
        return keep

    def flush(self):
        self.out += self.h2.data_to_send()
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return
            self.out = self.out[n:]


def main(host, port, path, seconds, ntun, interval):
    port, seconds, ntun = int(port), float(seconds), int(ntun)
    interval = int(interval) / 1000.0
    deadline = time.time() + seconds
    tunnels = [Tunnel(i + 1) for i in range(ntun)]
    conn = None
    by_stream = {}
    failed_at = 0.0

    def ended(t, how):
        """The stream or connection of t ended without our Close seen."""
        if t.state in ("open", "closing") and how:
            if t.buf:
                count("truncated", "tunnel %d: ended (%s) in a frame (%d "
                      "bytes of it)" % (t.n, how, len(t.buf)))
            else:
                count("bare_closes", "tunnel %d: ended (%s) without a Close"
                      % (t.n, how))
        elif t.state == "opening" and how:
            count("handshakes", "tunnel %d: ended (%s) before its answer"
                  % (t.n, how))
        by_stream.pop(t.stream, None)
        t.reset()

    def send(t, opcode, payload):
        try:
            conn.h2.send_data(t.stream, frame(opcode, payload))
        except (h2.exceptions.StreamClosedError,
                h2.exceptions.ProtocolError):
            pass    # what the server sent says why

    def on_frames(t):
        fs = t.frames()
        if fs is None:
            count("unexpected", "tunnel %d: a frame no server sends (%s)"
                  % (t.n, t.buf[:2].hex()))
            t.state = "failed"
            return
        for op, payload in fs:
            if t.state == "done":
                count("unexpected", "tunnel %d: a frame after the Close"
                      % t.n)
                t.state = "failed"
                return
            if op == 8:
                code = struct.unpack(">H", payload[:2])[0] if len(
                    payload) >= 2 else 0
                if t.state == "closing" and code == 1000:
                    count("normal_ends")
                    t.state, t.since = "done", time.time()
                elif code == 1012 and payload[2:] == b"Service restart":
                    count("restart_closes")
                    if t.waiting:
                        count("waiting_at_close")
                    if t.state != "closing":
                        send(t, 8, payload[:2])
                    t.state, t.since = "done", time.time()
                else:
                    count("unexpected", "tunnel %d: Close %d %r"
                          % (t.n, code, payload[2:]))
                    t.state = "failed"
                    return
            elif op == 1 and t.waiting and payload == t.waiting:
                count("echoed")
                t.waiting = None
            else:
                count("unexpected", "tunnel %d: opcode %d %r while waiting "
                      "for %r" % (t.n, op, payload, t.waiting))
                t.state = "failed"
                return

    while True:
        now = time.time()
        stopping = now >= deadline
        if stopping and all(t.state in ("idle", "done", "failed")
                            for t in tunnels):
            break
        if now > deadline + 2 * WAIT:
            for t in tunnels:
                if t.state not in ("idle", "done", "failed"):
                    count("stalls", "tunnel %d: not ended at the end" % t.n)
            break
        # a connection: a new one once the old one said GOAWAY and carries
        # nothing more
        if conn and conn.goaway is not None and not by_stream:
            conn.sock.close()
            conn = None
        if conn is None and not stopping and now >= failed_at:
            try:
                conn = Conn(host, port)
            except OSError as e:
                count("handshakes", "connect: %s" % e)
                failed_at = now + 0.1
        if conn:
            for t in tunnels:
                if t.state == "failed" and t.stream in by_stream:
                    try:
                        conn.h2.reset_stream(t.stream)
                    except h2.exceptions.StreamClosedError:
                        pass
                    ended(t, None)
                    continue
                if (t.state == "idle" and not stopping and conn.settings
                        and conn.goaway is None):
                    t.stream = conn.h2.get_next_available_stream_id()
                    conn.h2.send_headers(t.stream, [
                        (":method", "CONNECT"), (":protocol", "websocket"),
                        (":scheme", "http"), (":path", path),
                        (":authority", "%s:%d" % (host, port)),
                        ("sec-websocket-version", "13")])
                    by_stream[t.stream] = t
                    t.state, t.since = "opening", now
                elif t.state == "open":
                    if stopping and not t.waiting:
                        send(t, 8, b"\x03\xe8bye")
                        t.state, t.since = "closing", now
                    elif not t.waiting and now >= t.next:
                        t.seq += 1
                        t.waiting = b"tunnel %d message %d" % (t.n, t.seq)
                        send(t, 1, t.waiting)
                        t.since = now
                        t.next = max(t.next + interval, now)
                # httpd (mod_proxy over mod_http2) does not end a tunnel's
                # stream when the backend side ends, with or without the
                # module: the stream stays until the client ends its side,
                # or Timeout. After the closing handshake, end ours.
                if (t.state == "done" and t.stream in by_stream
                        and not t.ended_ours and now - t.since > 1.0):
                    try:
                        conn.h2.end_stream(t.stream)
                    except (h2.exceptions.StreamClosedError,
                            h2.exceptions.ProtocolError):
                        pass
                    count("left_open")
                    t.ended_ours, t.since = True, now
                if t.state != "failed" and now - t.since > WAIT and (
                        t.state in ("opening", "closing") or t.waiting
                        or (t.state == "done" and t.stream in by_stream)):
                    count("stalls", "tunnel %d: nothing for %.0f s (%s)"
                          % (t.n, WAIT, t.state))
                    t.state = "failed"
            conn.flush()
        # tunnels that ended (a 1012) or failed start again
        for t in tunnels:
            if t.state in ("done", "failed") and t.stream not in by_stream \
                    and not stopping:
                t.reset()
        if conn is None:
            time.sleep(0.05)
            continue
        r, w, _ = select.select([conn.sock], [conn.sock] if conn.out else [],
                                [], 0.02)
        if not r:
            continue
        try:
            chunk = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError as e:
            chunk, err = b"", str(e)
        else:
            err = "end of file"
        if not chunk:
            for t in list(by_stream.values()):
                if conn.goaway is not None and t.stream > conn.goaway \
                        and t.state == "opening":
                    ended(t, None)      # not processed: sent again
                else:
                    ended(t, "connection " + err)
            conn.sock.close()
            conn = None
            continue
        try:
            events = conn.h2.receive_data(conn.split(chunk))
        except h2.exceptions.ProtocolError as e:
            count("unexpected", "HTTP/2 protocol error: %s" % e)
            events = []
        if conn.goaway is not None:
            for s, u in list(by_stream.items()):
                if s > conn.goaway and u.state == "opening":
                    ended(u, None)      # not processed: sent again
        for ev in events:
            t = by_stream.get(getattr(ev, "stream_id", None))
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                conn.settings = True
            elif t is None:
                continue
            elif isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers).get(b":status")
                if status == b"200":
                    count("opened")
                    t.state, t.next = "open", time.time()
                else:
                    count("handshakes", "tunnel %d: CONNECT got %r"
                          % (t.n, status))
                    t.state = "failed"
            elif isinstance(ev, h2.events.DataReceived):
                conn.h2.acknowledge_received_data(ev.flow_controlled_length,
                                                  ev.stream_id)
                if t.state in ("failed",):
                    continue
                t.buf += ev.data
                on_frames(t)
            elif isinstance(ev, h2.events.StreamEnded):
                if t.state == "done":
                    if t.buf:
                        count("unexpected", "tunnel %d: bytes after the "
                              "Close" % t.n)
                    by_stream.pop(t.stream, None)
                    t.stream = None
                else:
                    ended(t, "stream ended")
            elif isinstance(ev, h2.events.StreamReset):
                if t.state == "done":
                    by_stream.pop(t.stream, None)
                    t.stream = None
                else:
                    ended(t, "stream reset %d" % ev.error_code)
        if conn:
            conn.flush()
    print("wstunnel tunnels=%d " % ntun
          + " ".join("%s=%d" % (k, v) for k, v in counts.items()),
          flush=True)
    bad = ("bare_closes", "truncated", "unexpected", "stalls", "handshakes")
    return 1 if any(counts[k] for k in bad) or not counts["echoed"] else 0


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit("usage: h2tunnel.py HOST PORT PATH SECONDS TUNNELS "
                 "INTERVAL_MS")
    sys.exit(main(*sys.argv[1:7]))
