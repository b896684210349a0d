"""Secrecy of the survey results that survives differencing (docs/SURVEYS.md, "Secrecy").

Every published survey figure of an indicator is a domain's weighted proportion
p_D = Y_D / X_D, where Y_D (the weighted 1s) and X_D (the weighted respondents) are sums
over the domain's *atoms*: the groups of invitations sharing center, chain, category,
programme and year, the finest groups any published figure can tell apart. Assume the
worst: whoever reads p_D also knows X_D (for a census it is the published sample), so Y_D
is known, and by adding and subtracting published figures so is the Y of every combination
of atoms in the linear span of the published domains (a center's years against its
all-years figure, a table's domains against the year's total, a chain against the center
that holds it...). A group of atoms is *disclosed* when its Y is in that span and it holds
at least one but fewer than the minimum of respondents: its answers could be read back.

`protect` takes every distinct domain that any door can publish (as its set of atoms) and
returns those to suppress: first every domain under the minimum (primary suppression),
then, while some secret group is still in the span of the published ones, one more domain
(complementary suppression: among the published domains that share atoms with the
disclosed group, the one with fewest respondents whose suppression closes the leak). The
secrets checked: every suppressed domain, every pair of suppressed domains whose
respondents together are under the minimum, every atom under the minimum, the difference
of two nested domains, and the groups a caller names (units with no chain or programme).

The span is tested exactly, by Gaussian elimination modulo a 61-bit prime over sparse
vectors: a combination the rationals can make is found modulo the prime (its denominators
are products of small integers); a false "in the span" would only suppress more.
Django-free.
"""

import functools
from collections.abc import Iterable, Sequence

Group = frozenset[int]  # a set of atoms (their indexes)

_PRIME = 2**61 - 1
_TRIES = 6  # complementary candidates tried one by one before taking the smallest


class Span:
    """The linear span of sets of atoms, as sparse rows in echelon form (mod a prime); each
    row remembers the combination of the added sets it is, to tell which sets a group's
    computation uses (`uses`)."""

    def __init__(self, groups: Iterable[Group] = (), *, track: bool = False) -> None:
        # pivot (the row's smallest atom) -> (row, combination: set's number -> factor);
        # combinations are kept only when tracking (`uses`)
        self._rows: dict[int, tuple[dict[int, int], dict[int, int]]] = {}
        self._track = track
        for number, group in enumerate(groups):
            self._add(group, number)

    def _reduce(self, group: Group, combination: dict[int, int]) -> dict[int, int]:
        vector = dict.fromkeys(group, 1)
        while vector:
            pivot = min(vector)
            if pivot not in self._rows:
                return vector
            row, used = self._rows[pivot]
            factor = vector[pivot]
            for key, value in row.items():
                left = (vector.get(key, 0) - factor * value) % _PRIME
                if left:
                    vector[key] = left
                else:
                    del vector[key]
            for key, value in used.items():
                _subtract(combination, key, factor * value)
        return vector

    def _add(self, group: Group, number: int) -> None:
        # the set minus what the rows already make
        combination = {number: _PRIME - 1} if self._track else {}
        vector = self._reduce(group, combination)
        if vector:
            pivot = min(vector)
            inverse = pow(vector[pivot], _PRIME - 2, _PRIME)
            self._rows[pivot] = (
                {key: value * inverse % _PRIME for key, value in vector.items()},
                {key: value * inverse % _PRIME for key, value in combination.items()},
            )

    def __contains__(self, group: Group) -> bool:
        return not self._reduce(group, {})

    def uses(self, group: Group) -> set[int]:
        """The numbers of the added sets one computation of `group` combines (empty when
        the group is not in the span)."""
        combination: dict[int, int] = {}
        return set(combination) if not self._reduce(group, combination) else set()


def _subtract(vector: dict[int, int], key: int, value: int) -> None:
    left = (vector.get(key, 0) - value) % _PRIME
    if left:
        vector[key] = left
    else:
        vector.pop(key, None)


def protect(
    domains: Iterable[Group],
    respondents: Sequence[int],
    minimum: int,
    *,
    secrets: Iterable[Group] = (),
) -> set[Group]:
    """The domains to suppress so that no group under the minimum can be computed.
    Indicators answered by the same units (a survey's items) ask the same question: it is
    answered once (an in-process memo)."""
    found = _protect(frozenset(domains), tuple(respondents), minimum, frozenset(secrets))
    return set(found)


@functools.lru_cache(maxsize=16)
def _protect(
    domains: frozenset[Group], respondents: tuple[int, ...], minimum: int, secrets: frozenset
) -> frozenset[Group]:
    domains = set(domains)
    every = frozenset(range(len(respondents)))

    def count(group: Group) -> int:
        return sum(respondents[atom] for atom in group)

    def small(group: Group) -> bool:
        return 0 < count(group) < minimum

    hidden = {domain for domain in domains if count(domain) < minimum}
    fixed = {group for group in secrets if small(group)}
    fixed |= {frozenset([atom]) for atom in every if small(frozenset([atom]))}
    fixed |= {big - part for big in domains for part in domains if part < big}
    fixed = {group for group in fixed if small(group)}
    # The grand total is taken as known (the years' totals add up to it).
    known = [every] if count(every) >= minimum else []
    cleared: set[Group] = set()  # out of the span: they stay out, the span only shrinks
    while True:
        published = sorted(domains - hidden, key=lambda d: (count(d), sorted(d)))
        span = Span(known + published)
        leak = _first_leak(span, fixed, hidden, small, count, cleared)
        if leak is None:
            return frozenset(hidden)
        hidden.add(_complement(leak, known, published))


def _first_leak(span: Span, fixed, hidden, small, count, cleared: set[Group]) -> Group | None:
    secrets = set(fixed) | {group for group in hidden if count(group) > 0}
    ordered = sorted(hidden, key=sorted)
    for n, first in enumerate(ordered):
        for second in ordered[n + 1 :]:
            if not first & second and small(first | second):
                secrets.add(first | second)
    for group in sorted(secrets - cleared, key=lambda g: (count(g), sorted(g))):
        if group in span:
            return group
        cleared.add(group)
    return None


def _complement(leak: Group, known: list[Group], published: list[Group]) -> Group:
    """The published domain to suppress so that `leak` leaves the span: among those one
    computation of it uses, the smallest whose suppression alone does it, else the
    smallest of them (the loop then goes on)."""
    published = [domain for domain in published if domain not in known]  # hiding it is vain
    used = Span(known + published, track=True).uses(leak)
    near = [domain for n, domain in enumerate(published) if n + len(known) in used]
    for candidate in near[:_TRIES]:
        rest = Span(known + [domain for domain in published if domain != candidate])
        if leak not in rest:
            return candidate
    return near[0]
