"""Reason phrases, the whole table against the reference: Python's
http.HTTPStatus, whose phrases Starlette uses for a default detail and
uvicorn for the status line. Both directions: every phrase the module knows
(fastexc_phrase() of 0-999) is Python's, and every status Python knows
(100-599) is known to the module with that phrase, unless DIFFERENCES lists
it with the reason."""
import collections
import http

from common import Case

NAME = "phrases"
NOTES = collections.Counter()

# status -> why the module differs from Python there. None today. An entry
# that is no longer a difference fails the check too, so the list stays true.
DIFFERENCES = {}


def check(result):
    module = {}
    for line in result.decode("utf-8").splitlines():
        code, phrase = line.split(" ", 1)
        module[int(code)] = phrase
    python = {s.value: s.phrase for s in http.HTTPStatus}
    errors = []
    for code, phrase in sorted(module.items()):
        if code not in DIFFERENCES and python.get(code) != phrase:
            errors.append(f"{code}: the module says {phrase!r}, Python "
                          f"{python.get(code)!r}")
    for code, phrase in sorted(python.items()):
        if code not in module and code not in DIFFERENCES:
            errors.append(f"{code} {phrase!r}: Python knows it, the module "
                          "does not")
    for code, why in DIFFERENCES.items():
        if module.get(code) == python.get(code):
            errors.append(f"{code} is listed as a difference ({why}) but "
                          "the module and Python agree")
    NOTES[f"{len(module)} module phrases and {len(python)} Python statuses "
          "compared"] += 1
    return "; ".join(errors) or None


def cases(rng):
    yield Case("the whole phrase table", "P", b"", check)
