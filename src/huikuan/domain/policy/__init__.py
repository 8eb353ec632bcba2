"""Collection policies: validated data (``model``), loaded from TOML (``load``), applied by ``decide``."""
