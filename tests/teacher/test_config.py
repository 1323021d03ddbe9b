"""One curriculum configuration: the teacher library's type, the wire schema derived from it."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import teacher
from teacher import CurriculumConfig, CurriculumFields, TeacherError
from teacher.config import MAX_PARAM_DEPTH

ROOT = Path(__file__).resolve().parents[2]


def _module_imports(path: Path) -> set[str]:
    """Top-level modules imported when ``path`` is imported (not inside functions)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_config_module_is_light():
    allowed_ours = {"teacher.errors", "teacher.space"}
    for name in _module_imports(ROOT / "teacher" / "config.py"):
        root = name.split(".")[0]
        assert name in allowed_ours or root in {
            "__future__", "math", "dataclasses", "typing", "numpy", "pydantic", "pydantic_core",
        }, name


def test_fields_and_config_declare_the_same_fields():
    recorded = [f.name for f in dataclasses.fields(CurriculumConfig)]
    assert set(CurriculumFields.model_fields) == set(recorded) - {"params_version"}
    config = CurriculumConfig.from_fields(CurriculumFields(name="c", space={"a": (0.0, 1.0)}))
    assert list(config.to_json()) == recorded
    assert CurriculumConfig.from_json(config.to_json()) == config


def test_from_fields_writes_every_hyper_parameter_and_stamps_the_version():
    fields = CurriculumFields(name="c", teacher="random", space={"a": (0.0, 1.0)}, seed=3)
    config = CurriculumConfig.from_fields(fields)
    assert config.params_version == teacher.teacher_class("random").params_version
    assert config.teacher_params == config.resolved().teacher_params
    assert config.space.names == ("a",) and config.seed == 3


@pytest.mark.parametrize(
    ("update", "match"),
    [
        ({"space": {"a": (1.0, 0.0)}}, r"^space: "),
        ({"teacher": "nope"}, "nope"),
        ({"reward_bounds": (1.0, 0.0)}, r"^reward_bounds must be \[low, high\] with low < high"),
        ({"teacher_params": {"no_such": 1}}, r"^teacher_params"),
        ({"teacher_params": {"random_state": 1}}, r"^teacher_params must not contain"),
    ],
)
def test_from_fields_names_the_field_at_fault(update, match):
    fields = CurriculumFields(name="c", space={"a": (0.0, 1.0)}).model_copy(update=update)
    with pytest.raises(TeacherError, match=match):
        CurriculumConfig.from_fields(fields)


def test_the_wire_schema_is_the_library_type():
    schemas = pytest.importorskip("server.schemas")
    assert issubclass(schemas.CurriculumCreate, CurriculumFields)
    assert set(schemas.CurriculumCreate.model_fields) == set(CurriculumFields.model_fields)
    out = set(schemas.CurriculumConfigOut.model_fields)
    assert out == set(CurriculumFields.model_fields) - {"name"}
    assert schemas.MAX_PARAM_DEPTH == MAX_PARAM_DEPTH


def test_hostile_fields_are_refused_by_the_library_type():
    import pydantic

    bad = [
        {"name": "a\x00b", "space": {"a": (0.0, 1.0)}},
        {"name": "c", "space": {"a": (0.0, 1.0)}, "seed": 2**63},
        {"name": "c", "space": {"a": (0.0, 1e-12)}},
        {"name": "c", "space": {"a": (0.0, 1.0)}, "teacher_params": {"x": [[[[[[[[[[1]]]]]]]]]]}},
        {"name": "c", "space": {"a": (0.0, 1.0)}, "params_version": 1},
    ]
    for data in bad:
        with pytest.raises(pydantic.ValidationError):
            CurriculumFields.model_validate(data)
