#!/usr/bin/env python3
"""Independent reference for stratified allocation with a per-stratum minimum (docs/methods.md, "Allocation").

Written separately from the Swift code and by a different algorithm: the iterative procedure as a statistician
states it -- strata whose share is below their minimum get the minimum, strata whose share exceeds N_h get N_h,
the rest of n is re-allocated in proportion among the others, repeated until nothing changes (a stratum fixed
earlier is released again if, with the new shares, it no longer violates) -- then Hamilton rounding, using exact
rational arithmetic (fractions.Fraction) so no floating point decides a remainder.

Prints the fixtures that Tests/YingshangCoreTests/AllocationTests.swift asserts.
"""
from fractions import Fraction
import json


def allocate(n, sizes, weights, minimum):
    H = len(sizes)
    lower = [min(minimum, N) for N in sizes]
    upper = list(sizes)
    fixed = {}  # h -> value
    for _ in range(10 * H + 10):
        free = [h for h in range(H) if h not in fixed]
        rest = n - sum(fixed.values())
        wsum = sum(Fraction(weights[h]) for h in free)
        share = {h: (rest * Fraction(weights[h]) / wsum if wsum > 0 else Fraction(0)) for h in free}
        changed = False
        # Release fixed strata whose current proportional share is back inside their box.
        lam = rest / wsum if wsum > 0 else None
        for h in list(fixed):
            if lam is None:
                continue
            x = lam * Fraction(weights[h])
            if lower[h] < x < upper[h]:
                del fixed[h]
                changed = True
        if changed:
            continue
        # Fix violators: caps first (they free sample for others), then minimums.
        over = [h for h in free if share[h] > upper[h]]
        if over:
            for h in over:
                fixed[h] = Fraction(upper[h])
            continue
        under = [h for h in free if share[h] < lower[h]]
        if under:
            for h in under:
                fixed[h] = Fraction(lower[h])
            continue
        quotas = [fixed[h] if h in fixed else share[h] for h in range(H)]
        break
    else:
        raise RuntimeError("did not converge")
    # Hamilton: floors, then +1 by largest remainder (ties: lower index), within [lower, upper].
    alloc = [max(lower[h], min(upper[h], q.numerator // q.denominator)) for h, q in enumerate(quotas)]
    left = n - sum(alloc)
    order = sorted(range(H), key=lambda h: (-(quotas[h] - quotas[h].numerator // quotas[h].denominator), h))
    while left > 0:
        progressed = False
        for h in order:
            if left > 0 and alloc[h] < upper[h]:
                alloc[h] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    assert sum(alloc) == n
    return alloc


def zipf_sizes(count, top, exponent):
    return [int(top / (h + 1) ** exponent) + 1 for h in range(count)]


cases = {}
cases["three_strata_min5"] = dict(n=100, sizes=[900, 90, 10], minimum=5, method="proportional")
cases["min_not_binding"] = dict(n=200, sizes=[1000, 500, 300, 100, 100], minimum=2, method="proportional")
cases["township_12"] = dict(n=400, sizes=[5200, 3100, 2400, 1800, 1500, 1300, 1100, 900, 800, 500, 250, 150], minimum=10, method="proportional")
cases["zipf_229_min2"] = dict(n=1000, sizes=zipf_sizes(229, 6000, 1.1), minimum=2, method="proportional")
cases["equal_with_cap"] = dict(n=60, sizes=[3, 50, 50], minimum=0, method="equal")
cases["neyman_min3"] = dict(n=120, sizes=[4000, 2500, 800, 300, 40, 12], sds=[10.0, 22.5, 30.0, 5.0, 40.0, 1.0], minimum=3, method="neyman")
cases["neyman_caps"] = dict(n=150, sizes=[20, 30, 2000, 1500], sds=[900.0, 800.0, 5.0, 4.0], minimum=2, method="neyman")

out = {}
for name, c in cases.items():
    if c["method"] == "proportional":
        w = c["sizes"]
    elif c["method"] == "equal":
        w = [1 if N > 0 else 0 for N in c["sizes"]]
    else:
        w = [Fraction(N) * Fraction(str(s)) for N, s in zip(c["sizes"], c["sds"])]
    out[name] = dict(c, expected=allocate(c["n"], c["sizes"], w, c["minimum"]))
print(json.dumps(out, ensure_ascii=False))
