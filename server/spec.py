"""A client's curriculum definition (:class:`teacher.config.CurriculumFields`) validated
into a configuration, and how two configurations differ."""

from __future__ import annotations

from server.errors import InvalidRequestError
from teacher import TeacherError
from teacher.config import CurriculumConfig, CurriculumFields

__all__ = ["build_config", "config_diff"]


def build_config(fields: CurriculumFields) -> CurriculumConfig:
    """Validate a client's definition into a configuration, every hyper-parameter written
    out (defaults included); errors name the field at fault (never a 500 for client input)."""
    try:
        return CurriculumConfig.from_fields(fields)
    except TeacherError as exc:
        raise InvalidRequestError(str(exc)) from None


def config_diff(a: CurriculumConfig, b: CurriculumConfig) -> list[str]:
    """The configuration fields on which ``a`` and ``b`` differ."""
    ja, jb = a.to_json(), b.to_json()
    return [k for k in ja if ja[k] != jb.get(k)]
