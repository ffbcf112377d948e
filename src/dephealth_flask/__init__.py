"""dephealth adapter for Flask."""
