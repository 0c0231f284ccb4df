"""One module per site that needs more than the generic extractor; see ``docs/sites.md``."""
