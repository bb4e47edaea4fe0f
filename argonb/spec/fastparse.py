"""A faster `argonb.spec.source.parse` for lint: libyaml events straight into plain data and position tables.

Owns: `parse_fast(source)`, which returns the same Documents as `source.parse` (same data, same key/value marks,
same document indexes) much faster on large inputs, because it skips PyYAML's pure-Python composer and node
objects, builds without a Python call per node, and leaves the position tables until something asks for them
(a second, position-only parse; a lint that finds nothing never asks). source.parse takes ~5 s on a 10,000-task
DAG; this takes ~0.2 s (~0.35 s more if positions are needed). It only handles the plain subset used by
workflows; anything else (anchors, aliases, merge keys, explicit tags, complex keys, any parse error, nesting
or no libyaml) falls back to `source.parse`, so results and YAML001/YAML002
diagnostics are identical (and aliases are only ever expanded within source.parse's AliasBudget). Nesting
past `yamlbounds.MAX_NESTING` is reported here, at the mark source.parse would give.
`tests/spec/test_fastparse.py` checks equality on every fixture and on mutated inputs.
Imports: yaml, argonb.errors, argonb.spec.{gcpause,source,yamlbounds}.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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

from argonb.errors import InvalidWorkflow
from argonb.spec.gcpause import collector_paused
from argonb.spec.source import Document, MarkTable, PathKey, Source, bound_diagnostic, parse
from argonb.spec.yamlbounds import MAX_NESTING, YamlBoundExceeded, too_deep

_STR = "tag:yaml.org,2002:str"
_PLAIN_TYPES = (str, int, float, bool, type(None))
_IN_LIST = object()  # the "key" of a node that is a sequence item


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
    """Builds one document from its events with an explicit stack (no Python call per node: lint speed).

    With `marks` (key table, value table) it also records where each path sits. That costs a path tuple and
    two dict entries per node, as much again as the rest of the parse, and a lint that finds nothing never
    looks at a position: so `parse_fast` leaves the tables out and `_DeferredMarks` parses again if asked.
    """

    def __init__(self, next_event: Callable[[], Any], scalars: _Scalars,
                 marks: tuple[MarkTable, MarkTable] | None = None):
        self.next_event, self.scalars, self.marks = next_event, scalars, marks

    def document(self) -> Any:
        """The root node's value; the caller has consumed DocumentStartEvent."""
        next_event, value_of = self.next_event, self.scalars.value
        record = self.marks is not None
        key_marks, value_marks = self.marks or ({}, {})
        stack: list[tuple[dict | list, PathKey]] = []  # open containers and their paths, innermost last
        depth = 0  # open containers, bounded as in source.parse
        root: Any = None
        key: Any = _IN_LIST
        path: PathKey = ()  # only kept up to date when recording
        event = next_event()
        while True:
            # `event` starts the node at `path`: record where, build it, and hang it on its parent.
            if record:
                mark = event.start_mark
                value_marks[path] = (mark.line, mark.column)
            kind = type(event)
            if kind is ScalarEvent:
                value = value_of(event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                value = _container(event)
                depth += 1
                if depth > MAX_NESTING:
                    raise too_deep(event.start_mark)  # parse_fast lets source.parse report it
            else:
                raise _Unsupported  # aliases and anything unexpected
            if not stack:
                root = value
            elif key is _IN_LIST:
                stack[-1][0].append(value)
            else:
                stack[-1][0][key] = value
            if kind is not ScalarEvent:
                stack.append((value, path))
            # Close finished containers until the next node starts (reading its key inside a mapping).
            while stack:
                parent, parent_path = stack[-1]
                event = next_event()
                kind = type(event)
                if type(parent) is list:
                    if kind is SequenceEndEvent:
                        stack.pop()
                        depth -= 1
                        continue
                    key = _IN_LIST
                    if record:
                        path = (*parent_path, len(parent))
                    break
                if kind is MappingEndEvent:
                    stack.pop()
                    depth -= 1
                    continue
                if kind is not ScalarEvent:
                    raise _Unsupported  # complex keys, aliases as keys
                key = value_of(event)
                if record:
                    path = (*parent_path, key)
                    key_marks[path] = (event.start_mark.line, event.start_mark.column)
                event = next_event()
                break
            else:
                return root


def _container(event: Any) -> dict | list:
    """A new, empty mapping or sequence for a start event in the fast subset."""
    if event.anchor is not None:
        raise _Unsupported
    if type(event) is MappingStartEvent:
        if event.tag not in (None, "!", "tag:yaml.org,2002:map"):
            raise _Unsupported
        return {}
    if event.tag not in (None, "!", "tag:yaml.org,2002:seq"):
        raise _Unsupported
    return []


def _parse_events(source: Source, *, with_marks: bool = False) -> list[Document]:
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:
        raise _Unsupported
    loader = loader_class(source.text)
    deferred = None if with_marks else _DeferredMarks(source)
    try:
        return _documents(loader.get_event, source, deferred)
    finally:
        loader.dispose()


def _documents(next_event: Callable[[], Any], source: Source,
               deferred: _DeferredMarks | None) -> list[Document]:
    """The documents of one event stream; their position tables now, or from `deferred` on first use."""
    scalars = _Scalars()
    docs: list[Document] = []
    while (event := next_event()) is not None:
        kind = type(event)
        if kind is AliasEvent:
            raise _Unsupported
        if kind is not DocumentStartEvent:
            continue
        doc = Document(data=None, source=source, index=len(docs))
        if deferred is None:
            builder = _Builder(next_event, scalars, (doc.key_marks, doc.value_marks))
        else:
            builder = _Builder(next_event, scalars)
            doc.marks_loader = partial(deferred.tables, doc.index)
        doc.data = builder.document()
        if type(next_event()) is not DocumentEndEvent:
            raise _Unsupported
        docs.append(doc)
    return docs


class _DeferredMarks:
    """The position tables of every document of one source, built on first use by parsing it again."""

    def __init__(self, source: Source):
        self.source = source
        self.docs: list[Document] | None = None

    def tables(self, index: int) -> tuple[MarkTable, MarkTable]:
        if self.docs is None:
            self.docs = _parse_events(self.source, with_marks=True)  # same text, so the same documents
        doc = self.docs[index]
        return doc.key_marks, doc.value_marks


def parse_fast(source: Source) -> list[Document]:
    """Same result as `source.parse(source)` (raises the same InvalidWorkflow on YAML errors)."""
    if "\t" in source.text:  # libyaml and PyYAML's scanner disagree on some tabs: let the reference decide
        return parse(source)
    try:
        with collector_paused():
            return _parse_events(source)
    except YamlBoundExceeded as exc:  # at the same mark as source.parse, whose scanner is slow on deep flows
        raise InvalidWorkflow([bound_diagnostic(source, exc)]) from None
    except (_Unsupported, yaml.YAMLError, StopIteration, ValueError, TypeError):
        return parse(source)
