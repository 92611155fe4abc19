"""The registrations admin, split by what officials do with it."""

from . import accounts, registrations  # noqa: F401
