"""Matrix: a bot account on a homeserver (see platform.py for what maps to what)."""

from .platform import MatrixPlatform

__all__ = ["MatrixPlatform"]
