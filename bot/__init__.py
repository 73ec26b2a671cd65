"""Sanad: bilingual Arabic/English question answering with sentence-level citations."""

__version__ = "0.1.0"
