"""FHIR R4: the progress report as a Bundle and back (:mod:`~nerveglide.fhir.mapping`),
checked with the ``fhir.resources`` models (:mod:`~nerveglide.fhir.validation`)."""
