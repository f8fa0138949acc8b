"""Company avatars use the one image gate of the project (accounts/images.py): same checks, same 422s."""

from accounts.images import verified_image_file

__all__ = ["verified_image_file"]
