"""huikuan (回款): receivables collection and credit control."""

__version__ = "0.1.0"
