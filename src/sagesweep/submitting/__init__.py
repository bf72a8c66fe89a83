"""Submitting: a stream of planned jobs becomes created training jobs, each recorded once.

:mod:`~sagesweep.submitting.engine` sends; :mod:`~sagesweep.submitting.pacing` decides
how fast; :mod:`~sagesweep.submitting.capacity` parks instance types at their quota;
:mod:`~sagesweep.submitting.counters` counts and :mod:`~sagesweep.submitting.display`
shows the counts; :mod:`~sagesweep.submitting.assembly` builds the parts of a run and
runs them. AWS itself is reached only through :mod:`sagesweep.aws`.
"""
