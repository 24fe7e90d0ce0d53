#!/usr/bin/env python3
"""Generate the reference app's labeling sample: 300 tiny PNG images of squares and circles (standard library only).

    python scripts/make_labeling_sample.py          # (re)write data/labeling_sample/images/
    python scripts/make_labeling_sample.py --check  # exit 1 if the committed images differ

Each image is 32x32 RGB, one filled square or circle of a random colour on a random light background, drawn
deterministically from a fixed seed, and written as a PNG (zlib-compressed IDAT) by hand. Files are named
"shape-<nnnn>.png" so that the name does not give the label away. 300 objects exercise the labeling path end to end;
Ground Truth's automated data labeling needs at least 1,250 objects (5,000+ recommended), so with this sample the
LabelingJob stops at its run-time check (DatasetTooSmall) unless automated labeling is off. Total size: ~60 KB.
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "data" / "labeling_sample" / "images"
COUNT, SIZE, SEED = 300, 32, 20261130


def png(pixels: list[list[tuple[int, int, int]]]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def image(rng: random.Random) -> bytes:
    background = tuple(rng.randint(200, 255) for _ in range(3))
    colour = tuple(rng.randint(0, 150) for _ in range(3))
    shape = rng.choice(("square", "circle"))
    radius = rng.randint(6, 11)
    cx, cy = rng.randint(radius, SIZE - radius - 1), rng.randint(radius, SIZE - radius - 1)
    pixels = []
    for y in range(SIZE):
        row = []
        for x in range(SIZE):
            inside = (abs(x - cx) <= radius and abs(y - cy) <= radius) if shape == "square" else (
                (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2)
            row.append(colour if inside else background)
        pixels.append(row)
    return png(pixels)


def build() -> dict[str, bytes]:
    rng = random.Random(SEED)
    return {f"shape-{i:04d}.png": image(rng) for i in range(COUNT)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    files = build()
    if args.check:
        current = {p.name: p.read_bytes() for p in OUTPUT.glob("*.png")} if OUTPUT.is_dir() else {}
        if current != files:
            print(f"{OUTPUT} is stale: run python scripts/make_labeling_sample.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.png"):
        old.unlink()
    for name, data in files.items():
        (OUTPUT / name).write_bytes(data)
    print(f"wrote {len(files)} images ({sum(map(len, files.values()))} bytes) to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
