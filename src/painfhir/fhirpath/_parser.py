"""FHIRPath text to syntax tree: a precedence-climbing parser over the N1 grammar.

Operator precedence, loosest first: `implies`; `or` `xor`; `and`; `in` `contains`; `=` `~` `!=`
`!~`; `<` `<=` `>` `>=`; `|`; `is` `as`; `+` `-` `&`; `*` `/` `div` `mod`; unary `+` `-`;
then `.` and `[]`. All binary operators are left-associative.
"""

from __future__ import annotations

from decimal import Decimal

from painfhir.fhirpath import _ast as ast
from painfhir.fhirpath._errors import FhirPathSyntaxError
from painfhir.fhirpath._lexer import Token, tokenize
from painfhir.fhirpath._quantity import CALENDAR_UNITS, literal
from painfhir.fhirpath._temporal import Temporal, parse_date_time, parse_time

_BINARY = {
    "implies": 1, "or": 2, "xor": 2, "and": 3, "in": 4, "contains": 4,
    "=": 5, "~": 5, "!=": 5, "!~": 5, "<": 6, "<=": 6, ">": 6, ">=": 6,
    "|": 7, "is": 8, "as": 8, "+": 9, "-": 9, "&": 9, "*": 10, "/": 10, "div": 10, "mod": 10,
}  # fmt: skip
_KEYWORD_OPERATORS = frozenset(op for op in _BINARY if op.isalpha())
_TYPE_FUNCTIONS = frozenset({"is", "as", "ofType"})


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = tokenize(expression)
        self.at = 0

    # --- tokens ---

    def _peek(self) -> Token:
        return self.tokens[self.at]

    def _next(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _is(self, text: str, kind: str = "symbol") -> bool:
        token = self.tokens[self.at]
        return token.kind == kind and token.text == text and not token.delimited

    def _expect(self, text: str) -> Token:
        if not self._is(text):
            raise self._error(f"expected {text!r}")
        return self._next()

    def _error(self, message: str, token: Token | None = None) -> FhirPathSyntaxError:
        token = token or self._peek()
        found = repr(token.text) if token.kind != "end" else "the end"
        return FhirPathSyntaxError(f"{message}, found {found}", self.expression, token.position)

    def _operator(self) -> str | None:
        token = self._peek()
        if token.kind == "symbol" and token.text in _BINARY:
            return token.text
        if token.kind == "identifier" and not token.delimited and token.text in _KEYWORD_OPERATORS:
            return token.text
        return None

    # --- grammar ---

    def parse(self) -> ast.Node:
        if self._peek().kind == "end":
            raise self._error("expected an expression")
        tree = self._expression(1)
        if self._peek().kind != "end":
            raise self._error("expected an operator or the end")
        return tree

    def _expression(self, loosest: int) -> ast.Node:
        tree = self._unary()
        while (operator := self._operator()) is not None and _BINARY[operator] >= loosest:
            token = self._next()
            if operator in ("is", "as"):
                tree = ast.TypeCall(tree, operator, self._type_specifier(), token.position)
                continue
            right = self._expression(_BINARY[operator] + 1)
            tree = ast.Binary(operator, tree, right, token.position)
        return tree

    def _unary(self) -> ast.Node:
        if self._is("+") or self._is("-"):
            operator = self._next().text
            return ast.Unary(operator, self._unary())
        return self._postfix(self._term())

    def _postfix(self, tree: ast.Node) -> ast.Node:
        while True:
            if self._is("."):
                self._next()
                tree = self._invocation(tree)
            elif self._is("["):
                self._next()
                index = self._expression(1)
                self._expect("]")
                tree = ast.Index(tree, index)
            else:
                return tree

    def _term(self) -> ast.Node:
        token = self._peek()
        if token.kind == "number":
            return self._number()
        if token.kind == "string":
            self._next()
            return ast.Literal(token.text)
        if token.kind == "date":
            self._next()
            return ast.Literal(self._temporal(token))
        if token.kind == "constant":
            self._next()
            return ast.Constant(token.text, token.position)
        if token.kind == "special":
            self._next()
            return ast.Special(token.text)
        if token.kind == "identifier" and not token.delimited and token.text in ("true", "false"):
            self._next()
            return ast.Literal(token.text == "true")
        if self._is("("):
            self._next()
            tree = self._expression(1)
            self._expect(")")
            return tree
        if self._is("{"):
            self._next()
            self._expect("}")
            return ast.EmptySet()
        if token.kind == "identifier":
            return self._invocation(None)
        raise self._error("expected a term")

    def _number(self) -> ast.Node:
        token = self._next()
        number: int | Decimal = Decimal(token.text) if "." in token.text else int(token.text)
        unit = self._peek()
        if unit.kind == "string":
            self._next()
            return ast.Literal(literal(number, unit.text))
        if unit.kind == "identifier" and not unit.delimited and unit.text in CALENDAR_UNITS:
            self._next()
            return ast.Literal(literal(number, unit.text, calendar=True))
        return ast.Literal(number)

    def _temporal(self, token: Token) -> Temporal:
        text = token.text
        if text.startswith("T"):
            value = parse_time(text[1:])
        elif text.endswith("T"):  # `@2020-01-01T` is a DateTime to day precision
            value = parse_date_time(text[:-1], "DateTime")
        else:  # with a time it is a DateTime, without one a Date
            value = parse_date_time(text, "Date")
        if value is None:
            raise self._error("not a valid date or time", token)
        return value

    def _invocation(self, target: ast.Node | None) -> ast.Node:
        token = self._next()
        if token.kind != "identifier":
            raise self._error("expected a name", token)
        if not self._is("("):
            if target is None:
                return ast.Identifier(token.text)
            return ast.Member(target, token.text)
        self._next()
        if token.text in _TYPE_FUNCTIONS and not token.delimited:
            type_ = self._type_specifier()
            self._expect(")")
            return ast.TypeCall(target, token.text, type_, token.position)
        args: list[ast.Node] = []
        while not self._is(")"):
            if args and not self._is(","):
                raise self._error("expected ',' or ')'")
            if args:
                self._next()
            args.append(self._expression(1))
        self._next()
        return ast.Call(target, token.text, tuple(args), token.position)

    def _type_specifier(self) -> ast.TypeSpecifier:
        token = self._next()
        if token.kind != "identifier":
            raise self._error("expected a type name", token)
        if self._is("."):
            self._next()
            name = self._next()
            if name.kind != "identifier":
                raise self._error("expected a type name", name)
            return ast.TypeSpecifier(token.text, name.text)
        return ast.TypeSpecifier(None, token.text)


def parse(expression: str) -> ast.Node:
    """The syntax tree of `expression`; FhirPathSyntaxError if it is not FHIRPath."""
    return _Parser(expression).parse()
