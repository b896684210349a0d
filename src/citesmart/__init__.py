"""citesmart: the information system of Peru's red CITE."""

__version__ = "0.1.0"
