"""Item pipelines: what happens to an article after its page is parsed."""

# The crawl-state tables live on the same metadata as the schema's (Alembic compares them all).
from pipelines import state as _state  # noqa: F401
from pipelines.normalize import NormalizePipeline
from pipelines.store import DEFAULTS, StorePipeline
from pipelines.validate import ValidatePipeline

__all__ = ["DEFAULTS", "NormalizePipeline", "StorePipeline", "ValidatePipeline"]
