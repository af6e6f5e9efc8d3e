"""companion: a terminal coaching companion for product managers and their mentors."""

__version__ = "0.1.0"
