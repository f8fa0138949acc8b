"""Untrusted images in, safe images out: decode, verify, re-encode.

Clients send avatars as base64 JSON. Nothing about the upload is trusted (not the MIME type, not the
name): the bytes are decoded with Pillow restricted to four raster formats, and a fresh file is
encoded from the pixels, which drops EXIF/GPS metadata and anything appended to the image.
The company avatars reuse `verified_image_file` as it is.
"""

import base64
import binascii
import io
import re
import uuid
import warnings

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError
from rest_framework.exceptions import ValidationError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Pixel caps per format, checked on the header before any pixel is decoded (Pillow's own limit, about
# 89 Mpx, only *warns* up to twice that). The worst accepted image of each format must cost < 1 s of
# CPU and < 200 MB (R38; tests/accounts/test_image_cost.py). Measured here, the worst cases are a
# progressive CMYK JPEG (libjpeg keeps every coefficient of a progressive scan, even when it decodes
# at a reduced scale), a 16-bit RGBA PNG and a WebP (its decoder hands over a full RGBA copy):
# about 150 MB and 0.3 s each at these caps. 25 Mpx cost 1.6 s and 360 MB (issue 13).
MAX_PIXELS = {"JPEG": 4096 * 4096, "PNG": 4096 * 4096, "GIF": 4096 * 4096, "WEBP": 2896 * 2896}
# What is stored: an avatar is shown small; larger images are scaled down right after decoding, so
# the re-encoding (and every copy it makes) works on at most this many pixels.
AVATAR_MAX_SIDE = 1024
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
ALLOWED_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
# Base64 grows by 4/3; anything longer cannot decode to an allowed size, so it is refused before decoding.
_MAX_BASE64_CHARS = (MAX_IMAGE_BYTES + 2) // 3 * 4
_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+(;[\w=.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")

# GIFs are stored as PNG: the first frame only, and one of the formats browsers all show.
_OUTPUT = {"PNG": ("PNG", "png"), "JPEG": ("JPEG", "jpg"), "WEBP": ("WEBP", "webp"), "GIF": ("PNG", "png")}


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError({field: [reason]})


def _decode_base64(base64_data, field: str) -> bytes:
    if not isinstance(base64_data, str) or not base64_data.strip():
        raise _invalid(field, "Send the image as a base64 string.")
    data = _DATA_URL.sub("", base64_data.strip(), count=1)
    data = _WHITESPACE.sub("", data)
    if len(data) > _MAX_BASE64_CHARS + 4:
        raise _invalid(field, "The image is larger than 5 MB.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(field, "This is not valid base64.") from None
    if not raw:
        raise _invalid(field, "The image is empty.")
    if len(raw) > MAX_IMAGE_BYTES:
        raise _invalid(field, "The image is larger than 5 MB.")
    return raw


def _open(raw: bytes, field: str) -> Image.Image:
    """Open and fully decode the image, refusing other formats, animations and oversized images."""
    not_an_image = "This is not a PNG, JPEG, WebP or GIF image."
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(raw), formats=ALLOWED_FORMATS)
            width, height = probe.size
            limit = MAX_PIXELS[probe.format]
            if width * height > limit:
                raise _invalid(field, f"The image has more than {limit / 1_000_000:.1f} million pixels.")
            if getattr(probe, "is_animated", False):
                raise _invalid(field, "Animated images are not supported.")
            probe.verify()  # checksums and structure; the object is unusable afterwards
            image = Image.open(io.BytesIO(raw), formats=ALLOWED_FORMATS)
            # Loads the pixels; for JPEG it first asks the decoder for a reduced scale (draft).
            image.thumbnail((AVATAR_MAX_SIDE, AVATAR_MAX_SIDE))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _invalid(field, "The image is too large once decoded.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            # Pillow reports truncated and corrupt files with these.
            raise _invalid(field, not_an_image) from None
    return image


def _reencode(image: Image.Image) -> tuple[bytes, str]:
    source_format = image.format
    output_format, extension = _OUTPUT[source_format]
    # Keep the orientation the EXIF asked for, since the EXIF itself is dropped.
    image = ImageOps.exif_transpose(image)
    if output_format == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        options = {"quality": 90, "optimize": True}
    elif output_format == "WEBP":
        image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
        options = {"quality": 90}
    else:
        image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L", "LA", "P") else image
        options = {"optimize": True}
    buffer = io.BytesIO()
    image.save(buffer, format=output_format, **options)
    return buffer.getvalue(), extension


def verified_image_file(*, base64_data, field: str = "avatar_base64") -> ContentFile:
    """A re-encoded image file with a generated name, or a 422 ValidationError on `field`."""
    raw = _decode_base64(base64_data, field)
    image = _open(raw, field)
    try:
        content, extension = _reencode(image)
    except (OSError, ValueError):
        raise _invalid(field, "This image could not be processed.") from None
    return ContentFile(content, name=f"{uuid.uuid4().hex}.{extension}")
