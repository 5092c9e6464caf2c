import Foundation

/// Survey-derived sub-indicators (B-READY's firm-level data): a share of responding enterprises or a median,
/// with the number of answers and a 95% interval. Methods in docs/methods.md.
public enum SurveyMeasures {
    public struct Estimate: Equatable, Sendable {
        /// A share in % (0–100), or the median in the item's unit.
        public let value: Double
        public let n: Int
        /// The 95% interval; nil when too few answers for one (a median needs 6).
        public let low: Double?
        public let high: Double?

        /// "n = 40，95% 区间 10.56–35.17"
        public var note: String {
            "问卷 n = \(n)" + (low.flatMap { l in high.map { h in "，95% 区间 \(Scoring.fmt2(l))–\(Scoring.fmt2(h))" } } ?? "")
        }
    }

    /// The item's answers among `responses` (`<indicator>.<item>`), blank answers left out.
    public static func estimate(_ m: SurveyMeasure, indicator: String, responses: [[String: String]]) -> Estimate? {
        let answers = responses.compactMap { $0["\(indicator).\(m.item)"]?.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        switch m.statistic {
        case .shareYes:
            let valid = answers.filter { $0 == "是" || $0 == "否" }
            guard !valid.isEmpty else { return nil }
            let yes = valid.filter { $0 == "是" }.count
            let (lo, hi) = wilson(yes: yes, n: valid.count)
            return Estimate(value: Double(yes) / Double(valid.count) * 100, n: valid.count, low: lo * 100, high: hi * 100)
        case .median:
            let values = answers.compactMap(FiledNumber.parse).sorted()
            guard let median = SurveyResults.median(values) else { return nil }
            let ci = medianInterval(sorted: values)
            return Estimate(value: median, n: values.count, low: ci?.0, high: ci?.1)
        }
    }

    /// Wilson's score interval for a proportion at 95% (z = 1.959964): better than the normal approximation for
    /// small n and shares near 0 or 1, and never outside [0, 1].
    public static func wilson(yes: Int, n: Int, z: Double = 1.959963984540054) -> (Double, Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(yes) / Double(n), nn = Double(n), z2 = z * z
        let centre = (p + z2 / (2 * nn)) / (1 + z2 / nn)
        let half = z / (1 + z2 / nn) * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }

    /// A distribution-free 95% interval for the median from order statistics: the j-th and k-th smallest values with
    /// j = ⌊n/2 − 1.96·√n/2⌋ and k = ⌈1 + n/2 + 1.96·√n/2⌉ (1-based; the normal approximation to the binomial
    /// ranks). Nil below 6 answers, where j would fall before the first value.
    public static func medianInterval(sorted v: [Double]) -> (Double, Double)? {
        let n = Double(v.count)
        guard v.count >= 6 else { return nil }
        let j = Int((n / 2 - 1.96 * n.squareRoot() / 2).rounded(.down))
        let k = Int((1 + n / 2 + 1.96 * n.squareRoot() / 2).rounded(.up))
        guard j >= 1, k <= v.count else { return nil }
        return (v[j - 1], v[k - 1])
    }
}
