"""Check a rendered request against botocore's service model before it is sent.

Every constraint comes from the model, never re-typed here: required members,
types, string lengths, list/map sizes, numeric ranges, enums and patterns
(botocore itself checks only types, required members and minimums). On top of
the model: the managed-spot stopping rule and a credential scan of
``HyperParameters`` (error), ``Environment`` and tag values (warnings).

The planner may push a million requests through :meth:`RequestValidator.validate`,
so the shape tree is compiled once into small node objects, regexes are compiled
once, and string verdicts are memoised: a sweep repeats most of its strings.

The Java-pattern translation lives in :mod:`sagesweep.validation.javaregex`, the compiled shape
tree in :mod:`sagesweep.validation.shapes`; this module puts them behind one validator.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from typing import Any, Literal

from sagesweep.redaction import secrets
from sagesweep.validation.javaregex import compile_java_pattern
from sagesweep.validation.shapes import (
    MEMO_SIZE,
    ListNode,
    MapNode,
    Node,
    Out,
    StructureNode,
    Violation,
    compile_shape,
    key_text,
    plural,
    short_repr,
)

__all__ = [
    "SCANNED_MAPS",
    "RequestValidator",
    "Violation",
    "compile_java_pattern",
    "service_rules",
    "validator",
]


def _log() -> Any:
    # structlog costs tens of milliseconds to import, and the planning process that
    # starts before every submit logs nothing here unless the validator itself fails.
    from sagesweep.logs import get_logger

    return get_logger("sagesweep.validation.model")


# --- the public face --------------------------------------------------------------

_SPOT_FLAG = "EnableManagedSpotTraining"
_STOPPING = "StoppingCondition"
#: Where a credential is refused (SageMaker rejects it) or merely discouraged.
SCANNED_MAPS: tuple[tuple[str, Literal["error", "warning"], str], ...] = (
    ("HyperParameters", "error", "SageMaker rejects credentials in hyperparameters"),
    (
        "Environment",
        "warning",
        "environment values are readable by anyone who can describe the job",
    ),
)
_INDEX = re.compile(r"\[(\d+)\]")


class RequestValidator:
    """Validates requests of one operation; build once, call many times."""

    def __init__(self, operation: str = "CreateTrainingJob", *, service: str = "sagemaker") -> None:
        # Heavy: paid once, by the first validator built.
        import botocore.session  # type: ignore[import-untyped, unused-ignore]

        model = botocore.session.get_session().get_service_model(service)
        self.operation = operation
        self.input_shape: Any = model.operation_model(operation).input_shape
        root = compile_shape(self.input_shape, {})
        if not isinstance(root, StructureNode):
            raise TypeError(f"{operation} input is not a structure")
        self.root = root
        self._paths: dict[str, tuple[Node | None, str | None]] = {}
        self._secret_memo: dict[tuple[str, str, str], tuple[Violation, ...]] = {}

    def valid_members(self, template: Mapping[str, Any]) -> dict[str, object]:
        """The top-level members of ``template`` that are valid on their own.

        Pass the result to :meth:`validate` as ``known``: a request that shares such a
        member *object* (not an equal copy) skips re-checking it. The caller promises
        not to mutate those objects; the planner shares template subtrees this way.
        """
        members = self.root.members
        known: dict[str, object] = {}
        for key, item in template.items():
            node = members.get(key)
            if node is None:
                continue
            out: Out = []
            try:
                node.check(item, key, out)
            except Exception as exc:  # validate() reports it against the request
                _log().error("validate.internal_error", member=key, error=type(exc).__name__)
                continue
            if not out:
                known[key] = item
        return known

    def validate(
        self, request: Mapping[str, Any], *, known: Mapping[str, object] | None = None
    ) -> list[Violation]:
        """Every problem with ``request``: model constraints, cross-field rules, credentials."""
        out: list[Violation] = []
        try:
            self.root.check(request, "", out, known)
            if type(request) is dict or isinstance(request, Mapping):
                self._check_spot(request, out)
                self._scan_secrets(request, out)
                _scan_tags(request, out)
        except Exception as exc:  # a bug here, or an exotic Mapping that fails to iterate
            _log().error(
                "validate.internal_error", error=type(exc).__name__, detail=short_repr(exc)
            )
            out.append(
                Violation(
                    "",
                    f"cannot be validated: internal error {short_repr(exc)} in the validator; "
                    "please report it",
                )
            )
        return out

    def check_path(self, path: str) -> str | None:
        """None if the model allows a sweep parameter at ``path``, else what is wrong."""
        return self._resolve(path)[1]

    def node_at(self, path: str) -> Node | None:
        """The compiled shape that checks the value at ``path`` (None if there is none)."""
        return self._resolve(path)[0]

    def spot_problems(self, request: Mapping[str, Any]) -> Out:
        """The managed-spot stopping rule alone, for a request whose rest is known valid."""
        out: Out = []
        self._check_spot(request, out)
        return out

    # -- cross-field rules --------------------------------------------------------

    def _check_spot(self, request: Mapping[str, Any], out: Out) -> None:
        _check_preferences(request, out)
        out.extend(service_rules(request))
        if request.get(_SPOT_FLAG) is not True:
            return
        resources = request.get("ResourceConfig")
        if isinstance(resources, Mapping) and resources.get(_KEEP_ALIVE) is not None:
            out.append(
                Violation(
                    f"ResourceConfig.{_KEEP_ALIVE}",
                    "not allowed with EnableManagedSpotTraining: SageMaker keeps no warm "
                    "pool for managed spot training",
                )
            )
        stopping = request.get(_STOPPING)
        if not isinstance(stopping, Mapping):
            stopping = {}
        field = f"{_STOPPING}.MaxWaitTimeInSeconds"
        wait = stopping.get("MaxWaitTimeInSeconds")
        if wait is None:
            out.append(Violation(field, "required when EnableManagedSpotTraining is true"))
            return
        runtime = stopping.get("MaxRuntimeInSeconds")
        numbers = (int, float)
        if (
            isinstance(wait, numbers)
            and isinstance(runtime, numbers)
            and not isinstance(wait, bool)
            and not isinstance(runtime, bool)
            and wait < runtime
        ):
            out.append(
                Violation(
                    field,
                    f"must be at least MaxRuntimeInSeconds ({runtime}) when "
                    f"EnableManagedSpotTraining is true (got {wait})",
                )
            )

    def _scan_secrets(self, request: Mapping[str, Any], out: Out) -> None:
        memo = self._secret_memo
        for member, severity, why in SCANNED_MAPS:
            entries = request.get(member)
            if type(entries) is not dict and not isinstance(entries, Mapping):
                continue
            for key, value in entries.items():
                if not isinstance(value, str) or not isinstance(key, str):
                    continue
                # Violations are immutable, so a verdict can be handed out again.
                entry = (member, key, value)
                found = memo.get(entry)
                if found is None:
                    found = tuple(
                        Violation(
                            f"{member}.{key_text(key)}",
                            f"looks like {finding.kind} ({finding.masked}); {why}: "
                            "pass it through a secret store or an IAM role",
                            severity,
                        )
                        for finding in secrets.scan(key, value)
                    )
                    if len(memo) >= MEMO_SIZE:
                        memo.clear()
                    memo[entry] = found
                if found:
                    out.extend(found)

    # -- paths --------------------------------------------------------------------

    def _resolve(self, path: str) -> tuple[Node | None, str | None]:
        cached = self._paths.get(path)
        if cached is None:
            cached = self._walk(path)
            if len(self._paths) >= MEMO_SIZE:
                self._paths.clear()
            self._paths[path] = cached
        return cached

    def _walk(self, path: str) -> tuple[Node | None, str | None]:
        if not isinstance(path, str) or not path:
            return None, "empty parameter path"
        node: Node = self.root
        done = ""  # the part of the path already resolved, for messages
        rest = path
        while rest:
            if isinstance(node, MapNode) and not isinstance(
                node.value, StructureNode | ListNode | MapNode
            ):
                # A scalar-valued map (HyperParameters): everything left is the key.
                return node.value, None
            if rest.startswith("["):
                m = _INDEX.match(rest)
                if m is None:
                    return None, f"malformed index in {path!r}: use [n] with n a whole number"
                here = done + m.group()
                if not isinstance(node, ListNode):
                    return (
                        None,
                        f"{done!r} is a {node.kind}, not a list: {m.group()} indexes lists only",
                    )
                index = int(m.group(1))
                if node.hi is not None and index >= node.hi:
                    return (
                        None,
                        f"index {index} is out of range: {done!r} holds at most "
                        f"{plural(node.hi, 'item')}",
                    )
                node, done, rest = node.item, here, rest[m.end() :]
                continue
            if done:
                if not rest.startswith("."):
                    return None, f"malformed path {path!r}: expected '.' or '[n]' after {done!r}"
                rest = rest[1:]
            name = re.split(r"[.\[]", rest, maxsplit=1)[0]
            if not name:
                return None, f"malformed path {path!r}: empty member name"
            here = f"{done}.{name}" if done else name
            if isinstance(node, MapNode):
                node, done, rest = node.value, here, rest[len(name) :]
                continue
            if isinstance(node, ListNode):
                return None, f"{done!r} is a list: index it first, as in '{done}[0].{name}'"
            if not isinstance(node, StructureNode):
                return None, f"{done!r} is a {node.kind}: it has no member {name!r}"
            child = node.members.get(name)
            if child is None:
                hint = node.hint(name)
                if hint:
                    return None, f"unknown member {here!r}; did you mean {hint!r}?"
                return None, f"unknown member {here!r}; {node.name} has {node.member_list()}"
            node, done, rest = child, here, rest[len(name) :]
        return node, None


_TAGS_WHY = "tag values are readable by anyone who can list the job's tags"


def _scan_tags(request: Mapping[str, Any], out: Out) -> None:
    """A tag's Value is judged under its Key, and warned about like Environment."""
    tags = request.get("Tags")
    if type(tags) is not list:
        return
    for i, tag in enumerate(tags):
        if not isinstance(tag, Mapping):
            continue
        key, value = tag.get("Key"), tag.get("Value")
        if not isinstance(key, str) or not isinstance(value, str) or key.startswith("sagesweep:"):
            continue
        out.extend(
            Violation(
                f"Tags[{i}].Value",
                f"looks like {finding.kind} ({finding.masked}); {_TAGS_WHY}: "
                "pass it through a secret store or an IAM role",
                "warning",
            )
            for finding in _tag_findings(key, value)
        )


@functools.lru_cache(maxsize=MEMO_SIZE)
def _tag_findings(key: str, value: str) -> tuple[secrets.Finding, ...]:
    # A sweep repeats its tags in every job: scan each (key, value) once.
    return tuple(secrets.findings(key, value))


_BUILDING = threading.Lock()
_BUILT: list[RequestValidator] = []


def validator() -> RequestValidator:
    """The process-wide CreateTrainingJob validator (the model is loaded once).

    Thread-safe: a server's first concurrent requests wait for one build instead of
    each loading the model (tens of milliseconds of CPU apiece).
    """
    if not _BUILT:
        with _BUILDING:
            if not _BUILT:
                _BUILT.append(RequestValidator())
    return _BUILT[0]


def service_rules(request: Mapping[str, Any]) -> Out:
    """The service's rules beyond the model, each with the service's wording.

    The model lets ``InstanceCount`` be 0 (an instance-group request has no count of
    its own), but a single-type ``ResourceConfig`` needs at least one instance.
    """
    resources = request.get("ResourceConfig")
    if not isinstance(resources, Mapping) or resources.get("InstanceType") is None:
        return []
    count = resources.get("InstanceCount")
    if isinstance(count, int) and not isinstance(count, bool) and count < 1:
        return [
            Violation(
                "ResourceConfig.InstanceCount",
                f"must be at least 1 with ResourceConfig.InstanceType (got {count})",
                constraint="Member must have value greater than or equal to 1",
            )
        ]
    return []


_KEEP_ALIVE = "KeepAlivePeriodInSeconds"
#: What InstancePreferences excludes (the service's documented exclusions).
_NOT_WITH_PREFERENCES = ("InstanceType", "InstanceGroups", "InstancePlacementConfig")


def _check_preferences(request: Mapping[str, Any], out: Out) -> None:
    """``ResourceConfig.InstancePreferences`` excludes a single type and managed spot:
    SageMaker's own fallback across types is on-demand only."""
    resources = request.get("ResourceConfig")
    if not isinstance(resources, Mapping) or resources.get("InstancePreferences") is None:
        return
    for member in _NOT_WITH_PREFERENCES:
        if resources.get(member) is not None:
            out.append(
                Violation(
                    f"ResourceConfig.{member}",
                    "not allowed with ResourceConfig.InstancePreferences (SageMaker picks the "
                    "type from the preferences)",
                )
            )
    if request.get(_SPOT_FLAG) is True:
        out.append(
            Violation(
                _SPOT_FLAG,
                "not allowed with ResourceConfig.InstancePreferences: SageMaker falls back "
                "across types on demand only (use capacity_fallback for spot)",
            )
        )
