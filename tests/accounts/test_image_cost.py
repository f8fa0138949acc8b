"""R38: the worst avatar each format accepts costs < 1 s of CPU and < 200 MB, measured in a fresh process.

Each image sits exactly at its format's pixel cap, built to cost the most to decode: a progressive
CMYK JPEG, a 16-bit RGBA PNG, lossless and lossy RGBA WebP, a GIF. Peak RSS is read with `resource`
(VmHWM) before and after the call in a child process (tracemalloc does not see Pillow's buffers); CPU is
process time, with a loose bound (the machine is shared), never wall-clock.
"""

import io
import json
import math
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from leadsy.images import MAX_PIXELS

ROOT = Path(__file__).resolve().parents[2]
# Peak RSS is VmHWM: the high-water mark of this process's own memory. (`ru_maxrss` would not do:
# Linux carries it across exec from the forking parent, here pytest, which is larger.)
MEASURE = """
import base64, json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsy.settings")
import django
django.setup()
from leadsy.images import verified_image_file


def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


data = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
before = peak_kb()
cpu = time.process_time()
stored = verified_image_file(base64_data=data)
cpu = time.process_time() - cpu
print(json.dumps({"cpu": cpu, "rss_mb": (peak_kb() - before) / 1024, "stored": stored.name}))
"""


def _side(fmt: str) -> int:
    return math.isqrt(MAX_PIXELS[fmt])


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_16bit_rgba(side: int) -> bytes:
    """The most bytes a PNG can inflate to per pixel (8), compressed to a few hundred kB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + side * 8)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def pillow_image(fmt: str, mode: str, **options) -> bytes:
    side = _side(fmt)
    buffer = io.BytesIO()
    Image.new(mode, (side, side), (10, 20, 30, 40)[: len(mode)]).save(buffer, format=fmt, **options)
    return buffer.getvalue()


WORST = {
    "jpeg-progressive-cmyk": lambda: pillow_image("JPEG", "CMYK", progressive=True, quality=95),
    "jpeg-444": lambda: pillow_image("JPEG", "RGB", quality=100, subsampling=0),
    "png-16bit-rgba": lambda: png_16bit_rgba(_side("PNG")),
    "webp-lossless": lambda: pillow_image("WEBP", "RGBA", lossless=True),
    "webp-lossy": lambda: pillow_image("WEBP", "RGBA", quality=90),
    "gif": lambda: pillow_image("GIF", "RGB"),
}


@pytest.mark.parametrize("case", sorted(WORST))
def test_worst_accepted_avatar_costs_under_1s_cpu_and_200mb(case, tmp_path):
    path = tmp_path / "image"
    path.write_bytes(WORST[case]())
    assert path.stat().st_size <= 5 * 1024 * 1024  # an accepted upload
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["rss_mb"] < 200, figures
    assert figures["cpu"] < 1.0, figures


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_one_row_over_the_cap_is_refused_before_decoding(fmt):
    from rest_framework.exceptions import ValidationError

    from leadsy.images import verified_image_file
    from tests.accounts.images import b64

    side = _side(fmt)
    buffer = io.BytesIO()
    Image.new("L", (side, side + 1)).save(buffer, format=fmt)
    with pytest.raises(ValidationError) as error:
        verified_image_file(base64_data=b64(buffer.getvalue()))
    assert "million pixels" in str(error.value.detail["avatar_base64"][0])
