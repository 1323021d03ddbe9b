"""The teacher server: curricula as a durable, replayable HTTP service (FastAPI).

Importing this package loads nothing heavy: clients use :mod:`server.schemas` (pydantic
only). The service lives in :mod:`server.app` (``create_app``), :mod:`server.service`
and :mod:`server.store`.
"""

__all__: list[str] = []
