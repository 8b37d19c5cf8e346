"""Dependencies that routes declare in their signatures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from nerveglide.config import Settings
from nerveglide.content.questionnaire import Questionnaire
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.services.uow import SqlAlchemyUnitOfWork


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


def get_uow(request: Request) -> Iterator[SqlAlchemyUnitOfWork]:
    """A unit of work for the request; routes commit through it, nothing else does."""
    uow = SqlAlchemyUnitOfWork(request.app.state.session_factory)
    with uow:
        yield uow


LibraryDep = Annotated[Library, Depends(get_library)]
QuestionnairesDep = Annotated[list[Questionnaire], Depends(get_questionnaires)]
RulesDep = Annotated[RuleSet, Depends(get_rules)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
UoWDep = Annotated[SqlAlchemyUnitOfWork, Depends(get_uow)]
