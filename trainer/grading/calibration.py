"""Agreement between the grader and a coach's labels: exact, within one, quadratic weighted kappa, Spearman."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trainer.content.vocab import QUALITY_CRITERIA


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], lo: int = 0, hi: int = 3) -> float:
    n = hi - lo + 1
    if not a:
        return float("nan")
    observed = [[0.0] * n for _ in range(n)]
    for x, y in zip(a, b, strict=True):
        observed[x - lo][y - lo] += 1
    ha = [sum(row) for row in observed]
    hb = [sum(observed[i][j] for i in range(n)) for j in range(n)]
    total = float(len(a))
    num = den = 0.0
    for i in range(n):
        for j in range(n):
            w = (i - j) ** 2 / (n - 1) ** 2
            num += w * observed[i][j]
            den += w * ha[i] * hb[j] / total
    return 1.0 if den == 0 else 1.0 - num / den


def _ranks(xs: Sequence[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) < 2:
        return float("nan")
    ra, rb = _ranks(a), _ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return float("nan") if va == 0 or vb == 0 else cov / (va * vb)


@dataclass
class CallResult:
    id: str
    expected: dict[str, int]
    got: dict[str, int]
    outcome_expected: str | None
    outcome_got: str
    twin: str | None
    quotes_total: int
    quotes_verified: int
    citations_total: int
    citations_resolvable: int
    status: str


@dataclass
class CalibrationReport:
    calls: list[CallResult] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        calls = [c for c in self.calls if c.status != "failed"]
        per: dict[str, Any] = {}
        all_e: list[int] = []
        all_g: list[int] = []
        for crit in QUALITY_CRITERIA:
            pairs = [(c.expected[crit], c.got[crit]) for c in calls if crit in c.expected and crit in c.got]
            e, g = [p[0] for p in pairs], [p[1] for p in pairs]
            all_e += e
            all_g += g
            per[crit] = {
                "n": len(pairs),
                "exact": _share(sum(x == y for x, y in pairs), len(pairs)),
                "within_1": _share(sum(abs(x - y) <= 1 for x, y in pairs), len(pairs)),
                "qwk": round(quadratic_weighted_kappa(e, g), 3) if pairs else None,
            }
        both = list(zip(all_e, all_g, strict=True))
        totals = [(sum(c.expected.values()), sum(c.got.values())) for c in calls if c.expected]
        by_id = {c.id: c for c in calls}
        twins = []
        for c in calls:
            if c.twin and c.twin in by_id:
                diff = {k: c.got[k] - by_id[c.twin].got[k] for k in c.got if c.got[k] != by_id[c.twin].got.get(k)}
                twins.append({"call": c.id, "twin": c.twin, "differences": diff, "identical": not diff})
        q_total = sum(c.quotes_total for c in calls)
        c_total = sum(c.citations_total for c in calls)
        return {
            "calls": len(self.calls),
            "failed": len(self.calls) - len(calls),
            "criteria": per,
            "overall": {
                "exact": _share(sum(x == y for x, y in both), len(both)),
                "within_1": _share(sum(abs(x - y) <= 1 for x, y in both), len(both)),
                "qwk": round(quadratic_weighted_kappa(all_e, all_g), 3) if both else None,
                "spearman_totals": round(spearman([t[0] for t in totals], [t[1] for t in totals]), 3)
                if totals
                else None,
                "outcome_agreement": _share(
                    sum(c.outcome_expected == c.outcome_got for c in calls if c.outcome_expected),
                    sum(1 for c in calls if c.outcome_expected),
                ),
            },
            "injection_twins": twins,
            "verified_quotes": _share(sum(c.quotes_verified for c in calls), q_total),
            "resolvable_citations": _share(sum(c.citations_resolvable for c in calls), c_total),
            "disagreements": [
                {"call": c.id, "criterion": k, "expected": c.expected[k], "got": c.got.get(k)}
                for c in calls
                for k in QUALITY_CRITERIA
                if k in c.expected and c.got.get(k) != c.expected[k]
            ],
        }


def _share(n: int, d: int) -> float | None:
    return round(n / d, 3) if d else None
