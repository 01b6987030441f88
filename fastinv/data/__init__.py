"""Image sources for sweeps: folder listing, decoding with the study's preprocessing, defaults."""

from .default import default_data_dir
from .folder import IMAGE_EXTENSIONS, ImageRecord, SkippedImage, decode_images, list_images

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageRecord",
    "SkippedImage",
    "decode_images",
    "default_data_dir",
    "list_images",
]
