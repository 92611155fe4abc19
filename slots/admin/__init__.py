"""The slots admin, split by model."""

from . import appointments, centres, sessions  # noqa: F401
