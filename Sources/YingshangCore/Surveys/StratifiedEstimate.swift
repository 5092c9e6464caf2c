import Foundation

/// The stratified estimate of a mean from one draw's respondents (docs/methods.md, "Stratified satisfaction index").
///
/// Each respondent of stratum h weighs w_h = N_h / r_h (r_h: respondents, not the planned n_h, so that strata that
/// answered less are not under-represented). The estimate is ȳ_st = Σ W_h ȳ_h with W_h = N_h / Σ N_h over strata that
/// have respondents (a stratum without any cannot be estimated and is listed as such). Its variance is Cochran's
/// v(ȳ_st) = Σ W_h² (1 − r_h/N_h) s_h² / r_h (finite-population correction per stratum), the interval uses Student's
/// t with Σ r_h − H degrees of freedom, and the design effect compares v(ȳ_st) with simple random sampling of the
/// same size: deff = v(ȳ_st) / [(1 − n/N) s²/n], s² the weighted population variance estimate. This is what R's
/// `survey` package computes with `svydesign(strata=, fpc=, weights=)`, `svymean(deff=TRUE)`, `confint(df=degf())`,
/// and the test fixtures come from it (scripts/reference/stratified-index.R).
public enum StratifiedEstimate {
    public struct Stratum: Equatable, Sendable {
        public let key: String
        /// N_h: enterprises in the stratum's population.
        public let population: Int
        /// n_h: the planned sample of the stratum in the draw.
        public let planned: Int
        /// One value per respondent.
        public let values: [Double]

        public init(key: String, population: Int, planned: Int, values: [Double]) {
            self.key = key
            self.population = population
            self.planned = planned
            self.values = values
        }
    }

    public struct StratumResult: Equatable, Sendable {
        public let key: String
        public let population: Int
        public let planned: Int
        public let respondents: Int
        /// r_h / n_h (nil when nothing was planned).
        public let responseRate: Double?
        public let mean: Double?
        /// N_h / r_h, the weight of each respondent of the stratum.
        public let weight: Double?
    }

    public struct Result: Equatable, Sendable {
        public let mean: Double
        public let standardError: Double?
        public let degreesOfFreedom: Int
        /// Half-width of the 95% interval, t(0.975, df) × SE; nil when it cannot be estimated (df < 1).
        public let halfWidth95: Double?
        public let designEffect: Double?
        public let respondents: Int
        public let strata: [StratumResult]
        /// Strata with one respondent: no within-stratum variance can be estimated; they add nothing to v(ȳ_st)
        /// (R: `options(survey.lonely.psu = "remove")`), which the page says.
        public let singleRespondentStrata: [String]
    }

    /// The sample standard deviation (n − 1 in the denominator, as R's `sd`); nil below two values. A previous
    /// draw's per-stratum figure is the S_h a Neyman allocation asks for.
    public static func sampleStandardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count >= 2 else { return nil }
        let mean = xs.reduce(0, +) / Double(xs.count)
        return (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)).squareRoot()
    }

    public static func estimate(_ strata: [Stratum]) -> Result? {
        let answered = strata.filter { !$0.values.isEmpty && $0.population > 0 }
        guard !answered.isEmpty else { return nil }
        let bigN = Double(answered.reduce(0) { $0 + $1.population })
        var mean = 0.0
        var variance = 0.0
        var lonely: [String] = []
        for s in answered {
            let r = Double(s.values.count)
            let w = Double(s.population) / bigN
            let m = s.values.reduce(0, +) / r
            mean += w * m
            if s.values.count > 1 {
                let s2 = s.values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (r - 1)
                let fpc = max(0, 1 - r / Double(s.population))
                variance += w * w * fpc * s2 / r
            } else {
                lonely.append(s.key)
            }
        }
        let n = answered.reduce(0) { $0 + $1.values.count }
        let df = n - answered.count
        let se = variance.squareRoot()
        let half = df >= 1 ? StudentT.quantile(0.975, degreesOfFreedom: Double(df)) * se : nil
        // Design effect: against SRS without replacement of n from N, with the weighted variance estimate s².
        var deff: Double? = nil
        if n > 1 {
            var sw = 0.0
            var swd = 0.0
            for s in answered {
                let wi = Double(s.population) / Double(s.values.count)
                for y in s.values {
                    sw += wi
                    swd += wi * (y - mean) * (y - mean)
                }
            }
            let s2 = swd / sw * Double(n) / Double(n - 1)
            let vsrs = s2 / Double(n) * (bigN - Double(n)) / bigN
            if vsrs > 0 { deff = variance / vsrs }
        }
        let rows = strata.map { s in
            StratumResult(
                key: s.key, population: s.population, planned: s.planned, respondents: s.values.count,
                responseRate: s.planned > 0 ? Double(s.values.count) / Double(s.planned) : nil,
                mean: s.values.isEmpty ? nil : s.values.reduce(0, +) / Double(s.values.count),
                weight: s.values.isEmpty ? nil : Double(s.population) / Double(s.values.count))
        }
        return Result(
            mean: mean, standardError: n > answered.count || !lonely.isEmpty ? se : nil, degreesOfFreedom: df,
            halfWidth95: half, designEffect: deff, respondents: n, strata: rows, singleRespondentStrata: lonely)
    }
}

/// Student's t distribution: the CDF through the regularized incomplete beta function (continued fraction,
/// Numerical Recipes §6.4), the quantile by bisection on it. Checked against R's `qt` in the tests.
public enum StudentT {
    public static func cdf(_ t: Double, degreesOfFreedom v: Double) -> Double {
        let x = v / (v + t * t)
        let tail = 0.5 * regularizedBeta(x, a: v / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    public static func quantile(_ p: Double, degreesOfFreedom v: Double) -> Double {
        precondition(p > 0 && p < 1 && v > 0)
        var (lo, hi) = (-1e6, 1e6)
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if cdf(mid, degreesOfFreedom: v) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 { break }
        }
        return (lo + hi) / 2
    }

    static func regularizedBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnFront: Double = lnBeta + a * log(x) + b * log(1 - x)
        if x < (a + 1) / (a + b + 2) {
            return exp(lnFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(lnFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// Lentz's method for the continued fraction of I_x(a, b).
    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
