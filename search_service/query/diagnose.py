"""What is wrong with a query luqum cannot parse, and where: a sentence or two a person can act on. Pure.

luqum's own messages name a token at best ("unexpected ':' at position 0") and often nothing ("unexpected end
of expression ... at the end!"): an unclosed parenthesis, a dangling AND and `title:` read the same. Here the
query is split again by luqum's own lexer, so escapes, phrases, regular expressions and words end exactly
where the parser saw them end, and the tokens are walked through luqum's grammar left to right
(grammar_walk.py): the first token that cannot stand where it is, or the opener still unclosed at the end,
is the problem named (syntax_problems.py words it).
"""

from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import lexer as luqum_lexer

from search_service.query.grammar_walk import GrammarWalk
from search_service.query.syntax_problems import SyntaxProblem, Token, refused_character

SIMPLE_MODE_HINT = "Search for the words as typed with mode=simple"

__all__ = ["SIMPLE_MODE_HINT", "SyntaxProblem", "diagnose_syntax"]


def diagnose_syntax(query: str) -> SyntaxProblem | None:
    """The first syntax problem in `query` as luqum reads it; None when there is none (luqum parses it)."""
    tokens, refused_at = _tokens(query)
    problem = GrammarWalk(query, tokens, complete=refused_at is None).problem()
    if problem is None and refused_at is not None:
        return refused_character(query, refused_at)
    return problem


def _tokens(query: str) -> tuple[list[Token], int | None]:
    """luqum's tokens of `query`, and the position of the character its lexer refused (None if none was):
    the tokens then stop there, as luqum's parser did."""
    lexer: Any = luqum_lexer.clone()  # a position of its own: the module's lexer belongs to luqum's parser
    lexer.input(query)
    tokens: list[Token] = []
    while True:
        try:
            token = lexer.token()
        except ParseError:  # luqum's lexer raises IllegalCharacterError where no token can start
            return tokens, min(lexer.lexpos, len(query) - 1)
        if token is None:
            return tokens, None
        value = getattr(token.value, "value", token.value)
        tokens.append(Token(token.type, "" if value is None else str(value), token.lexpos))
