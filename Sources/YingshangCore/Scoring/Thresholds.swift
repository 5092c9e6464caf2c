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

/// 预警值/先进值 as a table (the XLSX a province distributes): a header row naming 指标代码, 地区代码 (blank = every
/// assessed region), 预警值 and 先进值 in any order, then one line per row. All or nothing: every problem is named
/// by its row, and no lines are returned unless all rows are good.
public enum ThresholdTable {
    public static let header = ["指标代码", "指标名称", "地区代码", "地区名称", "预警值", "先进值"]

    /// `regions`: division code → the campaign's region id.
    public static func parse(_ rows: [[String]], indicators: Set<String>, regions: [String: String]) -> (lines: [ScoreThreshold], problems: [String]) {
        func norm(_ s: String) -> String { s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{FEFF}", with: "") }
        guard let head = rows.first?.map(norm) else { return ([], ["文件为空"]) }
        var col: [String: Int] = [:]
        for name in ["指标代码", "地区代码", "预警值", "先进值"] {
            if let i = head.firstIndex(of: name) { col[name] = i }
        }
        let missing = ["指标代码", "预警值", "先进值"].filter { col[$0] == nil }
        if !missing.isEmpty { return ([], ["第 1 行缺少列：" + missing.joined(separator: "、")]) }
        var lines: [ScoreThreshold] = []
        var problems: [String] = []
        var seen: [String: Int] = [:]
        for (offset, row) in rows.dropFirst().enumerated() {
            let n = offset + 2
            func cell(_ name: String) -> String { col[name].flatMap { $0 < row.count ? norm(row[$0]) : nil } ?? "" }
            let code = cell("指标代码"), regionCode = cell("地区代码"), w = cell("预警值"), a = cell("先进值")
            if code.isEmpty && regionCode.isEmpty && w.isEmpty && a.isEmpty { continue }
            var errs: [String] = []
            if !indicators.contains(code) { errs.append("指标代码“\(code.prefix(40))”不在本次评价中") }
            var regionID: String? = nil
            if !regionCode.isEmpty {
                if let id = regions[regionCode] { regionID = id } else { errs.append("地区代码“\(regionCode.prefix(20))”不是本次评价的被评价地区") }
            }
            let warning = w.isEmpty ? nil : FiledNumber.parse(w)
            let advanced = a.isEmpty ? nil : FiledNumber.parse(a)
            if !w.isEmpty && warning == nil { errs.append("预警值“\(w.prefix(20))”不是数字") }
            if !a.isEmpty && advanced == nil { errs.append("先进值“\(a.prefix(20))”不是数字") }
            let line = ScoreThreshold(indicatorCode: code, regionID: regionID, warning: warning, advanced: advanced)
            if errs.isEmpty { errs = line.problems }
            let key = "\(code)|\(regionCode)"
            if let first = seen[key] { errs.append("与第 \(first) 行重复") } else { seen[key] = n }
            if errs.isEmpty {
                if warning != nil || advanced != nil { lines.append(line) }
            } else {
                problems.append("第 \(n) 行：" + errs.joined(separator: "；"))
            }
            if problems.count >= 100 { break }
        }
        return problems.isEmpty ? (lines, []) : ([], problems)
    }
}
