"""HTTP routes: thin adapters from the wire schemas to the service."""

from server.routes import curricula, episodes, events, ops

__all__ = ["curricula", "episodes", "events", "ops"]
