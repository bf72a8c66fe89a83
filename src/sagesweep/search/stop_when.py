"""``stop_when``: whether a search has done enough, told each job's final value in turn.

* ``target``: the best value so far reached it (``>=`` when maximising, ``<=`` when
  minimising).
* ``not_improving: N``: after the N most recent endings, the best value is no more than
  1 % better than the best before them. Every final ending counts as one of the N (a
  failed or stopped job improves nothing); there is no decision before N + 1 endings,
  and none while no job has a value.

The verdict depends only on the endings in the order they came, so a resumed run, told
the earlier runs' endings first, decides as the interrupted one would have.
"""

from __future__ import annotations

from collections import deque

from sagesweep.planning.stopping import StopWhen

__all__ = ["IMPROVEMENT", "SearchStop"]

#: What counts as improving, relative to the best before.
IMPROVEMENT = 0.01


class SearchStop:
    """Told every final value (None: the job has none); says when and why to stop."""

    def __init__(self, rule: StopWhen, *, maximize: bool, metric: str) -> None:
        self.rule = rule
        self._maximize = maximize
        self.metric = metric  #: the objective's metric, whose final values are told
        self._best: float | None = None
        # The best after each of the last N + 1 endings (None: no value yet).
        window = (rule.not_improving or 0) + 1
        self._bests: deque[float | None] = deque(maxlen=window)
        self.reason: str | None = None  #: why the search stops, once it does

    def _better(self, a: float, b: float) -> bool:
        return a > b if self._maximize else a < b

    def ended(self, name: str, value: float | None) -> str | None:
        """Tell one final ending; the reason to stop, the first time there is one."""
        if self.reason is not None:
            return None
        if value is not None and (self._best is None or self._better(value, self._best)):
            self._best = value
        self._bests.append(self._best)
        target = self.rule.target
        if target is not None and self._best is not None and not self._better(target, self._best):
            self.reason = (
                f"stop_when target reached: {self.metric} {self._best:.6g} (job {name}), "
                f"target {target:g}"
            )
            return self.reason
        patience = self.rule.not_improving
        if patience is not None and len(self._bests) == patience + 1:
            before, now = self._bests[0], self._bests[-1]
            if before is not None and now is not None:
                gain = (now - before) if self._maximize else (before - now)
                if gain <= IMPROVEMENT * abs(before):
                    self.reason = (
                        f"stop_when not_improving: the last {patience} ended jobs improved "
                        f"the best {self.metric} by {gain:.4g} (≤ 1 % of {before:.6g})"
                    )
                    return self.reason
        return None
