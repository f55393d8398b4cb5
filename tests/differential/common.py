"""Shared pieces of the differential tests: a case, and the driver's wire
format (see driver.c)."""
import struct
import subprocess


class Case:
    """One input for the driver (op, payload) and the check of its result:
    check(result) returns None when it agrees with the reference, else a
    line that says how it differs."""

    def __init__(self, label, op, payload, check):
        self.label, self.op, self.payload, self.check = label, op, payload, check


def run_driver(driver, cases):
    """Run every case through one driver process; the results, in order."""
    records = b"".join(c.op.encode() + struct.pack(">I", len(c.payload))
                       + c.payload for c in cases)
    out = subprocess.run([driver], input=records, stdout=subprocess.PIPE,
                         check=True).stdout
    results, off = [], 0
    while off < len(out):
        (n,) = struct.unpack_from(">I", out, off)
        results.append(out[off + 4:off + 4 + n])
        off += 4 + n
    if len(results) != len(cases):
        raise RuntimeError(f"driver answered {len(results)} of {len(cases)}")
    return results


def differs(what, expected, got):
    """None if expected == got, else a line showing both."""
    if expected == got:
        return None
    return f"{what}: expected {short(expected)}, got {short(got)}"


def short(v, limit=300):
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} chars)"
