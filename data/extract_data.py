#!/usr/bin/env python3
"""Regenerate the data files in this folder from unpacked PyPI packages.

Maintainer tool only: the course build never runs it and never downloads
anything. Standard library only.

Usage (see README.md in this folder):

    pip download --no-deps -d /tmp/dl statsmodels==0.15.0
    pip download --no-deps --no-binary :all: -d /tmp/dl brotli==1.2.1
    mkdir -p /tmp/dl/sm /tmp/dl/br
    python -m zipfile -e /tmp/dl/statsmodels-0.15.0-*.whl /tmp/dl/sm
    tar xzf /tmp/dl/brotli-1.2.1.tar.gz -C /tmp/dl/br
    python data/extract_data.py --statsmodels /tmp/dl/sm \
        --brotli /tmp/dl/br/brotli-1.2.1

Each input directory may be the unpacked package root or any folder above
the expected file; the script searches below it.
"""

import argparse
import csv
import hashlib
import os
import sys

ELNINO_REL = os.path.join("statsmodels", "datasets", "elnino", "elnino.csv")
ALICE_REL = os.path.join("tests", "testdata", "alice29.txt")

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN",
          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def find(root, rel):
    """Return the path of `rel` below `root` (shallowest match)."""
    direct = os.path.join(root, rel)
    if os.path.isfile(direct):
        return direct
    tail = rel.replace(os.sep, "/")
    hits = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if path.replace(os.sep, "/").endswith("/" + tail):
                hits.append(path)
    if not hits:
        sys.exit(f"error: {rel} not found under {root}")
    return min(hits, key=len)


def extract_nino12(src, dst):
    """Wide table (YEAR + 12 month columns) -> long `date,value` CSV."""
    with open(src, newline="", encoding="ascii") as f:
        rows = list(csv.reader(f))
    header = [h.strip().upper() for h in rows[0]]
    if header != ["YEAR"] + MONTHS:
        sys.exit(f"error: unexpected header in {src}: {rows[0]}")
    out = []
    for row in rows[1:]:
        if not row:
            continue
        year = int(float(row[0]))
        for month, cell in enumerate(row[1:13], start=1):
            out.append((f"{year:04d}-{month:02d}", f"{float(cell):.2f}"))
    out.sort()
    with open(dst, "w", newline="", encoding="ascii") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "value"])
        w.writerows(out)
    return len(out)


def extract_alice(src, dst):
    """Canterbury-corpus alice29.txt -> clean UTF-8 text with LF newlines."""
    with open(src, "rb") as f:
        raw = f.read()
    text = raw.decode("ascii")
    text = text.rstrip("\x1a")  # DOS end-of-file marker at the very end
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n") + "\n"
    if "gutenberg" in text.lower():
        sys.exit("error: unexpected Project Gutenberg header/licence text")
    with open(dst, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return text.count("\n")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--statsmodels", required=True,
                   help="unpacked statsmodels wheel or sdist")
    p.add_argument("--brotli", required=True,
                   help="unpacked brotli sdist")
    p.add_argument("--out", default=here, help="output folder (default: here)")
    args = p.parse_args()

    os.makedirs(args.out, exist_ok=True)
    jobs = [
        ("nino12_sst.csv", extract_nino12,
         find(args.statsmodels, ELNINO_REL), "data rows"),
        ("alice_in_wonderland.txt", extract_alice,
         find(args.brotli, ALICE_REL), "lines"),
    ]
    for name, func, src, unit in jobs:
        dst = os.path.join(args.out, name)
        n = func(src, dst)
        print(f"{name}: {n} {unit} from {src}")
        print(f"  {os.path.getsize(dst)} bytes  sha256 {sha256(dst)}")


if __name__ == "__main__":
    main()
