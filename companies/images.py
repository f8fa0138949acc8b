"""Avatar images from base64 JSON: decoded, verified by Pillow, re-encoded (drops EXIF/GPS and polyglot payloads).

Same signature as `accounts/images.py` on the accounts branch; the two merge into one.
"""

import base64
import binascii
import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB photo is far below; a decompression bomb is far above
ACCEPTED_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp", "GIF": "gif"}


def verified_image_file(*, base64_data, field: str = "avatar_base64") -> ContentFile:
    def invalid(reason: str):
        return ValidationError({field: [reason]})

    if not isinstance(base64_data, str) or not base64_data.strip():
        raise invalid("This field is required.")
    data = base64_data.strip()
    if data.startswith("data:") and "," in data:  # data URLs are what browsers produce
        data = data.split(",", 1)[1]
    if len(data) > (MAX_IMAGE_BYTES * 4) // 3 + 8:
        raise invalid("The image is larger than 5 MB.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("Not valid base64.") from None
    if len(raw) > MAX_IMAGE_BYTES:
        raise invalid("The image is larger than 5 MB.")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat the warning as the bomb it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                image_format = probe.format
                if image_format not in ACCEPTED_FORMATS:
                    raise invalid("Only PNG, JPEG, WebP and GIF images are accepted.")
                if probe.width * probe.height > MAX_PIXELS:
                    raise invalid("The image has too many pixels.")
                probe.verify()
            with Image.open(io.BytesIO(raw)) as image:
                image.load()  # first frame only: an animated GIF becomes a still image
                converted = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise invalid("The image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise invalid("Not a readable image.") from None
    output = io.BytesIO()
    if image_format == "JPEG":
        converted.convert("RGB").save(output, format="JPEG", quality=90)
        extension = "jpg"
    else:
        converted.save(output, format="PNG" if image_format in ("PNG", "GIF") else "WEBP")
        extension = "png" if image_format in ("PNG", "GIF") else "webp"
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
