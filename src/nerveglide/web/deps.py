"""Dependencies that routes declare in their signatures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from nerveglide.config import Settings
from nerveglide.content.questionnaire import Questionnaire
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.services.access import own_patient_id, patient_uow
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.web.auth import current_login, require_actor

#: Set on a request whose route changes nothing the safety rules read: the app then does
#: not re-evaluate the patient's verdict after it (web.middleware.AlertClinicians).
SAFETY_FACTS_UNCHANGED = "safety_facts_unchanged"


def changes_no_safety_fact(request: Request) -> None:
    setattr(request.state, SAFETY_FACTS_UNCHANGED, True)


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def get_rules(request: Request) -> RuleSet:
    rules: RuleSet = request.app.state.rules
    return rules


def get_questionnaires(request: Request) -> list[Questionnaire]:
    questionnaires: list[Questionnaire] = request.app.state.questionnaires
    return questionnaires


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_patient_id(request: Request) -> int:
    """The patient the logged-in person's own pages are about (themselves)."""
    return own_patient_id(require_actor(request))


def get_uow(request: Request) -> Iterator[SqlAlchemyUnitOfWork]:
    """A unit of work for the request, scoped to the logged-in patient's own data;
    routes commit through it, nothing else does."""
    actor = require_actor(request)
    uow = patient_uow(request.app.state.session_factory, actor, own_patient_id(actor))
    with uow:
        yield uow


LibraryDep = Annotated[Library, Depends(get_library)]
QuestionnairesDep = Annotated[list[Questionnaire], Depends(get_questionnaires)]
RulesDep = Annotated[RuleSet, Depends(get_rules)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_optional_uow(request: Request) -> Iterator[SqlAlchemyUnitOfWork | None]:
    """The logged-in patient's unit of work on a public page; None for anyone else."""
    login = current_login(request)
    if login is None or login.role != "patient":
        yield None
        return
    yield from get_uow(request)


UoWDep = Annotated[SqlAlchemyUnitOfWork, Depends(get_uow)]
OptionalUoWDep = Annotated[SqlAlchemyUnitOfWork | None, Depends(get_optional_uow)]
PatientIdDep = Annotated[int, Depends(get_patient_id)]
