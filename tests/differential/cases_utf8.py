"""UTF-8 repair against Python's bytes.decode("utf-8", "replace").

Random and adversarial byte strings: overlong forms of every length,
surrogates, code points above U+10FFFF, 5- and 6-byte forms, stray
continuation bytes, sequences cut short (inside the string and at its end),
valid characters of every length between them.

Where the module differs, and why: Python (like the Unicode standard's
recommended practice and WHATWG) replaces a "maximal subpart" with ONE
U+FFFD: a sequence cut short after a valid start, like E2 82 followed by
"a" or by the end, is one error. The module replaces each invalid byte with
its own U+FFFD (E2 82 gives two). Both drop the same bytes and keep every
valid character; only the number of U+FFFD differs. So the module is
compared byte for byte with Python's decoder given a handler that writes one
U+FFFD per byte of each error Python finds, and every case where that
differs from plain "replace" is checked to be such a cut-short sequence.

Also: fastexc_utf8_valid() against a strict decode, fastexc_body_text()
(repair + JSON) against FastAPI's renderer, fastexc_utf8_cut() against the
character boundaries of the decoded text."""
import codecs
import collections
import json
import struct

from common import Case, differs

NAME = "utf-8"
NOTES = collections.Counter()


def _per_byte(err):
    return "\ufffd" * (err.end - err.start), err.end


codecs.register_error("fastexc-per-byte", _per_byte)


def seq_len(lead):
    return 2 if 0xc2 <= lead <= 0xdf else 3 if 0xe0 <= lead <= 0xef else 4


def cut_short(cut):
    """Whether cut is the start of a valid sequence, cut short."""
    if len(cut) < 2 or len(cut) >= seq_len(cut[0]):
        return False
    try:
        (cut + b"\x80" * (seq_len(cut[0]) - len(cut))).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def python_errors(b):
    """The (start, end) of each error Python's decoder finds in b."""
    found = []

    def note(err):
        found.append((err.start, err.end))
        return "\ufffd", err.end
    codecs.register_error("fastexc-note", note)
    b.decode("utf-8", "fastexc-note")
    return found


def enc(cp, n):
    """Code point cp written in n bytes, overlong or out of range allowed."""
    if n == 1:
        return bytes([cp])
    lead = (0xff00 >> n) & 0xff
    out = []
    for _ in range(n - 1):
        out.append(0x80 | (cp & 0x3f))
        cp >>= 6
    return bytes([lead | cp]) + bytes(reversed(out))


def piece(rng):
    kind = rng.randrange(12)
    if kind == 0:       # overlong: a code point in more bytes than it needs
        n = rng.randint(2, 4)
        return enc(rng.randrange([0, 0x80, 0x800, 0x10000][n - 1]), n)
    if kind == 1:       # UTF-16 surrogates written as UTF-8
        return enc(rng.randint(0xd800, 0xdfff), 3)
    if kind == 2:       # above U+10FFFF, in 4 bytes (up to F7 BF BF BF)
        return enc(rng.randint(0x110000, 0x1fffff), 4)
    if kind == 3:       # the old 5- and 6-byte forms
        n = rng.randint(5, 6)
        return bytes([(0xff00 >> n) & 0xff]) + bytes(
            0x80 | rng.randrange(64) for _ in range(n - 1))
    if kind == 4:       # a valid sequence cut short
        c = chr(rng.choice([rng.randint(0x80, 0x7ff), rng.randint(0x800, 0xd7ff),
                            rng.randint(0x10000, 0x10ffff)]))
        full = c.encode("utf-8")
        return full[:rng.randint(1, len(full) - 1)]
    if kind == 5:       # stray continuation bytes, bytes never in UTF-8
        return bytes(rng.choice([rng.randint(0x80, 0xbf), 0xc0, 0xc1,
                                 rng.randint(0xf5, 0xff)])
                     for _ in range(rng.randint(1, 3)))
    if kind == 6:       # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
    # valid characters of every length, boundaries included
    c = rng.choice([rng.randint(0, 0x7f), rng.randint(0x80, 0x7ff),
                    rng.randint(0x800, 0xffff), rng.randint(0x10000, 0x10ffff),
                    rng.choice([0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000,
                                0xfffd, 0xffff, 0x10000, 0x10ffff])])
    return chr(c).encode("utf-8", "surrogatepass") \
        if not 0xd800 <= c <= 0xdfff else b"x"


def rand_bytes(rng):
    return b"".join(piece(rng) for _ in range(rng.randint(0, 8)))


def repair_case(b):
    def check(result):
        try:
            b.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        expected = b.decode("utf-8", "fastexc-per-byte").encode("utf-8")
        want = (b"1" if valid else b"0") + (b"0" if valid else b"1") + expected
        bad = differs("valid flag, repaired flag, repaired bytes", want, result)
        if bad:
            return bad
        if expected != b.decode("utf-8", "replace").encode("utf-8"):
            for start, end in python_errors(b):
                if end - start > 1 and not cut_short(b[start:end]):
                    return f"{b!r}: Python's error {b[start:end]!r} is not " \
                           "a sequence cut short: an unexplained difference"
            NOTES["differ from decode('utf-8', 'replace') only by one "
                  "U+FFFD per byte of a cut-short sequence"] += 1
        return None
    return Case(f"repair {b!r}", "R", b, check)


def body_case(b):
    text = b.decode("utf-8", "fastexc-per-byte")
    body = json.dumps({"detail": text}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    repaired = b"0" if text.encode("utf-8") == b else b"1"

    def check(result):
        return differs("text body", repaired + body, result)
    return Case(f"text body {b!r}", "T", b, check)


def cut_case(text, most):
    b = text.encode("utf-8")
    ends = [len(text[:i].encode("utf-8")) for i in range(len(text) + 1)]
    expected = max(e for e in ends if e <= most)

    def check(result):
        return differs(f"cut to {most}", expected,
                       struct.unpack(">I", result)[0])
    return Case(f"cut {b!r} to {most}", "U", struct.pack(">H", most) + b,
                check)


def cases(rng):
    for _ in range(2500):
        yield repair_case(rand_bytes(rng))
    for _ in range(600):
        b = rand_bytes(rng) + bytes(rng.choice(b'"\\/\x00\x01\x1f\x7f ab')
                                    for _ in range(rng.randint(0, 4)))
        yield body_case(bytes(rng.sample(b, len(b))) if rng.random() < 0.3
                        else b)
    for _ in range(600):
        text = rand_bytes(rng).decode("utf-8", "replace")
        yield cut_case(text, rng.randint(0, len(text.encode("utf-8")) + 2))
