"""OnePiece: a pipeline toolkit for VFX and animation studios."""

__version__ = "0.1.0"
