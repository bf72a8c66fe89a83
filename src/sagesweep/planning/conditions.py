"""Conditional parameters: ``when:`` makes a parameter exist only where another has one
of the given values.

```yaml
HyperParameters.booster:  {values: [gbtree, dart]}
HyperParameters.rate_drop: {distribution: uniform, min: 0, max: 0.3,
                            when: {HyperParameters.booster: dart}}
```

A point where the condition does not hold has no value for the parameter, and its job's
request has no such member. Rules, checked when the sweep file is read:

* ``when`` maps one or more parameter paths to a value or a list of values; all of them
  must hold (a value given as a list: any of its values);
* a path named in ``when`` is a parameter of the sweep, with ``values`` or ``range``
  (a drawn number is never equal to a given one), and unconditional itself;
* each value given is one that parameter takes;
* the conditional parameter's path is not in the template (its member exists only where
  the parameter applies);
* methods ``grid``, ``random`` and ``tpe``.

A sweep file without ``when:`` plans exactly as before: same points, same names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagesweep.planning.space import Conditions, Distribution, ParamSpec, active, same_value

__all__ = ["Conditions", "active", "check_conditions", "split_when"]


def split_when(spec: Any) -> tuple[Any, Any]:
    """A raw parameter spec without its ``when`` key, and that key's value (or None)."""
    if isinstance(spec, Mapping) and "when" in spec:
        rest = {key: value for key, value in spec.items() if key != "when"}
        return rest, spec["when"]
    return spec, None


def check_conditions(
    raw: Mapping[str, Any], parameters: Mapping[str, ParamSpec], method: str
) -> tuple[dict[str, dict[str, tuple[Any, ...]]], list[tuple[str, str, str]]]:
    """The conditions of ``raw`` (path -> its ``when`` value), checked against the parsed
    ``parameters``; problems as (parameter, field, message)."""
    conditions: dict[str, dict[str, tuple[Any, ...]]] = {}
    problems: list[tuple[str, str, str]] = []
    for path, when in raw.items():
        if method not in ("grid", "random", "tpe"):
            problems.append((path, "when", f"only for methods grid, random and tpe ({method})"))
            continue
        if not isinstance(when, Mapping) or not when:
            problems.append((path, "when", "must be {PARAMETER_PATH: VALUE or [VALUES]}"))
            continue
        needs: dict[str, tuple[Any, ...]] = {}
        for other, wanted in when.items():
            values = tuple(wanted) if isinstance(wanted, list) else (wanted,)
            where = f"when.{other}"
            spec = parameters.get(str(other))
            if other == path:
                problems.append((path, where, "a parameter cannot depend on itself"))
            elif spec is None:
                problems.append((path, where, f"{other} is not a parameter of this sweep"))
            elif other in raw:
                problems.append(
                    (
                        path,
                        where,
                        f"{other} has a when: of its own; name the "
                        "parameters it depends on instead",
                    )
                )
            elif isinstance(spec, Distribution):
                problems.append(
                    (
                        path,
                        where,
                        f"{other} is drawn from a distribution; when: "
                        "needs a parameter with values or range",
                    )
                )
            elif not values:
                problems.append((path, where, "must give at least one value"))
            else:
                taken = spec.grid()
                for value in values:
                    if not any(same_value(value, v) for v in taken):
                        problems.append((path, where, f"{other} never takes the value {value!r}"))
                needs[str(other)] = values
        conditions[path] = needs
    return conditions, problems
