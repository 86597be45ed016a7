"""Configuration: one settings model, resolved from layered sources."""

from onepiece.config.layers import ResolvedConfig, candidate_files, load_config
from onepiece.config.model import Settings

__all__ = ["ResolvedConfig", "Settings", "candidate_files", "load_config"]
