import Foundation

/// 预警值 and 先进值 of an indicator score (0–100, higher is better): a score below the warning value is flagged red
/// and its lead unit and the coordinators are told once; one at or above the advanced value is marked and proposed
/// for the best-practice library. Set per campaign, optionally per region (provincial tables differ by place): a
/// region's own line wins over the campaign-wide one.
public struct ScoreThreshold: Codable, Equatable, Sendable {
    public var indicatorCode: String
    /// nil: every assessed region of the campaign.
    public var regionID: String?
    public var warning: Double?
    public var advanced: Double?

    public init(indicatorCode: String, regionID: String? = nil, warning: Double?, advanced: Double?) {
        self.indicatorCode = indicatorCode
        self.regionID = regionID
        self.warning = warning
        self.advanced = advanced
    }

    /// Chinese problems: values outside 0–100, or a warning value not below the advanced value.
    public var problems: [String] {
        var out: [String] = []
        for (name, v) in [("预警值", warning), ("先进值", advanced)] {
            if let v, !(0...100).contains(v) || !v.isFinite { out.append("\(name)应在 0–100 之间") }
        }
        if let w = warning, let a = advanced, w >= a { out.append("预警值应低于先进值") }
        return out
    }
}

public enum ScoreMark: String, Codable, Sendable {
    case warning, normal, advanced

    public var chineseName: String {
        switch self {
        case .warning: return "低于预警值"
        case .normal: return ""
        case .advanced: return "达到先进值"
        }
    }
}

public enum Thresholds {
    /// The line in force for an indicator in a region: the region's own, else the campaign-wide one.
    public static func resolve(_ code: String, regionID: String, in lines: [ScoreThreshold]) -> ScoreThreshold? {
        lines.first { $0.indicatorCode == code && $0.regionID == regionID } ?? lines.first { $0.indicatorCode == code && $0.regionID == nil }
    }

    /// Strictly below the warning value is a warning; at or above the advanced value is advanced. An unscored
    /// indicator (未填报) is not marked: it is missing data, reported as such.
    public static func mark(score: Double?, _ line: ScoreThreshold?) -> ScoreMark {
        guard let score, let line else { return .normal }
        if let w = line.warning, score < w { return .warning }
        if let a = line.advanced, score >= a { return .advanced }
        return .normal
    }

    public struct Finding: Equatable, Sendable {
        public let regionID: String
        public let regionName: String
        public let indicatorCode: String
        public let indicatorName: String
        public let score: Double
        public let mark: ScoreMark
        public let threshold: Double
    }

    /// Every marked indicator of the assessed regions of a scoring result (benchmarks are not marked).
    public static func findings(_ result: ScoringResult, lines: [ScoreThreshold]) -> [Finding] {
        var out: [Finding] = []
        for region in result.regions where !region.isBenchmark {
            for ind in region.indicators {
                let line = resolve(ind.code, regionID: region.id, in: lines)
                let m = mark(score: ind.score, line)
                guard m != .normal, let score = ind.score, let value = m == .warning ? line?.warning : line?.advanced else { continue }
                out.append(Finding(
                    regionID: region.id, regionName: region.name, indicatorCode: ind.code, indicatorName: ind.nameZh, score: score,
                    mark: m, threshold: value))
            }
        }
        return out
    }
}
