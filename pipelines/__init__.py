"""Item pipelines: what happens to an article after its page is parsed."""

from pipelines.normalize import NormalizePipeline
from pipelines.store import DEFAULTS, StorePipeline
from pipelines.validate import ValidatePipeline

__all__ = ["DEFAULTS", "NormalizePipeline", "StorePipeline", "ValidatePipeline"]
