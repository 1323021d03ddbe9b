"""The live dashboard served at ``/ui``: a single page with its own scripts (no build
step, no network access beyond this server) and the downsampled data it draws."""

from server.ui._routes import PUBLIC_PATHS, router

__all__ = ["PUBLIC_PATHS", "router"]
