"""Load YAML into plain data: YAML 1.2 core schema, bounded, each key once.

**Scalars are resolved as YAML 1.2's core schema does**, not as YAML 1.1 (PyYAML's
default): ``NO``, ``yes``, ``on`` and ``off`` are strings, ``010`` is ten, ``1:30`` is a
string; only ``true``/``false`` (any case style) are booleans. YAML 1.1 would send
``country: NO`` as ``"false"`` and ``run: 010`` as ``"8"`` without a word, and a
warning would still leave the wrong value in the request; the 1.2 rules read a sweep
file the way it reads, and the way JSON (a subset of YAML 1.2) already does. Dates
are still recognised, to be refused with a hint to quote them (see
:mod:`sagesweep.planning.config`): tools disagree on them. What no schema can keep is
the text of a number: ``1.10`` is the number 1.1 in YAML, JSON and TOML alike, and a
``HyperParameters``/``Environment`` value is sent as text, so a number there that
would be sent as different text than written (``1.10`` as ``1.1``, ``010`` as ``10``)
gets a warning naming its line and path.

**Duplicate keys are refused** with both lines: YAML forbids them, and PyYAML would
silently keep the last.

**Aliases are bounded.** An alias stands for its anchored value wherever it is used,
so a few hundred bytes of YAML can stand for a billion values ("billion laughs"), and
an alias used inside its own anchor stands for a value that contains itself. PyYAML
builds either cheaply (an alias is the same object again), but everything that later
walks the data pays for every expansion. So the document is composed into its node
graph first and checked there, where each distinct node is visited once: a document
whose expanded size passes :data:`MAX_NODES`, or that contains itself, is refused
before any value is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_NODES",
    "Loaded",
    "YamlProblem",
    "YamlRefused",
    "dump_yaml",
    "load_yaml",
    "measure",
]

#: The most values (scalars, lists and maps, each alias counted every time it is used)
#: a YAML sweep file may expand to. A sweep file of a thousand trials holds some
#: tens of thousands; an alias bomb reaches this after a few nesting levels.
MAX_NODES = 1_000_000

_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
#: A decimal whose written fraction ends in a zero the number cannot keep (1.10, 2.50).
_TRAILING_ZERO = re.compile(r"[-+]?[0-9]*\.[0-9]*[0-9]0")
#: Where a value is sent as text (the string maps), and not a distribution's bound.
_TEXT_FIELD = re.compile(r"(?:^|\.)(?:HyperParameters|Environment)\.")
_BOUND = re.compile(r"\.(?:min|max|mu|sigma|q)$|\.(?:range|probabilities)\[\d+\]$")

# The core schema's implicit resolvers (YAML 1.2.2, section 10.3.2), plus merge keys,
# which most YAML users expect, and timestamps, which are refused later on purpose.
_CORE_RESOLVERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("null", r"^(?:~|null|Null|NULL|)$", ("~", "n", "N", "")),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", tuple("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", tuple("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        tuple("-+0123456789."),
    ),
    ("merge", r"^(?:<<)$", ("<",)),
    (
        "timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        tuple("0123456789"),
    ),
)


def _int(text: str) -> int:
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # "010" is ten: YAML 1.2 has no implicit octal


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    return _int(str(loader.construct_scalar(node)))


_LoaderType = type[yaml.SafeLoader] | type[yaml.CSafeLoader]


def _core_schema(cls: _LoaderType) -> _LoaderType:
    """Make a loader class resolve plain scalars by the core schema instead of YAML 1.1."""
    cls.yaml_implicit_resolvers = {}
    for name, pattern, first in _CORE_RESOLVERS:
        cls.add_implicit_resolver(_TAG + name, re.compile(pattern, re.X), list(first))
    cls.add_constructor(_TAG + "int", _construct_int)
    return cls


class _CoreLoader(yaml.SafeLoader):
    """PyYAML's safe loader on the core schema."""


_Loader: _LoaderType = _core_schema(_CoreLoader)
if getattr(yaml, "__with_libyaml__", False):

    class _CoreCLoader(yaml.CSafeLoader):
        """The same on libyaml's parser, several times faster where PyYAML was built with it."""

    _Loader = _core_schema(_CoreCLoader)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A YAML document's data, and what deserves a warning in it."""

    data: Any
    warnings: tuple[str, ...] = ()


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


def measure(
    root: Node,
    *,
    limit: int = MAX_NODES,
    visit: Callable[[Node, str], None] | None = None,
) -> None:
    """Raise :class:`YamlRefused` if ``root`` contains itself or expands past ``limit``.

    Depth-first and iterative (a deep document must not exhaust Python's stack), with
    the expanded size of each distinct node memoised, so the cost is the size of the
    graph, not of its expansion. ``visit`` sees each distinct node once, with the path
    it was first reached by.
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
        if visit is not None:
            visit(node, field)
        stack.append((node, field, True))
        stack.extend((child, where, False) for child, where in _children(node, field))


class _Inspector:
    """Duplicate keys, and numbers in text fields that would be sent as other text."""

    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []
        self.warnings: list[YamlProblem] = []

    def __call__(self, node: Node, field: str) -> None:
        if isinstance(node, MappingNode):
            self._keys(node, field)
        elif (
            isinstance(node, ScalarNode)
            and not node.style  # plain: None from PyYAML's parser, '' from libyaml's
            and _TEXT_FIELD.search(field)
            and not _BOUND.search(field)
        ):
            self._number(node, field)

    def _keys(self, node: MappingNode, field: str) -> None:
        first: dict[tuple[str, str], Node] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE:
                continue  # merged keys may be overridden: that is what merging is for
            seen = first.setdefault((key.tag, key.value), key)
            if seen is not key:
                self.problems.append(
                    _problem(
                        key,
                        field,
                        f"duplicate key {key.value!r} (first on line "
                        f"{seen.start_mark.line + 1}); a key may appear once",
                    )
                )

    def _number(self, node: ScalarNode, field: str) -> None:
        text = node.value
        if node.tag == _TAG + "int":
            try:
                sent = str(_int(text))
            except ValueError:  # too many digits: the constructor will say so
                return
            if sent == text:
                return
        elif node.tag == _TAG + "float" and _TRAILING_ZERO.fullmatch(text):
            sent = repr(float(text))
        else:
            return
        self.warnings.append(
            _problem(
                node,
                field,
                f"{text} is a number and is sent as {sent!r}; quote it to send {text!r}",
            )
        )


def _lines(found: list[YamlProblem]) -> list[YamlProblem]:
    return sorted(found, key=lambda p: (p.line, p.column))


def load_yaml(text: str) -> Loaded:
    """The one document in ``text`` as plain data, with warnings.

    Raises :class:`YamlRefused` for what is refused here; parser errors
    (:class:`yaml.YAMLError`) pass through for the caller to word.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Loaded(None)
        inspector = _Inspector()
        measure(node, visit=inspector)
        if inspector.problems:
            raise YamlRefused(_lines(inspector.problems))
        warnings = tuple(f"{p.field}: {p}" for p in _lines(inspector.warnings))
        return Loaded(loader.construct_document(node), warnings)
    finally:
        loader.dispose()


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting any string YAML 1.1 *or* the core schema would
    read as something else (``1e-5``, ``0o17``, ``yes``, ``010``): the file then reads
    back the same here and in any other YAML tool."""


for _name, _pattern, _first in _CORE_RESOLVERS:
    _Dumper.add_implicit_resolver(_TAG + _name, re.compile(_pattern, re.X), list(_first))


def dump_yaml(data: Any) -> str:
    """``data`` as block-style YAML that :func:`load_yaml` reads back as ``data``.

    Keys keep their order; long strings stay on one line. Text outside ASCII is
    written as escapes: PyYAML writes some of it (NEL, the Unicode line separators)
    raw inside quotes, where a reader folds it into a space.
    """
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=1 << 16,
    )
