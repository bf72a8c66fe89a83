"""A realistic local SageMaker: moto's backend in server mode plus a realism layer.

moto alone overwrites duplicate job names, accepts invalid ones, never throttles,
has no quotas, creates jobs already ``Completed`` and cannot stop them. The layer in
:mod:`sagesweep.mock.app` adds all of that, plus fault injection, and counts what
it did (:class:`MockStats`) so a client's exactly-once claims can be checked.

Two ways in: ``sagesweep mock`` (:func:`serve_forever`) as a process, and
``with MockServer(...)`` in-process (``MockServer(...).start()`` / ``.stop()`` where a
``with`` block does not fit, as in a pytest fixture).
"""

from sagesweep.mock.config import MockConfig, parse_fail_reasons, parse_job_seconds, parse_quotas
from sagesweep.mock.persist import StateFileError
from sagesweep.mock.server import MockServer, serve_forever
from sagesweep.mock.stats import MockStats

__all__ = [
    "MockConfig",
    "MockServer",
    "MockStats",
    "StateFileError",
    "parse_fail_reasons",
    "parse_job_seconds",
    "parse_quotas",
    "serve_forever",
]
