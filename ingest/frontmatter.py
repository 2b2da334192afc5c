"""Split a text file into its header (YAML front matter or ``Key: value`` lines) and body.

Pure functions: they never touch the store. The body is returned verbatim together
with its character offset in the file, so quotes taken from it stay substrings of the
source file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from core.errors import InputError

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z _-]{0,30}):[ \t]*(.*?)[ \t]*$")
_NULL_TAG = "tag:yaml.org,2002:null"


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps scalars as written.

    Plain YAML 1.1 reads ``1:1`` as the base-60 integer 61, ``no`` as False and dates
    as date objects; header values are text, so only ``null``/``~``/empty resolve.
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == _NULL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Header:
    fields: dict[str, str] = field(default_factory=dict)  # lower-case keys, str values
    body: str = ""
    body_offset: int = 0
    style: str = "none"  # "yaml", "lines" or "none"


def normalise_key(key: str) -> str:
    return re.sub(r"[\s-]+", "_", key.strip().lower())


def split_front_matter(text: str, source: str) -> Header:
    """YAML front matter only (used for playbooks)."""
    match = _FENCE.match(text)
    if not match:
        return Header(body=text)
    try:
        data = yaml.load(match.group(1), Loader=_TextLoader) or {}
    except yaml.YAMLError as exc:
        plain = _plain_lines(match.group(1)) if "mapping values are not allowed" in str(exc) else None
        if plain is not None:  # "outcome: forecast: commit (March)": a colon in a value, as people write it
            return Header(fields=plain, body=text[match.end():], body_offset=match.end(), style="yaml")
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        raise InputError(
            f"{source}: broken YAML front matter{where}; fix it or remove the --- block"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: front matter must be 'key: value' pairs; fix the --- block")
    fields = {normalise_key(str(k)): _as_text(v) for k, v in data.items() if v is not None}
    return Header(fields=fields, body=text[match.end():], body_offset=match.end(), style="yaml")


def _plain_lines(block: str) -> dict[str, str] | None:
    """Every line ``key: value`` (the value may hold colons), or None."""
    fields = {}
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(line.strip())
        if not match:
            return None
        fields[normalise_key(match.group(1))] = match.group(2).strip().strip("\"'")
    return fields or None


def split_header(text: str, source: str) -> Header:
    """YAML front matter, or ``Key: value`` lines at the top ending at the first blank line."""
    if _FENCE.match(text):
        return split_front_matter(text, source)
    fields: dict[str, str] = {}
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            if fields:
                offset += len(line)
            break
        match = _KEY_LINE.match(stripped)
        if not match:
            # a first line that is not a header line means: no header at all
            return Header(body=text) if not fields else _lines_header(text, fields, offset)
        fields[normalise_key(match.group(1))] = match.group(2)
        offset += len(line)
    return _lines_header(text, fields, offset) if fields else Header(body=text)


def _lines_header(text: str, fields: dict[str, str], offset: int) -> Header:
    return Header(fields=fields, body=text[offset:], body_offset=offset, style="lines")


def _as_text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value).strip()
