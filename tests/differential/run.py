"""Differential tests of mod_fastexc's pure logic against Python, the
reference FastAPI runs on: generated cases go through the module's C
functions (driver.c) and through Python, and are compared byte for byte.

    python3 tests/differential/run.py --driver build/differential/driver
        [--seed N] [--only json,utf-8,...]

The seed is fixed (and printed): a failure is replayed with the same seed
(make differential SEED=N). Each section takes its own generator, seeded
from the seed and its name, so the sections do not depend on each other.
Ends with "N passed, N failed" and a non-zero exit on any failure."""
import argparse
import random
import sys
import time

import cases_json
import cases_utf8
import cases_ws
import phrases
from common import run_driver, short

SECTIONS = [phrases, cases_json, cases_utf8, cases_ws]
DEFAULT_SEED = 6455
SHOWN = 10      # failures shown per section


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--only", help="comma-separated section names")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    print(f"differential: seed {args.seed} "
          f"(replay: make differential SEED={args.seed})")
    passed = failed = 0
    start = time.time()
    for section in SECTIONS:
        if only and section.NAME not in only:
            continue
        rng = random.Random(f"{args.seed}:{section.NAME}")
        cases = list(section.cases(rng))
        results = run_driver(args.driver, cases)
        bad = []
        for case, result in zip(cases, results):
            try:
                err = case.check(result)
            except Exception as exc:      # a check that breaks is a failure
                err = f"the check raised {exc!r}"
            if err:
                bad.append((case, err))
        passed += len(cases) - len(bad)
        failed += len(bad)
        print(f"  {section.NAME}: {len(cases)} cases, {len(bad)} failed")
        for what, n in sorted(section.NOTES.items()):
            print(f"    {n} x {what}")
        for case, err in bad[:SHOWN]:
            print(f"    FAIL {short(case.label, 120)}\n         {err}")
        if len(bad) > SHOWN:
            print(f"    ... and {len(bad) - SHOWN} more")
    print(f"differential: {time.time() - start:.1f} s, seed {args.seed}")
    print(f"differential: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
