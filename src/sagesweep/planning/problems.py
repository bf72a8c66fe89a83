"""Problems of a plan, with identical ones (same field and message) folded together.

A sweep of a million jobs with one bad value shows one line for it, naming the first
job it was found in and how many other jobs share it.
"""

from __future__ import annotations

from sagesweep.errors import DEFAULT_MAX_PROBLEMS, PlanError, Problem

__all__ = ["TEMPLATE", "ProblemLog"]

#: The subject of a problem of the template itself, whichever job it showed in.
TEMPLATE = "template"


class ProblemLog:
    """Folds identical problems (same field and message) across jobs into one line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._first: dict[tuple[str, str], Problem] = {}
        self._count: dict[tuple[str, str], int] = {}

    def __bool__(self) -> bool:
        return bool(self._first)

    def reported(self, fld: str) -> bool:
        """Whether a problem of ``fld`` is already reported (with any message)."""
        return any(key[0] == fld for key in self._first)

    def add(self, subject: str, fld: str, message: str) -> None:
        key = (fld, message)
        if key not in self._first:
            self._first[key] = Problem(self.source, subject, fld, message)
            self._count[key] = 0
        self._count[key] += 1

    def lines(self) -> list[Problem]:
        out = []
        for key, problem in self._first.items():
            more = self._count[key] - 1
            if more and problem.subject != TEMPLATE:  # the template's: once, whoever shows it
                suffix = f" (and {more} other job{'s' if more != 1 else ''})"
                problem = Problem(
                    problem.source, problem.subject, problem.field, problem.message + suffix
                )
            out.append(problem)
        return out

    def error(self) -> PlanError:
        lines = self.lines()
        return PlanError(lines, max_shown=DEFAULT_MAX_PROBLEMS, total=len(lines))
