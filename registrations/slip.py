"""The QR code on the printable slip, as inline SVG (no image library needed)."""

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str) -> SafeString:
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    # The text is our own reference and code (letters and digits), so the SVG
    # holds nothing a person typed.
    return mark_safe(svg)  # noqa: S308
