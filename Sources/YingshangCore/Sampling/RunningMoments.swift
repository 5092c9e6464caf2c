import Foundation

/// Mean and sample variance accumulated one value at a time (Welford 1962), so a million register rows are read once
/// without being held and without the cancellation of Σx² − (Σx)²/n. The standard deviation uses n − 1, as R's `sd`.
public struct RunningMoments: Equatable, Sendable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var squares = 0.0

    public init() {}

    public mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        squares += delta * (x - mean)
    }

    /// nil below two values.
    public var sampleStandardDeviation: Double? {
        count >= 2 ? (squares / Double(count - 1)).squareRoot() : nil
    }
}

/// S_h for a Neyman allocation from a numeric register column used as a proxy (e.g. 从业人员): the standard deviation of
/// the column within each stratum of the frame. Cells that are not numbers are counted and left out.
public struct ProxyDeviations: Equatable, Sendable {
    public private(set) var moments: [String: RunningMoments] = [:]
    public private(set) var notNumbers = 0
    /// The whole frame's moments: the S_h offered for a stratum with fewer than two numbers.
    public private(set) var overall = RunningMoments()

    public init() {}

    public mutating func add(stratum: String, cell: String) {
        let t = cell.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return }
        guard let x = FiledNumber.parse(t), x.isFinite else {
            notNumbers += 1
            return
        }
        moments[stratum, default: RunningMoments()].add(x)
        overall.add(x)
    }

    /// Strata with at least two numbers and a positive spread (a zero S_h would give the stratum no sample at all).
    public var standardDeviations: [String: Double] {
        moments.compactMapValues { m in m.sampleStandardDeviation.flatMap { $0 > 0 ? $0 : nil } }
    }

    /// Strata of the frame without a usable S_h of their own.
    public func missing(from strata: [String]) -> [String] {
        let have = standardDeviations
        return strata.filter { have[$0] == nil }
    }

    /// S_h for every stratum of the frame: its own where it has one, else the whole frame's (nil when even that
    /// cannot be estimated).
    public func standardDeviations(for strata: [String]) -> [String: Double]? {
        let have = standardDeviations
        guard let pooled = overall.sampleStandardDeviation, pooled > 0 else { return have.isEmpty ? nil : have }
        return Dictionary(uniqueKeysWithValues: strata.map { ($0, have[$0] ?? pooled) })
    }
}
