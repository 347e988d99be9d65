"""Safe YAML reading that remembers line numbers, for error messages that point at the line.

The loader is PyYAML's `SafeLoader` (what `yaml.safe_load` uses): plain mappings, lists, strings
and numbers, and nothing that constructs objects. On top of it:
- every mapping and list remembers the line of each entry (`YMap.line_of(key)`);
- duplicate keys are an error, not a silent overwrite;
- alias bombs ("billion laughs") are refused before anything is built: the document's size with
  every alias expanded must stay under `MAX_NODES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cost.errors import SpecError

MAX_NODES = 200_000  # YAML nodes after expanding aliases; the largest bundled spec has ~3,000
MAX_BYTES = 2_000_000


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


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes with every alias expanded, memoized so a bomb is measured, not built."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = 1  # guards against recursive aliases
        if isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(v) for v in node.value)
        else:
            n = 1
        memo[key] = n
        return n

    return size(root)


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
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise SpecError("the file is empty; a spec is a YAML mapping", file=where)
    loader = _LineLoader(text)
    try:
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
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError(f"YAML syntax error: {problem}", file=where, line=line) from None
    finally:
        loader.dispose()
