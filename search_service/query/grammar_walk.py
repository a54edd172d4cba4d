"""luqum's grammar, walked over a query's tokens to find the first one that cannot stand where it is. Pure.

No tree is built: one pass and no recursion, so any string, however deeply nested, is diagnosed without
raising. The sentences naming each problem are in syntax_problems.py.
"""

from search_service.query import syntax_problems as problems
from search_service.query.syntax_problems import SyntaxProblem, Token

_BINARY = frozenset({"AND_OP", "OR_OP"})
_PREFIXES = frozenset({"NOT", "PLUS", "MINUS"})
_COMPARISONS = frozenset({"LESSTHAN", "GREATERTHAN"})


class GrammarWalk:
    """An operand is a word, a phrase, a regular expression, a range, a group or `<`/`>` with a bound; before it
    may come NOT, + or - and `field:`; after it ~ (after a word or a phrase only) and ^. Between operands
    AND, OR or nothing (an implicit operator).
    """

    def __init__(self, query: str, tokens: list[Token], *, complete: bool) -> None:
        self.query = query
        self.tokens = tokens
        self.complete = complete  # False: the lexer refused a character, so the end is not the query's end
        self.index = 0
        self.open_groups: list[Token] = []

    def problem(self) -> SyntaxProblem | None:
        # `wanting`: the token after which an operand must come (None at the start and after an implicit
        # operator, where anything that can start an operand may come and nothing is owed at the end).
        wanting: Token | None = None
        while True:
            token = self._next()
            if token is None:
                return self._end(wanting)
            read = self._operand(token, wanting)
            if isinstance(read, SyntaxProblem):
                return read
            if read in ("field", "prefix", "group"):  # the operand is still to come
                wanting = self.tokens[self.index - 1]
                continue
            after = self._after_operand(read)
            if isinstance(after, SyntaxProblem):
                return after
            wanting = after  # an operator, or None for an implicit operator or the end

    def _next(self) -> Token | None:
        if self.index >= len(self.tokens):
            return None
        self.index += 1
        return self.tokens[self.index - 1]

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _end(self, wanting: Token | None) -> SyntaxProblem | None:
        if not self.complete:
            return None  # the refused character is the problem (diagnose_syntax)
        if wanting is None or wanting.type == "LPAREN":
            return problems.unclosed_group(self.query, self.open_groups[-1]) if self.open_groups else None
        if wanting.type == "COLUMN":
            return self._field_without_value(wanting)
        return problems.nothing_after(self.query, wanting)

    def _operand(self, token: Token, wanting: Token | None) -> SyntaxProblem | str:
        """Read the operand `token` starts: its kind (word, phrase, other), or field, prefix or group when the
        operand is still to come, or the problem."""
        kind = token.type
        if kind == "TERM":
            following = self._peek()
            if following is not None and following.type == "COLUMN":
                self.index += 1
                return "field"
            return "word"
        if kind == "PHRASE":
            return "phrase"
        if kind in ("REGEX", "TO"):  # TO outside a range is a word, but takes no ~ in luqum's grammar
            return "other"
        if kind in _PREFIXES:
            return "prefix"
        if kind == "LPAREN":
            self.open_groups.append(token)
            return "group"
        if kind == "LBRACKET":
            return self._range(token)
        if kind in _COMPARISONS:
            bound = self._next()
            if bound is None and not self.complete:
                return "other"
            if bound is None or bound.type not in ("TERM", "PHRASE"):
                return problems.comparison_without_value(self.query, token)
            return "other"
        return self._misplaced(token, wanting)

    def _after_operand(self, read: str) -> SyntaxProblem | Token | None:
        """After an operand: its ~ and ^, closing parentheses, then AND or OR (returned: an operand must follow),
        or None (the end, or an implicit operator before the next operand)."""
        while (token := self._peek()) is not None:
            kind = token.type
            problem: SyntaxProblem | None
            if kind == "APPROX":
                problem = problems.bad_approx(self.query, token, read)
                read = "approximate"
            elif kind == "BOOST":
                problem = problems.bad_boost(self.query, token)
                read = "boosted"
            elif kind == "RPAREN":
                problem = None if self.open_groups else problems.closes_nothing(self.query, token)
                if self.open_groups:
                    self.open_groups.pop()
                read = "other"
            elif kind in _BINARY:
                self.index += 1
                return token
            elif kind == "COLUMN":
                problem = problems.lone_colon(self.query, token)
            elif kind == "RBRACKET":
                problem = problems.closes_no_range(self.query, token)
            else:
                return None  # an implicit operator: the next operand follows
            if problem is not None:
                return problem
            self.index += 1
        return None

    def _range(self, opening: Token) -> SyntaxProblem | str:
        """`[low TO high]`, either bracket a brace; each bound a word or a phrase, a word perhaps after a -."""
        for expected in ("bound", "TO", "bound", "end"):
            token = self._next()
            if expected == "bound" and token is not None and token.type == "MINUS":
                token = self._next()
            if token is None:
                return "other" if not self.complete else problems.range_never_closed(self.query, opening)
            fits = {"bound": ("TERM", "PHRASE"), "TO": ("TO",), "end": ("RBRACKET",)}[expected]
            if token.type not in fits:
                return problems.range_misfit(self.query, token, opening)
        return "other"

    def _misplaced(self, token: Token, wanting: Token | None) -> SyntaxProblem:
        """`token` came where an operand should start."""
        kind = token.type
        if wanting is not None and wanting.type == "COLUMN":
            return self._field_without_value(wanting)
        if kind == "RPAREN":
            if wanting is None:
                return problems.closes_nothing(self.query, token)
            if wanting.type == "LPAREN":
                return problems.empty_group(self.query, wanting)
            return problems.nothing_after(self.query, wanting)
        if kind in _BINARY:
            if wanting is None or wanting.type == "LPAREN":
                return problems.operator_without_left(self.query, token)
            return problems.operators_adjacent(self.query, token, wanting)
        if kind == "COLUMN":
            return problems.lone_colon(self.query, token)
        if kind == "BOOST":
            return problems.boost_on_nothing(self.query, token)
        if kind == "APPROX":
            return problems.misplaced_tilde(self.query, token, None)
        if kind == "RBRACKET":
            return problems.closes_no_range(self.query, token)
        return problems.cannot_stand(self.query, token)

    def _field_without_value(self, colon: Token) -> SyntaxProblem:
        field = self.tokens[self.tokens.index(colon) - 1]
        return problems.field_without_value(self.query, field, colon)
