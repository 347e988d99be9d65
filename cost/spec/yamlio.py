"""Safe YAML reading that remembers line numbers, for error messages that point at the line.

The loader is PyYAML's `SafeLoader` (what `yaml.safe_load` uses): plain mappings, lists, strings
and numbers, and nothing that constructs objects. On top of it:
- every mapping and list remembers the line of each entry (`YMap.line_of(key)`);
- duplicate keys are an error, not a silent overwrite;
- alias bombs ("billion laughs") are refused before anything is built: the document's size with
  every alias expanded must stay under `MAX_NODES`, and its nesting under `MAX_DEPTH`;
- numbers are read as a person means them: `010` is ten (not YAML 1.1's octal eight), and
  base-60 forms such as `1:30` (YAML 1.1's ninety) are refused;
- the file must be UTF-8 text; anything PyYAML's reader refuses is a `SpecError` too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cost.errors import SpecError

MAX_NODES = 200_000  # YAML nodes after expanding aliases; the largest bundled spec has ~3,000
MAX_BYTES = 2_000_000
MAX_DEPTH = 64  # nesting of mappings and lists; the deepest bundled spec nests 5
MAX_NUMBER_DIGITS = 100  # digits of a YAML number literal (values are bounded again later)


class YMap(dict):
    """A dict that knows the line (1-based) of itself and of each key."""

    line: int | None = None
    lines: dict

    def line_of(self, key: Any) -> int | None:
        return self.lines.get(key, self.line)


class YList(list):
    """A list that knows the line (1-based) of itself and of each item."""

    line: int | None = None
    lines: list

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):  # generator
    data = YMap()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise SpecError("a mapping key must be a plain value",
                            line=key_node.start_mark.line + 1) from None
        if key in data:
            raise SpecError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode):  # generator
    data = YList()
    data.line = node.start_mark.line + 1
    data.lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int:
    """YAML 1.1 ints, minus its surprises: `010` is 10 (decimal), `1:30` is an error."""
    text = str(node.value).replace("_", "")
    line = node.start_mark.line + 1
    if ":" in text:
        raise SpecError(f"{node.value!r} is a base-60 number in YAML 1.1 (it would be read as "
                        f"{_sexagesimal(text)})", line=line,
                        hint="write the number itself, or quote it for text")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if len(text) > MAX_NUMBER_DIGITS:
        raise SpecError(f"a number with more than {MAX_NUMBER_DIGITS} digits", line=line)
    if text.startswith(("0b", "0x")):
        return sign * int(text[2:], 2 if text[1] == "b" else 16)
    return sign * int(text, 10)  # leading zeros are decimal: 010 is ten


def _sexagesimal(text: str) -> str:
    value = 0
    for part in text.lstrip("+-").split(":")[:8]:
        value = value * 60 + (int(part) if part.isdecimal() and len(part) < 20 else 0)
    return f"{'-' if text.startswith('-') else ''}{value}"


def _construct_float(loader: _LineLoader, node: yaml.ScalarNode) -> float:
    if ":" in str(node.value):
        raise SpecError(f"{node.value!r} is a base-60 number in YAML 1.1",
                        line=node.start_mark.line + 1,
                        hint="write the number itself, or quote it for text")
    if len(str(node.value)) > MAX_NUMBER_DIGITS:
        raise SpecError(f"a number with more than {MAX_NUMBER_DIGITS} digits",
                        line=node.start_mark.line + 1)
    return loader.construct_yaml_float(node)


def _construct_str(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    text = loader.construct_scalar(node)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise SpecError("the text holds a lone surrogate (an escape such as \\ud800), "
                        "which is not a character", line=node.start_mark.line + 1)
    return text


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes with every alias expanded, memoized so a bomb is measured, not built.

    Iterative (no recursion limit to hit); a nesting deeper than MAX_DEPTH is an error.
    """
    memo: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    depth: list[int] = []  # open nodes on the path
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            depth.pop()
            memo[key] = 1 + sum(memo.get(id(c), 1) for c in _children(node))
            continue
        if key in memo:
            continue
        memo[key] = 1  # guards against recursive aliases
        if len(depth) >= MAX_DEPTH:
            raise SpecError(f"the YAML nests deeper than {MAX_DEPTH} levels",
                            line=node.start_mark.line + 1)
        depth.append(key)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)) if id(c) not in memo)
    return memo[id(root)]


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file into YMap/YList/scalars, or raise a SpecError naming the file and line."""
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise SpecError("file not found", file=where)
    if not path.is_file():
        raise SpecError("not a file", file=where)
    if path.stat().st_size > MAX_BYTES:
        raise SpecError(f"file larger than {MAX_BYTES:,} bytes", file=where)
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecError("the file is UTF-16 text; a spec is UTF-8", file=where,
                        hint="save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise SpecError(f"the file is not UTF-8 text (byte 0x{data[e.start]:02x} at offset "
                        f"{e.start:,})", file=where, line=line,
                        hint="a spec is UTF-8 YAML") from None
    if not text.strip():
        raise SpecError("the file is empty; a spec is a YAML mapping", file=where)
    loader = None
    try:
        loader = _LineLoader(text)  # the reader checks the characters here
        root = loader.get_single_node()
        if root is None:
            raise SpecError("the file holds no YAML document", file=where)
        if _expanded_size(root) > MAX_NODES:
            raise SpecError(
                f"the YAML expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                file=where, hint="use blocks and repeat instead of YAML aliases",
            )
        return loader.construct_document(root)
    except SpecError as e:
        raise e.locate(file=where) from None
    except yaml.constructor.ConstructorError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        tag = e.problem.split("tag ")[-1] if e.problem else "?"
        raise SpecError(
            f"YAML tag {tag} is not allowed",
            file=where, line=line,
            hint="specs are plain data: mappings, lists, numbers and strings",
        ) from None
    except yaml.reader.ReaderError as e:
        line = text[:e.position].count("\n") + 1
        code = ord(e.character) if isinstance(e.character, str) else int(e.character)
        raise SpecError(f"the file holds a character YAML does not allow (U+{code:04X})",
                        file=where, line=line,
                        hint="control characters other than tab and newline are not "
                        "allowed") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError(f"YAML syntax error: {problem}", file=where, line=line) from None
    except RecursionError:
        raise SpecError(f"the YAML nests too deeply (the limit is {MAX_DEPTH} levels)",
                        file=where) from None
    finally:
        if loader is not None:
            loader.dispose()
