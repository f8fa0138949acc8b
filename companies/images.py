"""Company avatars use the one image gate of the project (leadsy/images.py): same checks, same 422s."""

from leadsy.images import verified_image_file

__all__ = ["verified_image_file"]
