"""Small images made on the fly for avatar tests (never downloaded)."""

import base64
import io

from PIL import Image


def image_base64(fmt: str = "PNG", size=(8, 8)) -> str:
    output = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(output, format=fmt)
    return base64.b64encode(output.getvalue()).decode()
