"""Masking the Argo token in everything argonb shows, logs or stores, in whatever form a server echoes it.

Owns: `TokenMask(token)`: `mask(text)` replaces every echo of the token with `******`, `found(text)` says
whether there is one, `scrub(obj)` masks every string of a decoded JSON value. An echo is the token (bare, or
as the whole `Authorization` value) in any letter case, base64 (standard or URL alphabet, at any alignment
inside a longer base64 text), URL-encoded (`%XX`, `+` for space), or JSON-escaped (Python's and Go's
`\\u003c` style), and any prefix of at least `MIN_PREFIX` characters of those forms (a truncated echo).
Matching is by literal search (no regular expression built from the token), linear in the text per form.
Imports: stdlib only.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "******"
MIN_PREFIX = 8  # a shorter fragment of the token says nothing useful to an attacker
MIN_SECRET = 4  # a whole token shorter than this is masked only as part of its header


def _fold(text: str) -> str:
    """Lower case, one character for one (so positions in the folded text are positions in `text`)."""
    if text.isascii():
        return text.lower()
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _go_json(text: str) -> str:
    """Go's encoding/json string body: like Python's, plus `<`, `>`, `&` as \\u003c, \\u003e, \\u0026."""
    body = json.dumps(text)[1:-1]
    return body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _base64_forms(secret: str) -> list[str]:
    """The token's base64 as it appears inside any longer base64 text: for each of the 3 alignments, the
    characters that depend only on the token's bytes (both alphabets, no padding)."""
    data = secret.encode("utf-8", errors="surrogatepass")
    out = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        start = (shift * 8 + 5) // 6  # skip the characters mixed with the filler bytes
        end = ((shift + len(data)) * 8) // 6  # drop the last, partly-filled character
        core = encoded[start:end]
        out += [core, core.replace("+", "-").replace("/", "_")]
    return out


def _forms(secret: str) -> list[str]:
    forms = [secret, quote(secret, safe=""), quote_plus(secret, safe=""), json.dumps(secret)[1:-1],
             json.dumps(secret, ensure_ascii=False)[1:-1], _go_json(secret), *_base64_forms(secret)]
    return list(dict.fromkeys(_fold(f) for f in forms if len(f) >= MIN_SECRET))


class TokenMask:
    """Masks one token; see the module docstring. Cheap when the text holds no echo (one search per form)."""

    def __init__(self, token: str):
        token = token.strip()
        scheme, _, credential = token.partition(" ")
        bare = credential.strip() if credential.strip() else token
        header = token if credential.strip() else (f"Bearer {token}" if token else "")
        # whole forms: the header value and the bare token, longest first so a header is one mask
        self._whole = [f for s in (header, bare) if len(s) >= MIN_SECRET for f in _forms(s)]
        # truncated echoes: prefixes of the credential's forms (not of "Bearer ...", which any text may hold)
        self._prefixed = [f for f in _forms(bare) if len(f) >= MIN_PREFIX] if len(bare) >= MIN_PREFIX else []
        self._heads = sorted({f[:MIN_PREFIX] for f in self._whole + self._prefixed}, key=len)
        self._probe = re.compile("|".join(re.escape(h) for h in self._heads)) if self._heads else None
        ascii_heads = all(h.isascii() for h in self._heads)
        self._byte_probe = re.compile(b"|".join(re.escape(h.encode()) for h in self._heads), re.IGNORECASE) \
            if self._heads and ascii_heads else None

    def __bool__(self) -> bool:
        return bool(self._whole)

    def found(self, text: str | bytes | bytearray) -> bool:
        """Whether `text` may hold an echo (a cheap probe; bytes are searched without decoding them)."""
        if self._probe is None:
            return False
        if isinstance(text, (bytes, bytearray)):
            if self._byte_probe is not None:
                return self._byte_probe.search(text) is not None
            text = bytes(text).decode("utf-8", errors="replace")
        return self._probe.search(_fold(text)) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """[start, end) of every echo, merged."""
        if not self.found(text):
            return []
        folded = _fold(text)
        spans: list[tuple[int, int]] = []
        for form in self._whole:
            start = folded.find(form)
            while start >= 0:
                spans.append((start, start + len(form)))
                start = folded.find(form, start + 1)
        for form in self._prefixed:
            head = form[:MIN_PREFIX]
            start = folded.find(head)
            while start >= 0:
                end = start + MIN_PREFIX
                while end - start < len(form) and end < len(folded) and folded[end] == form[end - start]:
                    end += 1
                spans.append((start, end))
                start = folded.find(head, start + 1)
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def mask(self, text: str) -> str:
        text = str(text)
        spans = self.spans(text)
        if not spans:
            return text
        parts, last = [], 0
        for start, end in spans:
            parts += [text[last:start], MASK]
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def scrub(self, obj: Any) -> Any:
        """`obj` (decoded JSON) with every string, keys included, masked; untouched objects are returned as is."""
        if isinstance(obj, str):
            return self.mask(obj)
        if isinstance(obj, dict):
            return {self.mask(k) if isinstance(k, str) else k: self.scrub(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        return obj
