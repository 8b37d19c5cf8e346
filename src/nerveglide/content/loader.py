"""Loads and validates the packaged content files: the only I/O in ``content``.

Each file is validated on its own first, so an error names the file and the field
(``exercises/seated-leg-kick.yaml: steps.1.sources: List should have at least 1 item``);
then the files are checked together (ids unique, citations resolve, safety rules exist).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from nerveglide.content.coverage import CoverageMap
from nerveglide.content.questionnaire import Questionnaire, QuestionnaireProblem
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import (
    EXERCISE_IDS,
    Citation,
    Exercise,
    Item,
    Library,
    SafetyContent,
    Source,
    SymptomsByLevel,
    Topic,
)
from nerveglide.errors import InvalidContent

DATA_DIR = Path(__file__).parent / "data"
CONTENT_VERSION = "2026.11.1"

M = TypeVar("M")

# libyaml's parser when PyYAML was built with it; the pure-Python one otherwise.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(InvalidContent):
    """A content file is malformed or inconsistent; ``file`` and ``field`` say where."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {problem}")


def _read_yaml(directory: Path, name: str) -> Any:
    path = directory / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(name, "", "file is missing") from None
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(name, "", f"not valid YAML: {problem}{line}") from None


def _validate(adapter: TypeAdapter[M], data: Any, name: str) -> M:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ContentError(name, field, f"{first['msg']}{more}") from None


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, object) for every model and list element under ``value``."""
    yield path, value
    if isinstance(value, BaseModel):
        for field_name in type(value).model_fields:
            child = getattr(value, field_name)
            yield from _walk(child, f"{path}.{field_name}" if path else field_name)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{path}.{index}" if path else str(index))


def _check_file(
    name: str,
    part: BaseModel,
    source_ids: set[str],
    seen_ids: dict[str, str],
) -> None:
    for path, obj in _walk(part, ""):
        if isinstance(obj, Citation) and obj.source not in source_ids:
            raise ContentError(name, f"{path}.source", f"cites unknown source {obj.source!r}")
        if isinstance(obj, Item):
            if obj.id in seen_ids:
                raise ContentError(
                    name, f"{path}.id", f"item id {obj.id!r} is also used in {seen_ids[obj.id]}"
                )
            seen_ids[obj.id] = name


def load_library(directory: Path = DATA_DIR) -> Library:
    """Load every content file under ``directory`` and validate them together."""
    sources = _validate(
        TypeAdapter(list[Source]), _read_yaml(directory, "sources.yaml"), "sources.yaml"
    )
    source_ids = {s.id for s in sources}
    if len(source_ids) != len(sources):
        raise ContentError("sources.yaml", "id", "a source id is used twice")
    seen: dict[str, str] = {}

    about = _validate(TypeAdapter(Topic), _read_yaml(directory, "about.yaml"), "about.yaml")
    _check_file("about.yaml", about, source_ids, seen)
    symptoms = _validate(
        TypeAdapter(SymptomsByLevel), _read_yaml(directory, "symptoms.yaml"), "symptoms.yaml"
    )
    _check_file("symptoms.yaml", symptoms, source_ids, seen)
    safety = _validate(
        TypeAdapter(SafetyContent), _read_yaml(directory, "safety.yaml"), "safety.yaml"
    )
    _check_file("safety.yaml", safety, source_ids, seen)
    rule_ids = {r.id for r in safety.rules}

    exercises: list[Exercise] = []
    for exercise_id in EXERCISE_IDS:
        name = f"exercises/{exercise_id}.yaml"
        exercise = _validate(TypeAdapter(Exercise), _read_yaml(directory, name), name)
        if exercise.id != exercise_id:
            raise ContentError(
                name, "id", f"is {exercise.id!r}; the file name says {exercise_id!r}"
            )
        _check_file(name, exercise, source_ids, seen)
        for index, rule in enumerate(exercise.safety_rules):
            if rule not in rule_ids:
                raise ContentError(name, f"safety_rules.{index}", f"unknown safety rule {rule!r}")
        exercises.append(exercise)
    extra = sorted(
        p.name for p in (directory / "exercises").glob("*.yaml") if p.stem not in EXERCISE_IDS
    )
    if extra:
        raise ContentError(f"exercises/{extra[0]}", "", "is not one of the known glides")

    try:
        return Library(
            sources=sources, about=about, symptoms=symptoms, safety=safety, exercises=exercises
        )
    except ValidationError as exc:  # pragma: no cover - the per-file checks catch these first
        raise ContentError("(all files)", "", str(exc.errors()[0]["msg"])) from None


def load_rules(directory: Path = DATA_DIR) -> RuleSet:
    """The safety rules, each citation checked against ``sources.yaml``."""
    sources = _validate(
        TypeAdapter(list[Source]), _read_yaml(directory, "sources.yaml"), "sources.yaml"
    )
    source_ids = {s.id for s in sources}
    name = "safety_rules.yaml"
    rules = _validate(TypeAdapter(RuleSet), _read_yaml(directory, name), name)
    for path, obj in _walk(rules, ""):
        if isinstance(obj, Citation) and obj.source not in source_ids:
            raise ContentError(name, f"{path}.source", f"cites unknown source {obj.source!r}")
    return rules


@functools.cache
def default_rules() -> RuleSet:
    """The packaged safety rules, loaded once per process."""
    return load_rules(DATA_DIR)


def load_coverage(directory: Path = DATA_DIR) -> CoverageMap:
    return _validate(
        TypeAdapter(CoverageMap), _read_yaml(directory, "coverage.yaml"), "coverage.yaml"
    )


def content_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def content_digest(directory: Path = DATA_DIR) -> str:
    """SHA-256 over every content file's relative name and bytes: the content's version."""
    digest = hashlib.sha256()
    for path in content_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def default_library() -> Library:
    """The packaged content, loaded once per process."""
    return load_library(DATA_DIR)


QUESTIONNAIRE_DIR = DATA_DIR / "questionnaires"


def _questionnaire_name(path: Path) -> tuple[Path, str]:
    """(directory, name) for ``path``: packaged files are named from the data directory
    (``questionnaires/roland-morris.yaml``); any other file by its own name."""
    try:
        relative = path.resolve().relative_to(DATA_DIR.resolve())
    except ValueError:
        return path.parent, path.name
    return DATA_DIR, relative.as_posix()


def _validate_questionnaire(data: Any, name: str) -> Questionnaire:
    try:
        return Questionnaire.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        error = first.get("ctx", {}).get("error")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        if isinstance(error, QuestionnaireProblem):
            field = ".".join(part for part in (where, error.field) if part)
            raise ContentError(name, field, f"{error.problem}{more}") from None
        raise ContentError(name, where or "(top level)", f"{first['msg']}{more}") from None


def _read_questionnaire(
    directory: Path, name: str, source_ids: set[str], stem: str
) -> Questionnaire:
    questionnaire = _validate_questionnaire(_read_yaml(directory, name), name)
    if questionnaire.id != stem:
        raise ContentError(name, "id", f"is {questionnaire.id!r}; the file name says {stem!r}")
    own: set[str] = set()
    for index, source in enumerate(questionnaire.extra_sources):
        if source.id in source_ids or source.id in own:
            raise ContentError(
                name, f"extra_sources.{index}.id", f"source id {source.id!r} is already defined"
            )
        own.add(source.id)
    known = source_ids | own
    for path, obj in _walk(questionnaire, ""):
        if isinstance(obj, Citation) and obj.source not in known:
            raise ContentError(name, f"{path}.source", f"cites unknown source {obj.source!r}")
    return questionnaire


def _source_ids(sources_file: Path) -> set[str]:
    sources = _validate(
        TypeAdapter(list[Source]),
        _read_yaml(sources_file.parent, sources_file.name),
        sources_file.name,
    )
    return {s.id for s in sources}


def load_questionnaire(
    path: Path, *, sources_file: Path = DATA_DIR / "sources.yaml"
) -> Questionnaire:
    """Load and validate one questionnaire file (a packaged one, or a clinic's own, such
    as a licensed instrument), its citations checked against ``sources_file`` and the
    file's own ``extra_sources``. Errors name the file and the field."""
    directory, name = _questionnaire_name(path)
    return _read_questionnaire(directory, name, _source_ids(sources_file), path.stem)


def load_questionnaires(
    directory: Path = QUESTIONNAIRE_DIR, *, sources_file: Path = DATA_DIR / "sources.yaml"
) -> list[Questionnaire]:
    """Every ``*.yaml`` questionnaire in ``directory``, sorted by file name; each file's
    ``id`` is its file name, so ids are unique. Errors name the file and the field."""
    source_ids = _source_ids(sources_file)
    out: list[Questionnaire] = []
    for path in sorted(directory.glob("*.yaml")):
        name = f"{directory.name}/{path.name}"
        out.append(_read_questionnaire(directory.parent, name, source_ids, path.stem))
    if not out:
        raise ContentError(directory.name, "", "no questionnaire files found")
    return out
