"""Check a Bundle against the FHIR models of ``fhir.resources``.

``fhir.resources`` (8.x) has no FHIR R4 (4.0.1) subpackage: from its 7.0 its root package
is R5, and R4 lives on as the R4B (4.3.0) subpackage, which its authors offer to R4 users
(R4B changed none of the resources nerveglide writes: Patient, CarePlan, Procedure,
Observation, QuestionnaireResponse, Bundle). So a Bundle is parsed with
``fhir.resources.R4B``: every resource in it against its own model, with FHIR's types
and cardinalities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nerveglide.errors import InvalidInput

__all__ = ["FHIR_VERSION", "validate_bundle"]

FHIR_VERSION = "4.3.0 (R4B models of fhir.resources, for R4)"


def validate_bundle(bundle: Mapping[str, Any]) -> Any:
    """The parsed ``fhir.resources.R4B`` Bundle; :class:`InvalidInput` listing the first
    problems when it is not valid."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        return Bundle.model_validate(dict(bundle))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidInput(
            f"not a valid FHIR R4 Bundle ({exc.error_count()} problems): {problems}"
        ) from None
