"""The planner's fast path: a compiled plan, and per-job checks of what varies only.

Every job of a :class:`~sagesweep.planning.compiled.CompiledPlan` has the same request
but for its varying leaves (swept values, per-job placeholders, its name and digest
tag). Once one of its jobs validated clean in full, the rest of every other job is
known valid, and a job needs only those leaves checked against their shapes, their
strings scanned for credentials, and the cross-field rules that read them. Any doubt
sends the job to full validation, which words the problems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sagesweep.planning.compiled import CompiledPlan
from sagesweep.planning.render import PointApplier, RenderError
from sagesweep.redaction.secrets import findings
from sagesweep.validation.model import SCANNED_MAPS, RequestValidator
from sagesweep.validation.shapes import Node, Out

__all__ = ["FastPath", "LeafChecks", "fast_path"]

# Members the cross-field rules read (spot and its stopping condition; the exclusions of
# InstancePreferences): a job varying them is checked against those rules again.
_SPOT_MEMBERS = frozenset({"EnableManagedSpotTraining", "StoppingCondition", "ResourceConfig"})
_SCANNED = frozenset(member for member, _, _ in SCANNED_MAPS)


class LeafChecks:
    """Checks a compiled plan's varying leaves; raises ValueError if it cannot."""

    __slots__ = ("_digest_leaf", "_leaves", "_name_node", "_secret_leaves", "_spot", "_validator")

    def __init__(self, plan: CompiledPlan, validator: RequestValidator) -> None:
        self._validator = validator
        places = plan.places
        self._spot = any(k[0] in _SPOT_MEMBERS for k in places)
        self._secret_leaves = tuple(
            (i, str(k[1])) for i, k in enumerate(places) if k[0] in _SCANNED and len(k) == 2
        )
        name_node = validator.node_at("TrainingJobName")
        tag_node = validator.node_at("Tags[0].Value")
        nodes = [validator.node_at(fld) for fld in plan.fields]
        if plan.user_tags is None or name_node is None or tag_node is None:
            raise ValueError("the name or the tags cannot be checked on their own")
        self._name_node: Node = name_node
        self._digest_leaf: tuple[Node, str] = (tag_node, f"Tags[{plan.user_tags + 1}].Value")
        leaves: list[tuple[Node, str]] = []
        for node, fld in zip(nodes, plan.fields, strict=True):
            if node is None:
                raise ValueError(f"no shape checks {fld} on its own")
            leaves.append((node, fld))
        self._leaves = tuple(leaves)

    def clean(
        self,
        point: Mapping[str, Any],
        request: Mapping[str, Any],
        placed: list[Any],
        digest: str,
    ) -> bool:
        """True if the job's varying leaves and cross-field rules have no problem at all.

        Valid only for a plan one of whose jobs validated clean in full: everything
        else of this job's request is the same as that job's. False means: validate
        the job in full (for the problems' messages and order).
        """
        out: Out = []
        for (node, fld), value in zip(self._leaves, placed, strict=True):
            node.check(value, fld, out)
        self._name_node.check(request["TrainingJobName"], "TrainingJobName", out)
        self._digest_leaf[0].check(digest, self._digest_leaf[1], out)
        if out:
            return False
        originals = list(point.values())
        for i, key in self._secret_leaves:
            value = placed[i]
            # A number or boolean, rendered, is never taken for a credential: only
            # strings (swept, or template strings filled per job) are scanned.
            if i < len(originals) and type(originals[i]) is not str:
                continue
            if type(value) is str and findings(key, value):
                return False
        return not (self._spot and self._validator.spot_problems(request))


@dataclass(frozen=True, slots=True)
class FastPath:
    """A compiled plan, its leaf checks, and its shared members valid on their own."""

    plan: CompiledPlan
    checks: LeafChecks | None  #: None: every job is validated in full
    known: Mapping[str, object]  #: for :meth:`RequestValidator.validate`


def fast_path(
    template: dict[str, Any],
    paths: Sequence[str],
    applier: PointApplier,
    sweep: str,
    validator: RequestValidator,
) -> FastPath | None:
    """The fast path for points that set ``paths`` (None: the general path does all)."""
    try:
        plan = CompiledPlan(template, paths, applier, sweep)
    except (RenderError, ValueError, TypeError, KeyError, IndexError):
        return None
    try:
        checks: LeafChecks | None = LeafChecks(plan, validator)
    except ValueError:
        checks = None
    return FastPath(plan, checks, validator.valid_members(plan.template))
