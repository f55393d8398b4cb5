"""JSON rendering against FastAPI's renderer, json.dumps(v,
ensure_ascii=False, allow_nan=False, separators=(",", ":")).

Random nested values are written as JSON text in random ways (whitespace,
escapes of any case, surrogate pairs, floats in several notations); the
module parses and renders the text (fastexc_json_parse, fastexc_json_dump)
and must give the bytes Python gives for json.loads(text). Floats are also
compared alone: fastexc_py_float() of random doubles of every magnitude
against repr(). Texts the module refuses and Python reads are the
differences listed in REFUSED, each checked to be refused."""
import collections
import json
import math
import struct

from common import Case, differs

NAME = "json"
NOTES = collections.Counter()

SPECIAL_FLOATS = [0.0, -0.0, 5e-324, 2.2250738585072014e-308,
                  1.7976931348623157e308, 1e16, 1e15, 9999999999999998.0,
                  1e-4, 1e-5, 9.999999999999999e-05, 0.1, 0.30000000000000004,
                  1.2345678901234568e17, 1e22, 1e23, -1.5, 123456.789]
SPECIAL_CHARS = "\"\\/\b\f\n\r\t\x00\x1f\x7f\x80\x9f\u2028\u2029\ufeff\uffff" \
                "\U0001f600\U0010ffff\u00e9"


# Texts at the edges of number reading and nesting, run every time.
EDGE_TEXTS = ["1e-400", "-1e-400", "4.9e-324", "2.4703282292062328e-324",
              "2.4703282292062327e-324", "0e5", "-0E0", "-0",
              "1.7976931348623158e308", "9007199254740993",
              "9007199254740993.0", "123456789012345678901234567890e-10",
              "0.000001", "1e-7", "[1e16,1e15,123456789012345678.0]",
              "9223372036854775807", "-9223372036854775808",
              "[" * 200 + "]" * 200, '{"":{"":[{}]}}']


def python_render(text):
    return json.dumps(json.loads(text), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


def rand_double(rng):
    """A finite double: random bits (every magnitude), a short decimal, or
    a special value."""
    kind = rng.random()
    if kind < 0.5:
        while True:
            (v,) = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))
            if math.isfinite(v):
                return v
    if kind < 0.85:
        digits = rng.randint(1, 17)
        v = float(f"{rng.randrange(10 ** digits)}e{rng.randint(-330, 300)}")
        return v if math.isfinite(v) else 1.0
    return rng.choice(SPECIAL_FLOATS) * rng.choice([1, -1])


def rand_int(rng):
    kind = rng.random()
    if kind < 0.6:
        return rng.randint(-1000, 1000)
    if kind < 0.9:
        return rng.randint(-2 ** 63, 2 ** 63 - 1)
    return rng.choice([0, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 53, 2 ** 53 + 1])


def rand_char(rng):
    kind = rng.random()
    if kind < 0.45:
        return chr(rng.randint(0x20, 0x7e))
    if kind < 0.6:
        return rng.choice(SPECIAL_CHARS)
    if kind < 0.7:
        return chr(rng.randint(0, 0x1f))
    if kind < 0.9:
        c = rng.randint(0x80, 0xfffd)
        return chr(c) if not 0xd800 <= c <= 0xdfff else "\u00e9"
    return chr(rng.randint(0x10000, 0x10ffff))


def rand_string(rng, most=12):
    return "".join(rand_char(rng) for _ in range(rng.randint(0, most)))


def rand_value(rng, depth=0):
    kind = rng.random() if depth < 5 else rng.random() * 0.7
    if kind < 0.1:
        return rng.choice([None, True, False])
    if kind < 0.25:
        return rand_int(rng)
    if kind < 0.45:
        return rand_double(rng)
    if kind < 0.7:
        return rand_string(rng)
    if kind < 0.85:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    obj = {}
    for _ in range(rng.randint(0, 5)):
        # keys in random order; jansson cannot hold a NUL in a key (REFUSED)
        obj[rand_string(rng, 6).replace("\x00", "0")] = \
            rand_value(rng, depth + 1)
    return obj


def ws(rng):
    return rng.choice(["", "", "", " ", "\n", "\t", "\r\n  "])


def emit_char(c, rng):
    """One character of a JSON string, raw when JSON allows it or escaped
    in one of the ways JSON allows."""
    short = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f",
             "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    must = ord(c) < 0x20 or c in '"\\'
    if not must and rng.random() < 0.7:
        return c
    if c in short and rng.random() < 0.5:
        return short[c]
    units = [ord(c)] if ord(c) < 0x10000 else \
        [0xd800 + ((ord(c) - 0x10000) >> 10), 0xdc00 + ((ord(c) - 0x10000) & 0x3ff)]
    hexcase = rng.choice(["%04x", "%04X"])
    return "".join("\\u" + hexcase % u for u in units)


def emit(v, rng):
    """v as JSON text, written one of the many ways JSON allows."""
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        fmt = rng.choice(["r", "%.17g", "%.17e", "%.17E", "%.25g"])
        text = repr(v) if fmt == "r" else fmt % v
        # "%g" may write an integer literal: beyond 64 bits, the module
        # refuses it (REFUSED); keep the random cases within
        if not any(c in text for c in ".eE") and abs(int(text)) >= 2 ** 63:
            text = repr(v)
        return text
    if isinstance(v, str):
        return '"' + "".join(emit_char(c, rng) for c in v) + '"'
    if isinstance(v, list):
        return "[" + ws(rng) + ("," + ws(rng)).join(
            emit(x, rng) for x in v) + ws(rng) + "]"
    return "{" + ws(rng) + ("," + ws(rng)).join(
        emit(k, rng) + ws(rng) + ":" + ws(rng) + emit(x, rng)
        for k, x in v.items()) + ws(rng) + "}"


def json_case(text):
    expected = python_render(text)

    def check(result):
        return differs("rendering", b"K" + expected, result)
    return Case("json " + text[:60], "J", text.encode("utf-8"), check)


def float_case(v):
    def check(result):
        return differs(f"repr({v!r})", b"K" + repr(v).encode(), result)
    return Case(f"float {v!r}", "F", struct.pack(">d", v), check)


# JSON texts Python reads and the module refuses (at startup for a
# configured detail, answered 500 and logged for the C and notes APIs):
# text -> (whether FastAPI can render it, why). Each is checked: Python's
# json.loads reads it, FastAPI's renderer renders it or fails as said, and
# the module refuses it.
REFUSED = {
    '{"a":1,"a":2}': (True, "duplicate key: Python keeps the last, "
                      "silently; the module refuses a detail that says two "
                      "things"),
    "NaN": (False, "not JSON; FastAPI's allow_nan=False fails on it"),
    "[Infinity]": (False, "not JSON (as above)"),
    "-Infinity": (False, "not JSON (as above)"),
    "1e400": (False, "overflows a double: Python reads inf, FastAPI's "
              "renderer fails on it"),
    "1.7976931348623159e308": (False, "rounds beyond the largest double "
                               "(as above)"),
    "18446744073709551616": (True, "integer beyond 64 bits: Python renders "
                             "it, jansson's integers are 64-bit"),
    "-9223372036854775809": (True, "integer beyond 64 bits (as above)"),
    '"\\ud800"': (False, "a lone surrogate: Python reads it, FastAPI fails "
                  "to encode the body as UTF-8"),
    '"a\\udc00b"': (False, "a lone low surrogate (as above)"),
    '{"a\\u0000b":1}': (True, "NUL in an object key: Python keeps it, "
                        "jansson cannot (a NUL in a string value is kept)"),
}


def refused_case(text, renders, why):
    try:
        rendered = python_render(text)
    except (ValueError, UnicodeEncodeError):
        rendered = None

    def check(result):
        json.loads(text)        # the reference reads it
        if renders != (rendered is not None):
            return f"{text}: FastAPI's renderer {'renders' if rendered else 'fails'}" \
                   f", unlike what REFUSED says ({why})"
        if not result.startswith(b"E"):
            return f"{text}: accepted ({result!r}), expected refused: {why}"
        NOTES["refused by the module, read by Python (REFUSED)"] += 1
        return None
    return Case("refused " + text, "J", text.encode("utf-8"), check)


def cases(rng):
    for text in EDGE_TEXTS:
        yield json_case(text)
    for _ in range(1500):
        v = rand_value(rng)
        text = ws(rng) + emit(v, rng) + ws(rng)
        if json.loads(text) != v:
            raise AssertionError(f"generator: {text!r} is not {v!r}")
        yield json_case(text)
    for _ in range(3000):
        yield float_case(rand_double(rng))
    for v in (math.nan, math.inf, -math.inf):
        yield Case(f"float {v}", "F", struct.pack(">d", v),
                   lambda r: differs("non-finite refused", b"E", r))
    for text, (renders, why) in REFUSED.items():
        yield refused_case(text, renders, why)
