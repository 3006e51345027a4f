"""ROSE trainer: pre-trains, fine-tunes, evaluates and exports ROSE model packs (docs/model-pack.md)."""

__version__ = "0.1.0"
PACK_FORMAT_VERSION = 1
