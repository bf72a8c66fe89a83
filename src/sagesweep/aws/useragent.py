"""One User-Agent string per set of features, instead of one per call.

botocore builds the User-Agent header from scratch for every request, twice (when the
request is made and again just before it is signed), sanitising every component
character by character. At hundreds of calls a second on one core that is a sixth of
the client's CPU time. The string depends only on the client's configuration, fixed for
the client's life, and on the feature ids of the call (retry mode, and the like), so
it is kept per set of feature ids: the header sent is the one botocore would build.

botocore does not offer this as an option; it is installed on one client's own
User-Agent builder and left out, with no harm but the cost, if that builder is not where
this botocore keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["reuse_user_agent"]

#: Distinct feature sets kept; a run sees a handful.
_MAX_KEPT = 64


def reuse_user_agent(client: Any) -> bool:
    """Make ``client`` reuse the User-Agent strings it built; False if it cannot."""
    try:
        from botocore.context import get_context
    except ImportError:
        return False
    creator = getattr(client, "_user_agent_creator", None)
    build: Callable[[], str] | None = getattr(creator, "to_string", None)
    if creator is None or build is None or not hasattr(creator, "_client_features"):
        return False
    kept: dict[tuple[frozenset[str], frozenset[str]], str] = {}

    def to_string() -> str:
        context = get_context()
        features = frozenset(context.features) if context is not None else frozenset()
        key = (features, frozenset(creator._client_features or ()))
        text = kept.get(key)
        if text is None:
            text = build()
            if len(kept) < _MAX_KEPT:
                kept[key] = text
        return text

    # An instance attribute: both of botocore's callers look the method up on the
    # instance, so both get the kept string.
    creator.to_string = to_string
    return True
