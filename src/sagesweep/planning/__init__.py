"""Planning: a sweep file becomes a stream of validated, named ``CreateTrainingJob`` requests.

Pure and fast, no I/O but reading the sweep file. In pipeline order:
:mod:`~sagesweep.planning.config` (load the sweep file; reading and parsing in
:mod:`~sagesweep.planning.documents`, :mod:`~sagesweep.planning.files` and
:mod:`~sagesweep.planning.yamlsafe`) →
:mod:`~sagesweep.planning.space` (parameter specs and how points are drawn) →
:mod:`~sagesweep.planning.render` (a point into a request) →
:mod:`~sagesweep.planning.naming` (digests and job names) →
:mod:`~sagesweep.validation.model` (botocore's model, with
:mod:`~sagesweep.validation.shapes`, :mod:`~sagesweep.validation.javaregex` and
:mod:`~sagesweep.redaction.secrets`) →
:mod:`~sagesweep.planning.planner` (all of it, lazily, as :class:`JobSpec` values) →
:mod:`~sagesweep.planning.report` (what ``sagesweep plan`` prints, secrets masked by
:mod:`~sagesweep.redaction.redact`, which the ledger and the engine use too).
"""
