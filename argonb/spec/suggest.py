"""Did-you-mean suggestions for misspelled keys and names.

Owns: `closest` (the best near match of a word among candidates) and `did_you_mean` (the hint text that goes
into a Diagnostic). Pure functions over strings; imports only the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (a transposition counts as one edit), cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most likely meant by `word`, or None when nothing is close enough.

    Case-insensitive equality wins, then the smallest edit distance (at most a third of the word, min 1,
    max 3), then difflib's ratio for longer words where letters were dropped or added in bulk.
    """
    pool = [c for c in dict.fromkeys(candidates) if isinstance(c, str) and c != word]
    if not pool or not isinstance(word, str) or not word:
        return None
    lowered = word.lower()
    for cand in pool:
        if cand.lower() == lowered:
            return cand
    limit = max(1, min(3, len(word) // 3))
    best: tuple[int, str] | None = None
    for cand in pool:
        dist = _distance(lowered, cand.lower(), limit)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    if best is not None:
        return best[1]
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.8)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean 'x'?` or an empty string."""
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match else ""
