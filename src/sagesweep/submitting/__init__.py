"""Submitting: a stream of planned jobs becomes created training jobs, each recorded once.

:mod:`~sagesweep.submitting.engine` sends; :mod:`~sagesweep.submitting.pacing` decides
how fast; :mod:`~sagesweep.submitting.capacity` parks instance types at their quota;
:mod:`~sagesweep.submitting.outage` waits out an unreachable endpoint;
:mod:`~sagesweep.submitting.identity` tells our job from another of the same name;
:mod:`~sagesweep.submitting.counters` counts and :mod:`~sagesweep.submitting.display`
shows the counts. :mod:`sagesweep.commands.launch` builds a run of them. AWS itself is
reached only through :mod:`sagesweep.aws`.
"""
