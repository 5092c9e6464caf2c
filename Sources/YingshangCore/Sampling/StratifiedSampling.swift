import Foundation

/// A seeded generator (SplitMix64): the same seed gives the same sequence on every platform and database.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n without modulo bias.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let r = next()
            if r < limit { return Int(r % bound) }
        }
    }
}

/// Stratified sampling (REFERENCE.md): allocation of n over strata, then simple random sampling without
/// replacement inside each stratum from a seeded generator, with a reserve list per stratum.
public enum StratifiedSampling {
    public enum Allocation: String, Codable, CaseIterable, Sendable {
        case proportional, neyman, equal

        public var chineseName: String {
            switch self {
            case .proportional: return "按比例分配"
            case .neyman: return "奈曼分配"
            case .equal: return "等量分配"
            }
        }
    }

    public struct Stratum: Equatable, Sendable {
        public let key: String
        public let size: Int
        /// Standard deviation S_h, needed for Neyman allocation.
        public let sd: Double?

        public init(key: String, size: Int, sd: Double? = nil) {
            self.key = key
            self.size = size
            self.sd = sd
        }
    }

    public enum Problem: Error, Equatable, Sendable {
        case sampleTooLarge(n: Int, population: Int)
        case nonPositiveSize
        case missingSD(String)
        case minimumTooLarge(needed: Int, n: Int)

        public var message: String {
            switch self {
            case .sampleTooLarge(let n, let p): return "样本量 \(n) 超过符合条件的企业数 \(p)"
            case .nonPositiveSize: return "样本量应为正整数"
            case .missingSD(let key): return "奈曼分配需要每层的标准差，层“\(key)”缺少或不为正数"
            case .minimumTooLarge(let needed, let n): return "每层最少样本合计 \(needed) 超过样本量 \(n)"
            }
        }
    }

    /// n_h per stratum: sums to n exactly, never above N_h, at least min(minimum, N_h).
    ///
    /// The minimum binds only where it is needed (docs/methods.md, "Allocation"): the real-valued allocation is
    /// x_h = clamp(λ·w_h, m_h, N_h) with the one λ for which Σ x_h = n, where w_h = N_h (proportional), N_h·S_h
    /// (Neyman) or 1 (equal). A stratum whose share falls below its minimum gets the minimum, one whose share
    /// exceeds its size gets its size, and the rest of n is shared in proportion to w_h among the others — the
    /// fixed point of "give the minimum where needed, re-allocate the rest, repeat until stable". Then Hamilton
    /// (largest remainder) rounding, within [m_h, N_h].
    public static func allocate(n: Int, strata: [Stratum], method: Allocation, minimum: Int = 0) -> Result<[Int], Problem> {
        guard n > 0 else { return .failure(.nonPositiveSize) }
        let population = strata.reduce(0) { $0 + $1.size }
        guard n <= population else { return .failure(.sampleTooLarge(n: n, population: population)) }
        let floors = strata.map { min(max(minimum, 0), max($0.size, 0)) }
        let floorTotal = floors.reduce(0, +)
        guard floorTotal <= n else { return .failure(.minimumTooLarge(needed: floorTotal, n: n)) }
        let weights: [Double]
        switch method {
        case .proportional:
            weights = strata.map { Double(max($0.size, 0)) }
        case .equal:
            weights = strata.map { $0.size > 0 ? 1 : 0 }
        case .neyman:
            for s in strata where s.size > 0 && !((s.sd ?? 0) > 0) { return .failure(.missingSD(s.key)) }
            weights = strata.map { Double(max($0.size, 0)) * ($0.sd ?? 0) }
        }
        let caps = strata.map { max($0.size, 0) }
        let quotas = boxedShares(total: Double(n), weights: weights, lower: floors.map(Double.init), upper: caps.map(Double.init))
        return .success(roundWithin(quotas, total: n, lower: floors, upper: caps))
    }

    /// x_h = clamp(λ·w_h, lower_h, upper_h) with Σ x_h = total (Σ lower ≤ total ≤ Σ upper). Σ x_h is piecewise
    /// linear and non-decreasing in λ with breaks at lower_h/w_h and upper_h/w_h, so λ is found exactly on the
    /// segment where the sum reaches the total.
    static func boxedShares(total: Double, weights: [Double], lower: [Double], upper: [Double]) -> [Double] {
        func shares(_ lambda: Double) -> [Double] {
            weights.indices.map { min(max(lambda * weights[$0], lower[$0]), upper[$0]) }
        }
        var breaks: [Double] = [0]
        for h in weights.indices where weights[h] > 0 {
            breaks.append(lower[h] / weights[h])
            breaks.append(upper[h] / weights[h])
        }
        breaks = Array(Set(breaks)).sorted()
        var previous = 0.0
        for lambda in breaks {
            let sum = shares(lambda).reduce(0, +)
            if sum >= total {
                // Between `previous` and `lambda` the sum is linear in λ: the strata strictly inside their box move.
                let base = shares(previous)
                let baseSum = base.reduce(0, +)
                let slope = weights.indices.reduce(0.0) { acc, h in
                    let x = previous * weights[h]
                    return acc + ((weights[h] > 0 && x >= lower[h] && x < upper[h]) ? weights[h] : 0)
                }
                guard slope > 0 else { return shares(lambda) }
                return shares(previous + (total - baseSum) / slope)
            }
            previous = lambda
        }
        return upper
    }

    /// Largest-remainder (Hamilton) rounding of real quotas to integers summing to `total`, each within
    /// [lower_h, upper_h]; remainders in descending order, ties by stratum order (reproducible).
    static func roundWithin(_ quotas: [Double], total: Int, lower: [Int], upper: [Int]) -> [Int] {
        var alloc = quotas.indices.map { min(max(Int(quotas[$0].rounded(.down)), lower[$0]), upper[$0]) }
        var remaining = total - alloc.reduce(0, +)
        let order = quotas.indices.sorted {
            let (ra, rb) = (quotas[$0] - quotas[$0].rounded(.down), quotas[$1] - quotas[$1].rounded(.down))
            return ra != rb ? ra > rb : $0 < $1
        }
        while remaining > 0 {
            var progressed = false
            for i in order where remaining > 0 && alloc[i] < upper[i] {
                alloc[i] += 1
                remaining -= 1
                progressed = true
            }
            if !progressed { break }
        }
        // Floating-point residue can leave one unit too many; take it from the smallest remainders above the floor.
        for i in order.reversed() where remaining < 0 && alloc[i] > lower[i] {
            alloc[i] -= 1
            remaining += 1
        }
        return alloc
    }

    public struct Selection: Equatable, Sendable {
        public let sample: [String]
        public let reserve: [String]
    }

    /// Picks `take` members and then `reserve` more as an ordered reserve list. Members are sorted first, so the
    /// result depends only on the set of members, the counts and the generator.
    public static func select(members: [String], take: Int, reserve: Int, using rng: inout SeededGenerator) -> Selection {
        select(sorted: EnterpriseRegister.SortedCodes(members), take: take, reserve: reserve, using: &rng)
    }

    /// The same draw over codes already in string order: positions are shuffled, and only the chosen codes are
    /// read out (a million-member stratum is not turned into a million strings).
    public static func select(
        sorted members: EnterpriseRegister.SortedCodes, take: Int, reserve: Int, using rng: inout SeededGenerator
    ) -> Selection {
        var pool = Array(members.indices)
        let k = min(pool.count, take + reserve)
        // Partial Fisher–Yates: the first k positions are a uniform random ordered sample.
        for i in 0..<k {
            let j = i + rng.below(pool.count - i)
            pool.swapAt(i, j)
        }
        let chosen = pool.prefix(k).map { members[$0] }
        return Selection(sample: Array(chosen.prefix(min(take, k))), reserve: Array(chosen.dropFirst(min(take, k))))
    }

    /// Reserve size per stratum for a ratio (e.g. 0.2), rounded up, within what the stratum has left.
    public static func reserveCount(sample: Int, stratumSize: Int, ratio: Double) -> Int {
        guard ratio > 0 else { return 0 }
        return min(stratumSize - sample, Int((Double(sample) * ratio).rounded(.up)))
    }
}

/// Enterprise satisfaction (REFERENCE.md): 1–5 answers map to 0–100.
public enum SatisfactionIndex {
    public static func score(_ likert: Int) -> Double? {
        guard (1...5).contains(likert) else { return nil }
        return Double(likert - 1) / 4 * 100
    }

    /// One enterprise's index: the mean over its answered items (nil when none).
    public static func enterprise(_ answers: [Int]) -> Double? {
        let scores = answers.compactMap(score)
        return scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
    }

    public struct Summary: Equatable, Sendable {
        public let n: Int
        public let mean: Double
        /// Half-width of the 95% confidence interval (normal approximation; nil for fewer than 2 respondents).
        public let halfWidth95: Double?
    }

    public static func indicator(_ enterpriseIndexes: [Double]) -> Summary? {
        let n = enterpriseIndexes.count
        guard n > 0 else { return nil }
        let mean = enterpriseIndexes.reduce(0, +) / Double(n)
        guard n > 1 else { return Summary(n: n, mean: mean, halfWidth95: nil) }
        let variance = enterpriseIndexes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        return Summary(n: n, mean: mean, halfWidth95: 1.96 * (variance / Double(n)).squareRoot())
    }
}
