"""Fails when any log written during the test run holds an NHS number in clear.

  python scripts/scan-logs.py DIR

Every run of ten digits (or 3-3-4 with spaces or hyphens) not inside a longer run is checked
with an independent implementation (PyPI nhs-number): one that is a valid NHS number fails the
run. The finding is printed masked (last three digits) with its file and line.
"""

import os
import re
import sys

import nhs_number

CANDIDATE = re.compile(r"(?<![0-9])([0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4})(?![0-9])")
# Access ids are random UUIDs and notification and batch ids their 32 hex digits without
# hyphens; about one in a few thousand holds ten digits that happen to pass the check (seen:
# `...-ce7411899224`, `...846c5807269497d`). An id is removed before scanning, so only its own
# random digits are spared, never a number written next to it.
UUID = re.compile(
    r"\b(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})\b"
)


def main():
    root = sys.argv[1]
    files = lines = 0
    found = []
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            files += 1
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    lines += 1
                    for m in CANDIDATE.finditer(UUID.sub("<id>", line)):
                        if nhs_number.is_valid(m.group(1)):
                            digits = re.sub("[- ]", "", m.group(1))
                            found.append(f"{path}:{n}: *** *** *{digits[-3:]}")
    if files == 0:
        sys.exit(f"scan-logs: no logs under {root}: the capture did not run")
    if found:
        print("\n".join(found[:30]), file=sys.stderr)
        sys.exit(f"scan-logs: {len(found)} NHS numbers in clear in the test run's logs")
    print(f"scan-logs: {files} log files, {lines} lines, no NHS number in clear")


if __name__ == "__main__":
    main()
