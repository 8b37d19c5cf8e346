"""Progress reports: the read model (:mod:`~nerveglide.reports.model`), the plots, the PDF
and the CSV files. Everything here renders from a
:class:`~nerveglide.reports.model.ProgressReport`; nothing reads the database."""
