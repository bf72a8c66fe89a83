"""Load YAML into plain data without letting aliases expand it beyond a bound.

An alias stands for its anchored value wherever it is used, so a few hundred bytes of
YAML can stand for a billion values ("billion laughs"), and an alias used inside its
own anchor stands for a value that contains itself. PyYAML builds either cheaply (an
alias is the same object again), but everything that later walks the data pays for
every expansion. So the document is composed into its node graph first and measured
there, where each distinct node is visited once: a document whose expanded size
passes :data:`MAX_NODES`, or that contains itself, is refused before any value is
built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MAX_NODES", "YamlProblem", "YamlRefused", "load_yaml", "measure"]

#: The most values (scalars, lists and maps, each alias counted every time it is used)
#: a YAML sweep file may expand to. A sweep file of a thousand trials holds some
#: tens of thousands; an alias bomb reaches this after a few nesting levels.
MAX_NODES = 1_000_000

_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """Something refused in a YAML document, with where it is."""

    field: str  #: the path of the value in the document, "" for the top
    line: int  #: 1-based
    column: int  #: 1-based
    message: str

    def __str__(self) -> str:
        return f"line {self.line} column {self.column}: {self.message}"


class YamlRefused(ValueError):
    """The document is well-formed YAML that sagesweep will not load."""

    def __init__(self, problems: list[YamlProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def _problem(node: Node, field: str, message: str) -> YamlProblem:
    mark = node.start_mark
    return YamlProblem(field, mark.line + 1, mark.column + 1, message)


def _children(node: Node, field: str) -> Iterator[tuple[Node, str]]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            yield key, field
            yield value, f"{field}.{name}" if field else str(name)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield item, f"{field}[{i}]"


def measure(root: Node, *, limit: int = MAX_NODES) -> None:
    """Raise :class:`YamlRefused` if ``root`` contains itself or expands past ``limit``.

    Depth-first and iterative (a deep document must not exhaust Python's stack), with
    the expanded size of each distinct node memoised, so the cost is the size of the
    graph, not of its expansion.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, str, bool]] = [(root, "", False)]
    while stack:
        node, field, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            total = 1 + sum(sizes[id(child)] for child, _ in _children(node, field))
            if total > limit:
                raise YamlRefused(
                    [
                        _problem(
                            node,
                            field,
                            f"expands to more than {limit:,} values once its aliases are "
                            f"expanded; a sweep file may hold at most {limit:,}",
                        )
                    ]
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlRefused(
                [_problem(node, field, "a recursive alias: this value is nested inside itself")]
            )
        open_nodes.add(key)
        stack.append((node, field, True))
        stack.extend((child, where, False) for child, where in _children(node, field))


def load_yaml(text: str) -> Any:
    """The one document in ``text`` as plain data; :class:`YamlRefused` if unbounded.

    Parser errors (:class:`yaml.YAMLError`) pass through for the caller to word.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        measure(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
