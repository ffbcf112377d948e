"""dephealth adapter for Django."""
