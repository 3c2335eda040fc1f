"""seqbook: reference code, widgets and quiz helpers for the sequence-models course book."""

__version__ = "0.1.0"
