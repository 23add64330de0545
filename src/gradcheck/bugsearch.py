"""Find mistakes in the catalogue by words: ``gradcheck bugs sigmoid``.

A query's words are looked up in each mistake's id, title, explanation, signature and fix (a word
matches the words it begins: ``transpos`` finds ``transposed`` and ``transpose``); mistakes that hold
every word come first, ranked by where the words appear (id and title count most).

Example:
    >>> from gradcheck.bugsearch import find_bugs
    >>> found = [b.kind for b in find_bugs("sigmoid")]
    >>> found[0], "sign_flipped" in found
    ('activation_derivative_wrong_input', False)
    >>> find_bugs("xyzzy plugh")
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .bugs import CATALOGUE, Bug

__all__ = ["find_bugs", "words"]

#: How much a word found in each field counts: the id and the title say what a mistake is.
FIELD_WEIGHTS = (("kind", 4.0), ("title", 3.0), ("explanation", 2.0), ("signature", 1.0), ("fix", 1.0))
#: Words too common in the catalogue's sentences to tell mistakes apart.
STOP_WORDS = frozenset("a an and the of in on to is it its or for by with not as at be from this that".split())


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` (ids split at underscores; ``sigmoid'(z)`` gives ``sigmoid``, ``z``).

    >>> words("Bias_not_summed: sigmoid'(z) = a (1 - a)")
    ['bias', 'not', 'summed', 'sigmoid', 'z', 'a', '1', 'a']
    """
    return re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))


def _score(bug: Bug, query: list[str]) -> tuple[int, float]:
    fields = [(set(words(getattr(bug, name))), weight) for name, weight in FIELD_WEIGHTS]
    found, score = 0, 0.0
    for q in query:
        hits = [weight for vocabulary, weight in fields if any(w.startswith(q) for w in vocabulary)]
        if hits:
            found += 1
            score += sum(hits)
    return found, score


def find_bugs(query: str, catalogue: Iterable[Bug] | None = None) -> list[Bug]:
    """The mistakes whose text holds the words of ``query``: those with every word first, then those
    with most of them; by score within each group. Empty when no word is found anywhere."""
    wanted = [w for w in words(query) if w not in STOP_WORDS] or words(query)
    bugs = list(CATALOGUE.values() if catalogue is None else catalogue)
    scored = [(_score(b, wanted), i, b) for i, b in enumerate(bugs)]
    scored = [(s, i, b) for s, i, b in scored if s[0] > 0]
    scored.sort(key=lambda t: (-t[0][0], -t[0][1], t[1]))
    return [b for _, _, b in scored]
