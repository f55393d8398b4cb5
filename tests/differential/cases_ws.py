"""WebSocket pieces against the reference library, python3-websockets
(what uvicorn speaks, and the client of t/websocket.t):

- Close frames: fastexc_ws_close_frame() gives the bytes websockets
  serializes for Close(code, reason), and websockets parses the module's
  frame back to the same code and reason; fastexc_ws_code_check() accepts
  exactly the codes websockets' Close.check() accepts.
- Opening handshake: fastexc_ws_key_check() against websockets' own check
  (legacy.handshake.check_request), fastexc_ws_accept() against
  utils.accept_key().
- The reader of the client's frames after our Close: random client frame
  streams fed in random chunks; it must stop at the first Close websockets
  parses, with its code, and call the stream invalid where websockets
  raises a protocol error.

Differences, each checked where it shows:
- key: a key whose last character has non-zero padding bits (22nd character
  not one of A, Q, g, w) decodes to 16 bytes, which websockets accepts; the
  module refuses it: it is not the base64 of 16 bytes (RFC 4648 3.5 lets a
  decoder refuse it; clients encode 16 random bytes and never send one).
- reader: a client's Close with a code that may not be sent, or a reason
  that is not UTF-8, is a protocol error for websockets; the module reads
  it as the client's Close (with that code): it only waits for the client
  to close and then closes the connection either way."""
import base64
import collections
import struct

from websockets.datastructures import Headers
from websockets.exceptions import InvalidHandshake, ProtocolError
from websockets.frames import Close, Frame, Opcode
from websockets.legacy.handshake import check_request
from websockets.streams import StreamReader
from websockets.utils import accept_key

from common import Case, differs

NAME = "websocket"
NOTES = collections.Counter()
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def code_ok(code):
    try:
        Close(code, "").check()
        return True
    except ProtocolError:
        return False


def rand_reason(rng):
    """Valid UTF-8 text, its length biased to the 123-byte limit."""
    most = rng.choice([0, 1, 2, 10, 60, 120, 121, 122, 123, 123, 123])
    out = ""
    while True:
        c = chr(rng.choice([rng.randint(0x20, 0x7e), rng.randint(0x80, 0x7ff),
                            rng.randint(0xe000, 0xffff),
                            rng.randint(0x10000, 0x10ffff)]))
        if len((out + c).encode("utf-8")) > most:
            return out
        out += c


def close_case(code, reason):
    payload = reason[:123]
    expected = Frame(Opcode.CLOSE, struct.pack(">H", code) + payload) \
        .serialize(mask=False)
    sendable = b"1" if code_ok(code) else b"0"

    def check(result):
        bad = differs(f"code {code} sendable, frame", sendable + expected,
                      result)
        if bad or sendable == b"0" or len(reason) > 123:
            return bad
        reader = StreamReader()
        reader.feed_data(result[1:])
        reader.feed_eof()
        frame = drive(Frame.parse(reader.read_exact, mask=False))
        got = Close.parse(frame.data)
        return differs("parsed back", (code, reason.decode("utf-8")),
                       (got.code, got.reason))
    return Case(f"close {code} {reason!r}", "C",
                struct.pack(">H", code) + reason, check)


def drive(gen):
    """Run a websockets generator-based parser over data already fed."""
    try:
        next(gen)
    except StopIteration as done:
        return done.value
    raise EOFError("the parser wants more data")


def rand_key(rng):
    key = base64.b64encode(rng.randbytes(16)).decode()
    kind = rng.randrange(7)
    if kind == 1:       # other padding bits in the last character
        key = key[:21] + rng.choice(B64) + "=="
    elif kind == 2:     # not 16 bytes
        key = base64.b64encode(rng.randbytes(rng.choice([0, 1, 15, 17, 18, 32]))).decode()
    elif kind == 3:     # a character outside base64
        i = rng.randrange(24)
        key = key[:i] + rng.choice("-_ !.=\t~") + key[i + 1:]
    elif kind == 4:     # padding missing or misplaced
        key = rng.choice([key[:22], key[:23], key[:22] + "=A=", "=" + key[:23]])
    elif kind == 5:     # any printable text
        key = "".join(chr(rng.randint(0x21, 0x7e)) for _ in range(rng.randint(0, 30)))
    return key


def key_case(key):
    headers = Headers({"Connection": "Upgrade", "Upgrade": "websocket",
                       "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"})
    try:
        check_request(headers)
        python_ok = True
    except InvalidHandshake:
        python_ok = False
    canonical = python_ok and \
        base64.b64encode(base64.b64decode(key)).decode() == key
    expected = (b"1" if canonical else b"0") + accept_key(key).encode()

    def check(result):
        if python_ok and not canonical and result[:1] == b"0":
            NOTES["keys websockets accepts and the module refuses: "
                  "non-zero padding bits"] += 1
        return differs(f"key {key!r} valid (websockets: {python_ok}), accept",
                       expected, result)
    return Case(f"key {key!r}", "K", key.encode(), check)


def raw_frame(rng, b0, payload, masked=True, len_form=None):
    n = len(payload)
    form = len_form or (0 if n < 126 else 1 if n < 65536 else 2)
    head = bytes([b0])
    m = 0x80 if masked else 0
    head += [lambda: bytes([m | n]), lambda: bytes([m | 126]) + struct.pack(">H", n),
             lambda: bytes([m | 127]) + struct.pack(">Q", n)][form]()
    if not masked:
        return head + payload
    mask = rng.randbytes(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def data_frame(rng):
    op = rng.choice([0, 1, 2, 9, 10])
    size = rng.choice([rng.randint(0, 130), rng.randint(126, 400),
                       rng.randint(65536, 70000)] if op < 8 else [rng.randint(0, 125)])
    fin = 0x80 if op >= 8 or rng.random() < 0.7 else 0
    return raw_frame(rng, fin | op, rng.randbytes(size))


def invalid_frame(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return raw_frame(rng, 0x81, b"unmasked", masked=False)
    if kind == 1:
        return raw_frame(rng, 0x81 | rng.choice([0x40, 0x20, 0x10]), b"rsv")
    if kind == 2:
        return raw_frame(rng, 0x80 | rng.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), b"op")
    if kind == 3:
        return raw_frame(rng, rng.choice([0x88, 0x89, 0x8a]), rng.randbytes(126))
    return raw_frame(rng, rng.choice([0x08, 0x09, 0x0a]), b"\x03\xe8")


def close_frame(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return raw_frame(rng, 0x88, b"")
    if kind == 1:
        return raw_frame(rng, 0x88, b"\x03")
    code = rng.choice([1000, 1001, 1008, 1011, 3000, 4999])
    if kind == 2:   # a code that may not be sent
        code = rng.choice([0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 65535])
    reason = rand_reason(rng).encode("utf-8")
    if kind == 3:   # a reason that is not UTF-8
        reason = reason[:60] + b"\xff"
    return raw_frame(rng, 0x88, struct.pack(">H", code) + reason)


def rand_stream(rng):
    frames = [data_frame(rng) for _ in range(rng.randint(0, 4))]
    end = rng.random()
    if end < 0.55:
        frames.append(close_frame(rng))
        if rng.random() < 0.3:
            frames.append(data_frame(rng))
    elif end < 0.7:
        frames.append(invalid_frame(rng))
    elif end < 0.85:
        cut = data_frame(rng)
        frames.append(cut[:rng.randrange(1, len(cut))])
    return b"".join(frames)


def reader_expected(stream):
    """(state, close code) as websockets reads the stream: 0 more,
    1 closed, 2 invalid (see driver.c)."""
    reader = StreamReader()
    reader.feed_data(stream)
    reader.feed_eof()
    while True:
        try:
            frame = drive(Frame.parse(reader.read_exact, mask=True))
        except EOFError:
            return 0, 1005
        except ProtocolError:
            return 2, 1005
        if frame.opcode != Opcode.CLOSE:
            continue
        if len(frame.data) == 1:
            return 2, 1005
        if not frame.data:
            return 1, 1005
        try:
            Close.parse(frame.data)
        except (ProtocolError, UnicodeDecodeError):
            NOTES["client Closes websockets refuses (code, UTF-8) read as "
                  "the client's Close"] += 1
        return 1, struct.unpack(">H", frame.data[:2])[0]


def reader_case(stream, chunk):
    state, code = reader_expected(stream)

    def check(result):
        return differs(f"state, code fed {chunk} at a time",
                       (state, code), (result[0] - ord("0"),
                                       struct.unpack(">H", result[1:3])[0]))
    return Case(f"reader {stream[:40]!r}... ({len(stream)} bytes)", "W",
                b"\0" + struct.pack(">H", chunk) + stream, check)


def cases(rng):
    for _ in range(800):
        code = rng.choice([rng.randint(0, 5000), rng.randint(1000, 1016),
                           rng.randint(2990, 3010), rng.randint(4990, 5010),
                           rng.randint(0, 65535)])
        reason = rand_reason(rng).encode("utf-8")
        if rng.random() < 0.05:
            reason = reason + b"x" * rng.randint(1, 10)   # over 123: capped
        yield close_case(code, reason)
    for _ in range(600):
        yield key_case(rand_key(rng))
    for _ in range(600):
        stream = rand_stream(rng)
        yield reader_case(stream, rng.choice([1, 2, 3, 7, 64, 1000,
                                              min(65535, max(1, len(stream)))]))
