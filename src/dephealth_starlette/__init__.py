"""dephealth adapter for Starlette."""
