"""The labeling stack's sample images are what scripts/make_labeling_sample.py generates, small and valid PNGs."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "data" / "labeling_sample" / "images"


def test_committed_images_match_the_generator() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_labeling_sample.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_sample_is_a_few_hundred_small_valid_pngs() -> None:
    files = sorted(IMAGES.glob("*.png"))
    assert len(files) == 300
    assert sum(f.stat().st_size for f in files) < 1_000_000
    data = files[0].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (32, 32)
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4:idat])
    assert len(zlib.decompress(data[idat + 4:idat + 4 + length])) == 32 * (1 + 32 * 3)
