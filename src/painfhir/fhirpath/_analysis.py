"""What an expression reads of its focus, and its verdict on a focus without those elements.

Most constraints read a few elements of their focus and give a fixed answer when none of them
is there (dom-2, `contained.contained.empty()`, on a resource without `contained`). A
validator that knows this evaluates the expression once per type, on an empty element, and
reuses the verdict wherever those elements are absent.

`focus_members(tree)` is the set of element names the expression can reach from its focus, or
None when it uses the focus as a whole (`$this`, `%context`, `hasValue()`, `children()`, a
leading type name): then no set of names is enough. `verdict_when_absent` evaluates on an
empty element with an environment that cannot be read: if the expression needed `%resource`,
`resolve()`, `now()` or a variable on the way to its answer, there is no fixed verdict.
Given the same empty elements and no environment, the evaluation takes the same steps on any
focus lacking those elements, so the verdict is the same.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhirpath import _ast as ast
from painfhir.fhirpath._context import Run
from painfhir.fhirpath._errors import FhirPathError

# Functions whose arguments run on each item of their input, never on the focus (trace's name
# and projection do not change its result either).
_PER_ITEM = frozenset({"where", "select", "all", "exists", "repeat", "trace"})


def focus_members(tree: ast.Node) -> frozenset[str] | None:
    found: set[str] = set()
    return frozenset(found) if _collect(tree, found) else None


def _collect(tree: ast.Node, found: set[str]) -> bool:
    """Add the names `tree` reads from the focus; False if it reads the focus as a whole."""
    match tree:
        case ast.Identifier(name):
            found.add(name)
            return not name[:1].isupper()
        case ast.Member(target, _):
            return _collect(target, found)
        case ast.Call(None, name, args, _):
            # A function on `$this`: most read the whole focus; `iif(...)`, `today()`, ...
            # on it are no different, so none is trusted.
            return False
        case ast.Call(target, name, args, _) if target is not None and name in _PER_ITEM:
            return _collect(target, found) and not any(_reads_context(arg) for arg in args)
        case ast.Call(target, _, args, _) if target is not None:
            return _collect(target, found) and all(_collect(arg, found) for arg in args)
        case ast.TypeCall(target, _, _, _):
            return target is not None and _collect(target, found)
        case ast.Index(target, index):
            return _collect(target, found) and _collect(index, found)
        case ast.Unary(_, operand):
            return _collect(operand, found)
        case ast.Binary(_, left, right, _):
            return _collect(left, found) and _collect(right, found)
        case ast.Constant(name, _):
            return name != "context"
        case ast.Special(name):
            return name != "this"
    return True  # literals


def _reads_context(tree: ast.Node) -> bool:
    """Whether `%context` (the focus itself) appears anywhere in `tree`."""
    if isinstance(tree, ast.Constant):
        return tree.name == "context"
    return any(_reads_context(part) for part in _parts(tree))


def _parts(tree: ast.Node) -> tuple[ast.Node, ...]:
    match tree:
        case ast.Member(target, _) | ast.Unary(_, target):
            return (target,)
        case ast.Index(target, index):
            return (target, index)
        case ast.Call(target, _, args, _):
            return args if target is None else (target, *args)
        case ast.TypeCall(target, _, _, _):
            return () if target is None else (target,)
        case ast.Binary(_, left, right, _):
            return (left, right)
    return ()


class _EnvironmentNeededError(FhirPathError):
    pass


class _Sealed:
    """An evaluation context whose environment cannot be read (see the module docstring); its
    %context is the focus, when it is given one."""

    __slots__ = ("context", "index", "total")

    def __init__(self, focus: list[Any] | None = None) -> None:
        self.index: int | None = None
        self.total: list[Any] = []
        if focus is not None:
            self.context = focus

    def __getattr__(self, name: str) -> Any:
        raise _EnvironmentNeededError(name)


def verdict_when_absent(run: Run, focus_type: str) -> list[Any] | None:
    """The result on an empty `focus_type` element, if it needs nothing of the environment."""
    focus: list[Any] = [(focus_type, {}, None)]
    try:
        return run(focus, _Sealed())  # type: ignore[arg-type]
    except FhirPathError:
        return None


def evaluate_alone(run: Run, focus: list[Any]) -> list[Any] | None:
    """The result on `focus` if the evaluation needs nothing of the environment, None if it
    does. Up to its first look at the environment an evaluation takes the same steps with or
    without one, so a result (or an error) here is the one the environment would give."""
    try:
        return run(focus, _Sealed(focus))  # type: ignore[arg-type]
    except _EnvironmentNeededError:
        return None
