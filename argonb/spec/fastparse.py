"""A faster `argonb.spec.source.parse` for lint: libyaml events straight into plain data and position tables.

Owns: `parse_fast(source)`, which returns the same Documents as `source.parse` (same data, same key/value marks,
same document indexes) about 10x faster on large inputs, because it skips PyYAML's pure-Python composer and
node objects (source.parse takes ~5 s on a 10,000-task DAG; this takes ~0.5 s). It only handles the plain
subset used by workflows; anything else (anchors, aliases, merge keys, explicit tags, complex keys, any parse
error, or no libyaml) falls back to `source.parse`, so results and YAML001 diagnostics are identical.
`tests/spec/test_fastparse.py` checks equality on every fixture and on mutated inputs.
Imports: yaml, argonb.spec.source.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from argonb.spec.source import Document, PathKey, Source, parse

_STR = "tag:yaml.org,2002:str"
_PLAIN_TYPES = (str, int, float, bool, type(None))


class _Unsupported(Exception):
    """Input outside the fast subset: use source.parse."""


class _Scalars:
    """Plain-scalar resolution exactly as SafeLoader does it (implicit resolvers + SafeConstructor)."""

    def __init__(self) -> None:
        self.resolver = Resolver()
        self.constructor = SafeConstructor()
        self.cache: dict[str, Any] = {}

    def value(self, event: ScalarEvent) -> Any:
        if event.tag not in (None, "!") or event.anchor is not None:
            raise _Unsupported
        # implicit[0] is "plain and untagged" (libyaml reports style '' for plain, PyYAML None).
        if not event.implicit[0] or event.tag == "!":
            return event.value
        text = event.value
        if text in self.cache:
            return self.cache[text]
        tag = self.resolver.resolve(ScalarNode, text, (True, False))
        if tag == _STR:
            value: Any = text
        elif tag == "tag:yaml.org,2002:merge":
            raise _Unsupported
        else:
            value = self.constructor.construct_object(ScalarNode(tag, text), deep=True)
            if not isinstance(value, _PLAIN_TYPES):
                value = text  # timestamps etc. stay text, as in source.parse
        if len(self.cache) < 4096:
            self.cache[text] = value
        return value


class _Builder:
    """Consumes the events of one document."""

    def __init__(self, events: Any, doc: Document, scalars: _Scalars):
        self.events, self.doc, self.scalars = events, doc, scalars

    def node(self, event: Any, path: PathKey) -> Any:
        mark = event.start_mark
        self.doc.value_marks[path] = (mark.line, mark.column)
        if isinstance(event, ScalarEvent):
            return self.scalars.value(event)
        if isinstance(event, MappingStartEvent):
            return self.mapping(event, path)
        if isinstance(event, SequenceStartEvent):
            if event.anchor is not None or event.tag not in (None, "!", "tag:yaml.org,2002:seq"):
                raise _Unsupported
            out: list[Any] = []
            for item in self.events:
                if isinstance(item, SequenceEndEvent):
                    return out
                out.append(self.node(item, (*path, len(out))))
        raise _Unsupported  # aliases and anything unexpected

    def mapping(self, event: MappingStartEvent, path: PathKey) -> dict[Any, Any]:
        if event.anchor is not None or event.tag not in (None, "!", "tag:yaml.org,2002:map"):
            raise _Unsupported
        out: dict[Any, Any] = {}
        key_marks = self.doc.key_marks
        for key_event in self.events:
            if isinstance(key_event, MappingEndEvent):
                return out
            if not isinstance(key_event, ScalarEvent):
                raise _Unsupported  # complex keys, aliases as keys
            key = self.scalars.value(key_event)
            child = (*path, key)
            key_marks[child] = (key_event.start_mark.line, key_event.start_mark.column)
            out[key] = self.node(next(self.events), child)
        raise _Unsupported


def _parse_events(source: Source) -> list[Document]:
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        raise _Unsupported
    events = iter(yaml.parse(source.text, Loader=loader))
    scalars = _Scalars()
    docs: list[Document] = []
    index = 0
    for event in events:
        if isinstance(event, AliasEvent):
            raise _Unsupported
        if not isinstance(event, DocumentStartEvent):
            continue
        doc = Document(data=None, source=source, index=index)
        doc.data = _Builder(events, doc, scalars).node(next(events), ())
        if not isinstance(next(events), DocumentEndEvent):
            raise _Unsupported
        docs.append(doc)
        index += 1
    return docs


def parse_fast(source: Source) -> list[Document]:
    """Same result as `source.parse(source)` (raises the same InvalidWorkflow on YAML errors)."""
    if "\t" in source.text:  # libyaml and PyYAML's scanner disagree on some tabs: let the reference decide
        return parse(source)
    try:
        return _parse_events(source)
    except (_Unsupported, yaml.YAMLError, StopIteration, ValueError, TypeError):
        return parse(source)
