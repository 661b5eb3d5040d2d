"""The LALR loop sqsguard runs over python-hcl2's grammar, and the plain tables it runs on.

Terraform text is parsed with python-hcl2's grammar: the terminals, lexer states and LALR
tables lark builds for it, and python-hcl2's post-lexer, as python-hcl2 does. What lark then does
at run time is done here, in two loops. Lexing (`Parser._tokens`): lark's contextual lexer goes
through four method calls and a line-counter object per token; here one generator matches with
the same per-state patterns lark compiles (its terminal order, its `unless` callbacks). Parsing
(`Parser._parse`): lark looks each action up by `Rule` object (hashing it twice a reduction)
and calls a chain of wrapper objects per reduction (filter the children, inline `_rule`s,
expand a `?rule`'s single child, propagate positions); here a rule is an index into a tuple of
plain recipes derived from the same rule options by the same logic (`derive`), and the tree and
the four position fields sqsguard reads (line, end_line, start_pos, end_pos, with the
"container" extents they are propagated from) are built inline. Together: 40% less time than lark
with the faster position propagation sqsguard had before, on the benchmark corpus.

The tables are derived once from lark's parser and kept as plain marshal values in sqsguard's
cache directory (lark_tables.py), so that a scan loads neither lark's pickled tables (its
`Rule` objects, its parse table of tuples) nor builds its callbacks: 1,045 states and 576
rules for python-hcl2 8.1.

Only success is handled here. Anything else (a token no action takes, a character no terminal
matches) gives None, and the caller parses the text again with lark's own parser, which
says what is wrong exactly as before. A test holds the trees equal to lark's, tokens, nodes and
positions, on every Terraform file of the fixtures, the examples and ../shared/corpus.
"""

from __future__ import annotations

import json
import sys
from typing import Any

FORMAT = 2  # of the derived tables (the cache key also covers this file, lark_tables._entry)


class Unreadable(Exception):
    """The loop met something it leaves to lark (`Parser.parse` then gives None)."""


# Between two shifts, a parse reduces at most a chain of rules for each level of the stack; only
# tables that loop (a damaged or hostile entry) go past these. Empty reductions grow the stack,
# so they are bounded on their own; every other reduction keeps or shrinks it.
MAX_EMPTY_REDUCTIONS = 1000
REDUCTIONS_PER_LEVEL = 64


def derive(parser: Any) -> dict | None:
    """The plain tables of `parser` (a lark.Lark built as python-hcl2 builds it), or None when
    it is built with options this loop does not mirror (then lark's own parser is used)."""
    from lark import Tree
    from lark.parsers.lalr_analysis import Shift

    options = parser.options
    if (options.parser != "lalr" or options.lexer != "contextual" or options.propagate_positions is not True
            or options.transformer is not None or options.tree_class not in (None, Tree) or options.lexer_callbacks
            or options.regex or options.keep_all_tokens or options.postlex is None):
        return None
    frontend = parser.parser
    conf = parser.lexer_conf
    if conf.callbacks or conf.use_bytes or conf.g_regex_flags or len(frontend.parser_conf.start) != 1:
        return None  # (flags for every pattern: python-hcl2 sets none, and re.DEBUG would print)
    table = frontend.parser._parse_table
    start = frontend.parser_conf.start[0]
    recipes: list = []
    numbers: dict = {}

    def number(rule) -> int:
        if rule not in numbers:
            numbers[rule] = len(recipes)
            recipes.append(_recipe(rule, options.maybe_placeholders))
        return numbers[rule]

    if sorted(table.states) != list(range(len(table.states))):
        return None
    # str(): a parser built from the grammar (not from lark's cache) names things with lark Tokens
    symbols = sorted({str(symbol) for actions in table.states.values() for symbol in actions})
    number_of = {symbol: i for i, symbol in enumerate(symbols)}
    ids, codes, rows = _array("H"), _array("i"), _array("I", [0])
    for state in range(len(table.states)):
        for symbol, (action, arg) in sorted(table.states[state].items(), key=lambda item: str(item[0])):
            ids.append(number_of[str(symbol)])
            codes.append(arg if action is Shift else -1 - number(arg))
        rows.append(len(ids))
    terminals = [(str(t.name), str(t.pattern.type), str(t.pattern.value), sorted(map(str, t.pattern.flags)),
                  None if t.pattern.raw is None else str(t.pattern.raw), int(t.priority)) for t in conf.terminals]
    return {"format": FORMAT, "symbols": symbols, "ids": _bytes(ids), "codes": _bytes(codes), "rows": _bytes(rows),
            "rules": json.dumps(recipes), "start": table.start_states[start], "end": table.end_states[start],
            "terminals": terminals, "ignore": [str(name) for name in conf.ignore], "regex_flags": conf.g_regex_flags}


# The action table is three arrays (a marshal walk checks three objects, not 26,000): for state
# n, entries rows[n] to rows[n + 1] of `ids` (symbol numbers) and `codes` (a shift's next state,
# or -1 - the number of the rule a reduction reduces by). Little-endian whatever the machine.

def _array(kind: str, values=()):
    from array import array

    return array(kind, values)


def _bytes(values) -> bytes:
    if sys.byteorder != "little":
        values = _array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _values(kind: str, data: bytes):
    values = _array(kind)
    if len(data) % values.itemsize:
        raise ValueError("a partial item")
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def _recipe(rule: Any, placeholders: bool) -> tuple:
    """(origin, size, tree name, expand a single child, children to keep or None for all, Nones
    after them): what lark's ParseTreeBuilder makes of one rule's options, for LALR without
    ambiguity. `keep` lists (index, inline its children, Nones before it)."""
    opts = rule.options
    expansion = rule.expansion
    name = str(rule.alias or opts.template_source or rule.origin.name)
    expand1 = bool(opts.expand1 and not rule.alias)
    empty = opts.empty_indices if placeholders else None
    if empty:
        marks = "".join("1" if b else "0" for b in empty)
        nones = [len(run) for run in marks.split("0")]
    else:
        nones = [0] * (len(expansion) + 1)
    keep = []
    pending = 0
    for i, symbol in enumerate(expansion):
        pending += nones[i]
        if opts.keep_all_tokens or not (symbol.is_term and symbol.filter_out):
            inline = bool((not symbol.is_term) and symbol.name.startswith("_"))
            keep.append((i, inline, pending))
            pending = 0
    pending += nones[len(expansion)]
    filtered = bool(empty) or len(keep) < len(expansion) or any(inline for _, inline, _ in keep)
    return (str(rule.origin.name), len(expansion), name, expand1, tuple(keep) if filtered else None, pending if filtered else 0)


def sound(tables: Any) -> dict | None:
    """The tables of an entry read back from the cache (plain values), decoded, when they have
    the shape `derive` writes with every shift and reduction inside them; else None (a hostile
    entry is a miss, not a crash)."""
    try:
        if type(tables) is not dict or tables.get("format") != FORMAT:
            return None
        symbols = tables["symbols"]
        ids, codes, rows = _values("H", tables["ids"]), _values("i", tables["codes"]), _values("I", tables["rows"])
        rules = [tuple(rule) for rule in json.loads(tables["rules"])] if type(tables["rules"]) is str else None
        if type(symbols) is not list or not all(type(s) is str for s in symbols) or rules is None:
            return None
        count = len(rows) - 1
        # each row's symbols and codes are checked when the row is first made (_Rows): most
        # are never used, and checking all 26,000 here cost more than a small scan's parsing
        if not (count > 0 and rows[0] == 0 and rows[-1] == len(ids) == len(codes)
                and all(a <= b for a, b in zip(rows, rows[1:]))
                and type(tables["start"]) is int and 0 <= tables["start"] < count
                and type(tables["end"]) is int and 0 <= tables["end"] < count):
            return None
        for origin, size, name, expand1, keep, tail in rules:
            if not (type(origin) is str and type(name) is str and type(size) is int and size >= 0 and type(expand1) is bool
                    and type(tail) is int and 0 <= tail < 1000):
                return None
            if keep is not None and not (type(keep) is list and all(
                    type(i) is int and 0 <= i < size and type(inline) is bool and type(add) is int and 0 <= add < 1000
                    for i, inline, add in keep)):
                return None
        for name, kind, value, flags, raw, priority in tables["terminals"]:
            if not (type(name) is str and kind in ("str", "re") and type(value) is str and type(priority) is int
                    and all(type(f) is str for f in flags) and (raw is None or type(raw) is str)):
                return None
        if not (all(type(n) is str for n in tables["ignore"]) and tables["regex_flags"] == 0 and type(tables["regex_flags"]) is int):
            return None
    except (KeyError, TypeError, ValueError, OverflowError, RecursionError):
        return None
    return {"symbols": symbols, "ids": ids, "codes": codes, "rows": rows, "count": count,
            "rules": tuple((o, n, name, e, None if k is None else tuple(map(tuple, k)), t) for o, n, name, e, k, t in rules),
            "start": tables["start"], "end": tables["end"], "terminals": tables["terminals"],
            "ignore": tables["ignore"], "regex_flags": tables["regex_flags"]}


class _Rows(dict):
    """state -> {symbol: code}, each row made from the arrays the first time the loop is in it
    (a one-file scan visits a few hundred of the 1,045 states), and checked then: every symbol
    one of the table's, every shift to a state and every reduction by a rule of the tables."""

    def __init__(self, decoded: dict):
        super().__init__()
        self.symbols, self.ids, self.codes, self.rows = decoded["symbols"], decoded["ids"], decoded["codes"], decoded["rows"]
        self.count, self.rules = decoded["count"], len(decoded["rules"])

    def __missing__(self, state: int) -> dict:
        if not 0 <= state < self.count:
            raise Unreadable("no state %r" % (state,))
        start, end = self.rows[state], self.rows[state + 1]
        symbols, codes = self.symbols, self.codes[start:end]
        if codes and (max(codes) >= self.count or min(codes) < -self.rules):
            raise Unreadable("a row that leads out of the tables")
        row = dict(zip([symbols[i] for i in self.ids[start:end]], codes))  # IndexError: a symbol past the list
        self[state] = row
        return row


class Parser:
    """Parses text with the tables (`derive`), lark's contextual lexer and `postlexer`."""

    def __init__(self, decoded: dict, postlexer: Any, patterns: Any = None):
        """`decoded`: what `sound` gives for the tables; `patterns`: what compiles the lexer's
        patterns (`re`, or patterns.Kept)."""
        self.decoded = decoded
        self.states = _Rows(decoded)
        self.rules = decoded["rules"]
        self.start = decoded["start"]
        self.end = decoded["end"]
        self.postlexer = postlexer
        self.scanners = _scanners(decoded, self.states, postlexer, patterns)

    def record_patterns(self) -> tuple[dict, dict]:
        """The engine's codes of every pattern the lexer can compile, in any state, and the
        widths of its regular terminals (patterns.py)."""
        from .patterns import Recording

        recording = Recording()
        scanners = _scanners(self.decoded, self.states, self.postlexer, recording)
        for state in range(self.states.count):
            scanners[state]
        return recording.kept, scanners.widths()

    def parse(self, text: str) -> Any:
        """The tree lark would give for `text`, or None when lark would say something else."""
        try:
            return self._parse(text)
        except Exception:  # lark's lexer errors, a missing action: lark says it properly
            return None

    def _tokens(self, text: str, stack: list) -> Any:
        """lark's contextual lexer on the success path: in each parser state, the first of the
        state's terminals (lark's order) that matches; ignored terminals (blanks) skipped; a
        name that spells a keyword the state accepts made that keyword (lark's `unless`
        callbacks). Lines and columns counted as lark counts them."""
        from lark import Token

        scanners = self.scanners
        make = str.__new__
        end = len(text)
        pos = 0
        line = 1
        line_start = 0
        while pos < end:
            patterns, ignore, newline, callbacks = scanners[stack[-1]]
            for pattern in patterns:
                found = pattern.match(text, pos)
                if found is not None:
                    break
            else:
                raise Unreadable("no terminal matches")  # lark says which character
            value = found.group(0)
            if not value:
                raise Unreadable("an empty match")  # lark refuses zero-width terminals
            kind = found.lastgroup
            start = pos
            start_line = line
            column = start - line_start + 1
            if kind in newline:
                count = value.count("\n")
                if count:
                    line += count
                    line_start = start + value.rindex("\n") + 1
            pos = start + len(value)
            if kind in ignore:
                continue
            token = make(Token, value)
            token.type = kind
            token.start_pos = start
            token.value = value
            token.line = start_line
            token.column = column
            token.end_line = line
            token.end_column = pos - line_start + 1
            token.end_pos = pos
            if kind in callbacks:
                token = callbacks[kind](token)
            yield token

    def _parse(self, text: str) -> Any:
        from lark import Token, Tree
        from lark.tree import Meta

        states, rules, end = self.states, self.rules, self.end
        stack = [self.start]
        values: list = []
        last = None
        tokens = self.postlexer.process(self._tokens(text, stack))
        finished = False
        empty = reduced = 0
        budget = MAX_EMPTY_REDUCTIONS + REDUCTIONS_PER_LEVEL
        while not finished:
            token = next(tokens, None)
            if token is None:  # the end marker, where lark puts it: at the last token
                finished = True
                token = Token.new_borrow_pos("$END", "", last) if last is not None else Token("$END", "", 0, 1, 1)
            last = token
            kind = token.type
            while True:
                code = states[stack[-1]].get(kind)
                if code is None:
                    raise Unreadable("no action")
                if code >= 0:
                    if finished:
                        raise Unreadable("shift at the end")
                    stack.append(code)
                    values.append(token)
                    empty = 0
                    reduced = 0
                    budget = MAX_EMPTY_REDUCTIONS + REDUCTIONS_PER_LEVEL * len(stack)
                    break
                reduced += 1
                if reduced > budget:
                    raise Unreadable("the tables loop")
                origin, size, name, expand1, keep, tail = rules[-1 - code]
                if size:
                    children = values[-size:]
                    del stack[-size:]
                    del values[-size:]
                else:
                    children = []
                    empty += 1
                    if empty > MAX_EMPTY_REDUCTIONS:
                        raise Unreadable("the tables loop")
                if keep is None:
                    kept = children
                else:
                    kept = []
                    for i, inline, add in keep:
                        if add:
                            kept += [None] * add
                        if inline:
                            kept += children[i].children
                        else:
                            kept.append(children[i])
                    if tail:
                        kept += [None] * tail
                if expand1 and len(kept) == 1:
                    value = kept[0]
                    # the one child passed on alone keeps its extent; with punctuation around
                    # it, only its container grows
                    if type(value) is not Tree or (size == 1 and value is children[0]):
                        goto = states[stack[-1]][origin]
                        stack.append(goto)
                        values.append(value)
                        if finished and goto == end:
                            return value
                        continue
                    known = value._meta.__dict__
                else:
                    meta = Meta()
                    value = Tree(name, kept, meta)
                    known = meta.__dict__
                # lark's position propagation (PropagatePositions), for the four fields sqsguard
                # reads: a tree starts where its first child's container starts and ends where
                # its last child's container ends (a container counts punctuation the tree
                # drops, like a block's closing brace); a tree whose extent is set already keeps
                # it, and only its container grows. The two loops mirror each other (first
                # child forward, last child backward) and stay written out: this runs once a
                # reduction, and a shared helper measured 7% slower on a whole cold scan.
                for child in children:
                    kind_of = type(child)
                    if kind_of is Token:
                        if "line" not in known:
                            known["line"] = child.line
                            known["start_pos"] = child.start_pos
                            known["empty"] = False
                        known["container_line"] = child.line
                        known["container_start_pos"] = child.start_pos
                        break
                    if kind_of is Tree:
                        inner = child._meta
                        if inner is not None and not inner.empty:
                            got = inner.__dict__
                            line = got.get("container_line", got["line"])
                            pos = got.get("container_start_pos", got["start_pos"])
                            if "line" not in known:
                                known["line"] = line
                                known["start_pos"] = pos
                                known["empty"] = False
                            known["container_line"] = line
                            known["container_start_pos"] = pos
                            break
                for child in reversed(children):
                    kind_of = type(child)
                    if kind_of is Token:
                        if "end_line" not in known:
                            known["end_line"] = child.end_line
                            known["end_pos"] = child.end_pos
                            known["empty"] = False
                        known["container_end_line"] = child.end_line
                        known["container_end_pos"] = child.end_pos
                        break
                    if kind_of is Tree:
                        inner = child._meta
                        if inner is not None and not inner.empty:
                            got = inner.__dict__
                            line = got.get("container_end_line", got["end_line"])
                            pos = got.get("container_end_pos", got["end_pos"])
                            if "end_line" not in known:
                                known["end_line"] = line
                                known["end_pos"] = pos
                                known["empty"] = False
                            known["container_end_line"] = line
                            known["container_end_pos"] = pos
                            break
                goto = states[stack[-1]][origin]
                stack.append(goto)
                values.append(value)
                if finished and goto == end:
                    return value
        raise Unreadable("no tree")


def _scanners(decoded: dict, states: _Rows, postlexer: Any, patterns: Any = None) -> dict:
    """state -> (patterns, ignored terminals, terminals that may hold a new line, callbacks):
    what lark's contextual lexer matches with in that state. Each comes from the lark lexer lark
    would make for the state's terminals (its terminal order, its `unless` callbacks), made when
    the parser is first in a state and shared by every state that accepts the same terminals
    (lark shares them by the whole set of symbols a state accepts, terminals and rules alike:
    106 sets against 60, and each is a regular expression to compile)."""
    import re
    from copy import copy

    from lark.common import LexerConf
    from lark.lexer import BasicLexer, PatternRE, PatternStr, TerminalDef

    kinds = {"str": PatternStr, "re": PatternRE}
    terminals = [TerminalDef(name, kinds[kind](value, flags, raw), priority)
                 for name, kind, value, flags, raw, priority in decoded["terminals"]]
    known = getattr(patterns, "widths", None) or {}
    for terminal in terminals:
        if terminal.pattern.type == "re" and terminal.pattern.to_regexp() in known:
            terminal.pattern._width = known[terminal.pattern.to_regexp()]  # lark's own field (it serializes it)
    conf = LexerConf(terminals, patterns or re, decoded["ignore"], g_regex_flags=decoded["regex_flags"], skip_validation=True)
    by_name = conf.terminals_by_name
    always = frozenset(conf.ignore) | frozenset(getattr(postlexer, "always_accept", ()))
    shared: dict = {}

    class Scanners(dict):
        def widths(self) -> dict:
            return {t.pattern.to_regexp(): tuple(t.pattern._get_width()) for t in terminals if t.pattern.type == "re"}

        def __missing__(self, state: int) -> tuple:
            accepts = frozenset(name for name in states[state] if name in by_name) | always
            made = shared.get(accepts)
            if made is None:
                own = copy(conf)
                own.terminals = [by_name[name] for name in sorted(accepts) if name in by_name]
                lexer = BasicLexer(own)
                scanner = lexer.scanner  # compiles the patterns, makes the callbacks
                made = shared[accepts] = (tuple(scanner._mres), lexer.ignore_types, lexer.newline_types, dict(lexer.callback))
            self[state] = made
            return made

    return Scanners()
