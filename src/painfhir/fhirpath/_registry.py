"""The function table, and the three shapes a function comes in.

A function step is `(input, this, context) -> result`: `input` is the collection it is invoked
on, `this` is `$this` where it stands, for evaluating its arguments. Functions are declared
with the decorator for their shape:

- `@function("count")`: no arguments;
- `@function("substring", 1, 2, arguments="values")`: arguments evaluated once, on `$this`;
- `@function("where", 1, arguments="lambdas")`: arguments compiled, and run by the function
  with `$this` set to each item of the input (or as it needs, like `iif`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from painfhir.fhirpath import _ast as ast
from painfhir.fhirpath._context import Context, Run
from painfhir.fhirpath._errors import FhirPathEvaluationError

Step = Callable[[list[Any], list[Any], Context], list[Any]]
Compile = Callable[[ast.Node], Run]
Arguments = Literal["none", "values", "lambdas"]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    min_args: int
    max_args: int
    build: Callable[[tuple[ast.Node, ...], Compile], Step]


FUNCTIONS: dict[str, Function] = {}

TRUE: list[Any] = [True]
FALSE: list[Any] = [False]
# Results are never changed in place anywhere in the engine, so constants can be shared.


def boolean(value: bool | None) -> list[Any]:
    return [] if value is None else (TRUE if value else FALSE)


def function(
    name: str, min_args: int = 0, max_args: int | None = None, *, arguments: Arguments = "none"
) -> Callable[[Callable[..., list[Any]]], Callable[..., list[Any]]]:
    upper = min_args if max_args is None else max_args

    def register(implementation: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        FUNCTIONS[name] = Function(name, min_args, upper, _builder(implementation, arguments))
        return implementation

    return register


def _builder(
    implementation: Callable[..., list[Any]], arguments: Arguments
) -> Callable[[tuple[ast.Node, ...], Compile], Step]:
    def build(args: tuple[ast.Node, ...], compile_: Compile) -> Step:
        runs = tuple(compile_(arg) for arg in args)
        if arguments == "none":
            return lambda items, _this, context: implementation(items, context)
        if arguments == "lambdas":
            return lambda items, _this, context: implementation(items, runs, context)

        if all(isinstance(arg, ast.Literal) for arg in args):
            # Literal arguments (`startsWith('#')`, `extension('http://...')`) are the
            # common case: evaluated once, here, rather than on every call.
            constants = [[cast(ast.Literal, arg).value] for arg in args]
            return lambda items, _this, context: implementation(items, constants, context)

        def with_values(items: list[Any], this: list[Any], context: Context) -> list[Any]:
            return implementation(items, [run(this, context) for run in runs], context)

        return with_values

    return build


def single(items: list[Any], what: str) -> Any:
    """The one item of a collection where the specification wants at most one; None if empty."""
    if not items:
        return None
    if len(items) > 1:
        raise FhirPathEvaluationError(f"{what} needs a single item, not {len(items)}")
    return items[0]


def truth(items: list[Any], what: str) -> bool | None:
    """A collection where a Boolean is wanted, as FHIRPath's singleton evaluation says: empty
    is unknown (None), a Boolean is itself, any other single item is true."""
    if not items:
        return None
    if len(items) > 1:
        raise FhirPathEvaluationError(f"{what} needs a single Boolean, not {len(items)} items")
    item = items[0]
    if type(item) is bool:
        return item
    if type(item) is tuple and item[0] == "boolean":
        return item[1] if type(item[1]) is bool else None
    return True


def each(items: list[Any], run: Run, context: Context) -> list[list[Any]]:
    """`run` on every item as `$this` (with `$index`), one result per item."""
    outer = context.index
    results = []
    for index, item in enumerate(items):
        context.index = index
        results.append(run([item], context))
    context.index = outer
    return results
