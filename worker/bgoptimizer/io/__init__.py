"""Image input/output: XISF (own reader/writer), FITS (astropy), dispatch by file type."""

from .dispatch import DEFAULT_MAX_PIXELS, probe, read_image, write_image
from .image import FitsKeyword, ImageData, Property
from .info import ImageInfo

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "FitsKeyword",
    "ImageData",
    "ImageInfo",
    "Property",
    "probe",
    "read_image",
    "write_image",
]
