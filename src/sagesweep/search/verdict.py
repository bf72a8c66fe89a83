"""A rule's verdict on a job: stop it, and the data the rule decided on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a rule stops a job."""

    name: str
    step: int  #: 1-based: the job's step the rule decided at
    value: float  #: the value the rule judged (the median rule: the best so far)
    median: float | None = None  #: the median rule: the peers' median running average
    peers: int | None = None  #: the median rule: how many peers made that median

    def record(self, rule: str) -> dict[str, object]:
        """The ledger's ``pruned`` record of this verdict."""
        out: dict[str, object] = {
            "event": "pruned",
            "name": self.name,
            "rule": rule,
            "step": self.step,
            "value": self.value,
        }
        if self.median is not None:
            out["median"] = self.median
            out["peers"] = self.peers
        return out
