"""Checkers, one module per dependency type, and their factories."""
