"""Which values of a request are secrets, and the request as sagesweep shows it.

One rule, applied wherever sagesweep prints or records a request or its parameters
(``plan``'s table and jsonl, the ledger, log events, error lines):

- **every value under** ``Environment`` is shown as ``***``. Environment variables are
  where credentials get passed, and a guess from the name or the shape would miss
  some; a job's environment is in its sweep file for whoever needs it.
- **a** ``HyperParameters`` **value or a tag's** ``Value`` is shown as ``***`` when
  the credential scan (:mod:`sagesweep.redaction.secrets`) flags it, judged with its
  key (for a tag, the tag's ``Key``). Flagged hyperparameters are refused before
  anything is sent, so they reach error lines only, masked there too.
- **free text** (AWS error messages, log events, problem lines) has credential-shaped
  runs and the request's secret values masked
  (:func:`~sagesweep.redaction.secrets.redact_text`).

Only what is shown is masked: the request sent to AWS, job names and digests are of
the real request, so a masked request does not reproduce a job's digest. What
reproduces a job is the sweep file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from sagesweep.redaction.secrets import MASK, findings, flagged_keys

__all__ = ["MASK", "redact_params", "redact_request", "secret_values"]

_ENVIRONMENT = "Environment"
_TAGS = "Tags"
_OWN_TAGS = "sagesweep:"  # the sweep's name and the request's digest: never secret
_FIRST_KEY = re.compile(r"[^.\[]*")
_TAG_VALUE = re.compile(r"Tags\[(\d+)\]\.Value")
_LAST_KEY = re.compile(r"([^.\[\]]+)\]?$")


def _flagged(key: str, value: object) -> bool:
    return isinstance(value, str) and bool(findings(key, value))


def _redact(key: str, value: Any) -> Any:
    """``value`` (judged under ``key``) with flagged strings masked; same object if none."""
    kind = type(value)
    if kind is int or kind is float or kind is bool or value is None:
        return value  # most swept values: nothing to judge
    if isinstance(value, str):
        return MASK if findings(key, value) else value
    if kind is dict or isinstance(value, Mapping):
        is_tag = len(value) == 2 and "Key" in value and "Value" in value
        if is_tag and isinstance(value["Key"], str):
            if value["Key"].startswith(_OWN_TAGS) or not _flagged(value["Key"], value["Value"]):
                return value
            return {**value, "Value": MASK}
        out: dict[Any, Any] | None = None
        for k, v in value.items():
            shown = _redact(str(k), v)
            if shown is not v:
                out = dict(value) if out is None else out
                out[k] = shown
        return value if out is None else out
    if isinstance(value, list):
        items: list[Any] | None = None
        for i, v in enumerate(value):
            shown = _redact(key, v)
            if shown is not v:
                items = list(value) if items is None else items
                items[i] = shown
        return value if items is None else items
    return value


def _masked_environment(value: Any) -> Any:
    return dict.fromkeys(value, MASK) if isinstance(value, Mapping) else MASK


def redact_request(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """``request`` as shown: the same object when nothing in it is secret."""
    # Called for every job of a plan: flat comprehensions, no copy unless needed.
    out: dict[str, Any] | None = None
    environment = request.get(_ENVIRONMENT)
    if environment is not None and isinstance(environment, Mapping) and environment:
        out = dict(request)
        out[_ENVIRONMENT] = _masked_environment(environment)
    hyperparameters = request.get("HyperParameters")
    if hyperparameters is not None and isinstance(hyperparameters, Mapping):
        flagged = flagged_keys(hyperparameters)
        if flagged:
            out = dict(request) if out is None else out
            out["HyperParameters"] = {**hyperparameters, **dict.fromkeys(flagged, MASK)}
    tags = request.get(_TAGS)
    if isinstance(tags, list) and not _plain_tags(tags):
        shown = _redact(_TAGS, tags)
        if shown is not tags:
            out = dict(request) if out is None else out
            out[_TAGS] = shown
    return request if out is None else out


def _plain_tags(tags: list[Any]) -> bool:
    """True if :func:`_redact` would mask no tag: checked without its general walk."""
    for tag in tags:
        if type(tag) is not dict or len(tag) != 2:
            return False
        key, value = tag.get("Key"), tag.get("Value")
        if type(key) is not str or type(value) is not str:
            return False
        if not key.startswith(_OWN_TAGS) and findings(key, value):
            return False
    return True


def secret_values(request: Mapping[str, Any]) -> tuple[str, ...]:
    """The strings of ``request`` the rule masks, to mask them in free text too."""
    found: list[str] = []
    environment = request.get(_ENVIRONMENT)
    if isinstance(environment, Mapping):
        found.extend(v for v in environment.values() if isinstance(v, str))
    hyperparameters = request.get("HyperParameters")
    if isinstance(hyperparameters, Mapping):
        found.extend(v for k, v in hyperparameters.items() if _flagged(str(k), v))
    tags = request.get(_TAGS)
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, Mapping) and isinstance(tag.get("Key"), str):
                value = tag.get("Value")
                if _flagged(tag["Key"], value):
                    found.append(str(value))
    return tuple(found)


def _key_for(path: str, request: Mapping[str, Any] | None) -> str:
    """The key a swept value is judged under: a tag's Key, else the path's last name."""
    tag = _TAG_VALUE.fullmatch(path)
    if tag is not None and request is not None:
        tags = request.get(_TAGS)
        index = int(tag.group(1))
        if isinstance(tags, list) and index < len(tags) and isinstance(tags[index], Mapping):
            key = tags[index].get("Key")
            if isinstance(key, str):
                return key
    if path.startswith("HyperParameters."):
        return path[len("HyperParameters.") :]  # the rest is one key, dots and all
    last = _LAST_KEY.search(path)
    return last.group(1) if last else path


def redact_params(
    params: Mapping[str, Any], request: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A job's swept ``params`` as shown; ``request`` supplies tag keys when given."""
    shown: dict[str, Any] = {}
    for path, value in params.items():
        environment, key = _judged(path)
        if environment:
            shown[path] = _masked_environment(value)
        else:
            shown[path] = _redact(_key_for(path, request) if key is None else key, value)
    return shown


@functools.lru_cache(maxsize=4096)
def _judged(path: str) -> tuple[bool, str | None]:
    """Whether ``path`` is under Environment, and its key (None: a tag's, per request).

    A sweep has a handful of paths and every job asks about each: kept, not re-parsed.
    """
    first = _FIRST_KEY.match(path)
    if first is not None and first.group() == _ENVIRONMENT:
        return True, None
    if _TAG_VALUE.fullmatch(path) is not None:
        return False, None
    return False, _key_for(path, None)
