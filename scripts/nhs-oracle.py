"""Compares this project's NHS number rule with an independent implementation (PyPI
`nhs-number`, which knows every range and Scotland's CHI dates) on over a million generated
candidates of every class: uniform random, valid in each range and at each boundary, spaced,
hyphenated, wrongly shaped, padded, and written with non-ASCII digits.

  python scripts/nhs-oracle.py PATH-TO-nhs-verdicts [--count N]

The rule and every deliberate difference are in docs/NHS-NUMBERS.md; `expected` below encodes
them, so any other disagreement fails the run.
"""

import random
import subprocess
import sys

import nhs_number
from nhs_number import REGIONS

SEED = 20261201
ISSUED = {
    "ENGLAND_WALES_IOM": "england_wales_iom",
    "SCOTLAND": "scotland",
    "NORTHERN_IRELAND": "northern_ireland",
    "SYNTHETIC": "synthetic",
}
UNICODE_DIGITS = ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९", "৹"]
RANGES = [
    (10**8, 3_112_999_999),
    (3_113_000_000, 3_199_999_999),
    (3_200_000_000, 3_999_999_999),
    (4_000_000_000, 4_999_999_999),
    (5_000_000_000, 5_999_999_999),
    (6_000_000_000, 7_999_999_999),
    (8_000_000_000, 8_599_999_999),
    (8_600_000_000, 8_999_999_999),
    (9_000_000_000, 9_999_999_999),
    (0, 10**8 - 1),
]


def check_digit(nine):
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1)))
    c = 11 - total % 11
    return 0 if c == 11 else (None if c == 10 else c)


def with_check(n9):
    nine = f"{n9:09d}"
    c = check_digit(nine)
    return None if c is None else nine + str(c)


def spaced(d, sep=" "):
    return f"{d[:3]}{sep}{d[3:6]}{sep}{d[6:]}"


def candidates(rng, count):
    out = []
    per_class = count // 6
    # 1. Uniform random ten-digit strings (about one in eleven passes the check).
    out += [f"{rng.randrange(10**10):010d}" for _ in range(per_class)]
    # 2. Numbers whose check digit holds, spread over every range, with its boundaries.
    for lo, hi in RANGES:
        for edge in (lo, hi, lo + 1, hi - 1):
            for n9 in range(max(0, edge // 10 - 3), edge // 10 + 4):
                d = with_check(n9)
                if d:
                    out.append(d)
    valid = []
    while len(valid) < per_class:
        lo, hi = rng.choice(RANGES)
        d = with_check(rng.randint(lo // 10, hi // 10))
        if d:
            valid.append(d)
    out += valid
    # 2b. Scotland's CHI range, where the first six digits must be a date (DDMMYY).
    for _ in range(per_class // 2):
        dd, mm, yy = rng.randint(0, 32), rng.randint(0, 13), rng.randint(0, 99)
        d = with_check(int(f"{dd:02d}{mm:02d}{yy:02d}{rng.randrange(1000):03d}"))
        if d:
            out.append(d)
    # 3. The spaced and hyphenated forms people type.
    out += [spaced(d) for d in rng.sample(valid, per_class // 2)]
    out += [spaced(d, "-") for d in rng.sample(valid, per_class // 2)]
    # 4. Wrong shapes: mixed separators, doubled spaces, padding, 9 or 11 digits, letters.
    for d in rng.sample(valid, per_class // 2):
        out.append(rng.choice([
            f"{d[:3]} {d[3:6]}-{d[6:]}",
            f"{d[:3]}  {d[3:6]} {d[6:]}",
            f" {d}", f"{d} ", f"\t{spaced(d)}",
            d[:9], d + "0", d[:4] + " " + d[4:],
            d[:5] + "O" + d[6:], d.replace("1", "l"),
        ]))
    # 5. Non-ASCII digits in place of some or all digits.
    for d in rng.sample(valid, per_class // 2):
        script = rng.choice(UNICODE_DIGITS[:3])
        chars = [script[int(c)] if rng.random() < 0.5 else c for c in d]
        chars[rng.randrange(10)] = script[int(d[0])]
        out.append("".join(chars))
    while len(out) < count:
        out.append(f"{rng.randrange(10**10):010d}")
    return out


def region(digits):
    for name, r in REGIONS.items():
        if r.contains_number(digits):
            return name
    return None


def expected(s):
    """What our rule says, derived from the independent one plus the documented differences."""
    theirs = nhs_number.is_valid(s)
    digits = nhs_number.standardise_format(s)
    # Difference 1: we read ASCII digits only (a number keyed, displayed and matched must be the
    # same characters everywhere); theirs reads any Unicode digit.
    # Difference 2: we do not trim surrounding white space (the API's inputs are exact).
    if digits and (not s.isascii() or s != s.strip()):
        return "err"
    if not theirs:
        return "err"
    name = region(digits)
    # Difference 3: numbers valid by the check digit but in a range no registry issues
    # (unallocated, reserved, Ireland's IHI) are refused; theirs accepts them without a region.
    if name not in ISSUED:
        return "err not_issued"
    return "ok " + ISSUED[name]


def main():
    binary = sys.argv[1]
    count = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 1_200_000
    rng = random.Random(SEED)
    cands = candidates(rng, count)
    run = subprocess.run([binary], input="\n".join(cands) + "\n", capture_output=True, text=True, check=True)
    ours = run.stdout.splitlines()
    assert len(ours) == len(cands), (len(ours), len(cands))
    disagreements = []
    tally = {}
    for s, got in zip(cands, ours):
        want = expected(s)
        ok = got == want if want != "err" else got.startswith("err")
        tally[got] = tally.get(got, 0) + 1
        if not ok:
            disagreements.append((s, got, want))
    print(f"nhs-oracle: {len(cands)} candidates; verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    if disagreements:
        for s, got, want in disagreements[:20]:
            print(f"  {s!r}: ours {got}, expected {want}", file=sys.stderr)
        print(f"nhs-oracle: {len(disagreements)} disagreements", file=sys.stderr)
        sys.exit(1)
    print("nhs-oracle: agrees with the independent implementation on every candidate")


if __name__ == "__main__":
    main()
