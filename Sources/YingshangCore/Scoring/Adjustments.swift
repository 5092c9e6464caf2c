import Foundation

/// Bonus and deduction rules (加分 / 扣分) of a campaign, applied to the units responsible for each indicator.
public enum AdjustmentRuleKind: String, Codable, CaseIterable, Sendable {
    case topRankBonus = "top_rank_bonus"
    case bottomRankDeduction = "bottom_rank_deduction"
    case lateFilingPerDay = "late_filing_per_day"
    case falsificationPerFlag = "falsification_per_flag"

    public var chineseName: String {
        switch self {
        case .topRankBonus: return "排名靠前加分"
        case .bottomRankDeduction: return "排名靠后扣分"
        case .lateFilingPerDay: return "填报滞后扣分（每工作日）"
        case .falsificationPerFlag: return "数据造假扣分（每条确认问题）"
        }
    }

    public var isBonus: Bool { self == .topRankBonus }
    public var usesRank: Bool { self == .topRankBonus || self == .bottomRankDeduction }
}

public struct AdjustmentRule: Codable, Equatable, Sendable {
    public var kind: AdjustmentRuleKind
    /// Rank rules: the top/bottom K regions, or the top/bottom p% (rounded up) when `percent` is set.
    public var k: Int?
    public var percent: Double?
    /// Magnitude in points; bonuses add it, deductions subtract it.
    public var points: Double
    /// nil = every indicator.
    public var indicatorCode: String?

    public init(kind: AdjustmentRuleKind, k: Int? = nil, percent: Double? = nil, points: Double, indicatorCode: String? = nil) {
        self.kind = kind
        self.k = k
        self.percent = percent
        self.points = points
        self.indicatorCode = indicatorCode
    }

    /// How many regions a rank rule covers among `assessed`.
    public func count(assessed: Int) -> Int {
        if let percent { return Int((Double(assessed) * percent / 100).rounded(.up)) }
        return k ?? 0
    }
}

public struct RuleSet: Codable, Equatable, Sendable {
    public var rules: [AdjustmentRule]
    /// Share of each rule's points that every cooperating unit receives (the lead unit receives all of it).
    public var cooperatingShare: Double

    /// Fewest enterprises a survey-based value needs to be scored (nil: `SurveyScoringRules.defaultMinimumRespondents`).
    public var minimumSurveyRespondents: Int?

    public init(rules: [AdjustmentRule] = [], cooperatingShare: Double = 0.5, minimumSurveyRespondents: Int? = nil) {
        self.rules = rules
        self.cooperatingShare = cooperatingShare
        self.minimumSurveyRespondents = minimumSurveyRespondents
    }

    public var surveyMinimum: Int { minimumSurveyRespondents ?? SurveyScoringRules.defaultMinimumRespondents }

    /// Problems keyed `rules[i].field`, in Chinese. `assessedCount` is the number of regions the campaign ranks.
    public func problems(assessedCount: Int, indicatorCodes: Set<String>) -> [FieldProblem] {
        var out: [FieldProblem] = []
        if !(0...1).contains(cooperatingShare) || !cooperatingShare.isFinite {
            out.append(.init(field: "cooperatingShare", message: "配合单位分担比例应在 0 到 1 之间"))
        }
        if let m = minimumSurveyRespondents, !(1...10_000).contains(m) {
            out.append(.init(field: "minimumSurveyRespondents", message: "问卷最少回答企业数应为 1–10000 的整数"))
        }
        for (i, r) in rules.enumerated() {
            let n = "第 \(i + 1) 条规则（\(r.kind.chineseName)）"
            if !(r.points > 0 && r.points <= 100 && r.points.isFinite) {
                out.append(.init(field: "rules[\(i)].points", message: "\(n)：分值应大于 0 且不超过 100"))
            }
            if let code = r.indicatorCode, !indicatorCodes.contains(code) {
                out.append(.init(field: "rules[\(i)].indicatorCode", message: "\(n)：指标 \(code) 不在本次评价中"))
            }
            guard r.kind.usesRank else { continue }
            switch (r.k, r.percent) {
            case (nil, nil), (.some, .some):
                out.append(.init(field: "rules[\(i)].k", message: "\(n)：请填写名次 K 或百分比 p（二选一）"))
            case (.some(let k), nil):
                if k < 1 {
                    out.append(.init(field: "rules[\(i)].k", message: "\(n)：K 应为正整数"))
                } else if k > assessedCount {
                    out.append(.init(field: "rules[\(i)].k", message: "\(n)：K = \(k) 大于被评价地区数 \(assessedCount)"))
                }
            case (nil, .some(let p)):
                if !(p > 0 && p <= 100) { out.append(.init(field: "rules[\(i)].percent", message: "\(n)：百分比应在 0 到 100 之间")) }
            }
        }
        return out
    }
}

/// Who answers for one indicator of one region, and the facts the non-rank rules need.
public struct UnitAssignment: Codable, Equatable, Sendable {
    public var regionID: String
    public var indicatorCode: String
    public var leadUnitID: String?
    public var cooperatingUnitIDs: [String]
    /// Working days the filing was handed in after its scheduled day (0 when on time).
    public var lateWorkdays: Int
    /// Confirmed falsification flags (数据造假) on this indicator.
    public var confirmedFlags: Int

    public init(regionID: String, indicatorCode: String, leadUnitID: String?, cooperatingUnitIDs: [String], lateWorkdays: Int = 0, confirmedFlags: Int = 0) {
        self.regionID = regionID
        self.indicatorCode = indicatorCode
        self.leadUnitID = leadUnitID
        self.cooperatingUnitIDs = cooperatingUnitIDs
        self.lateWorkdays = lateWorkdays
        self.confirmedFlags = confirmedFlags
    }
}

/// A deduction or bonus entered by hand (推动不力…); the reason is mandatory.
public struct ManualAdjustment: Codable, Equatable, Sendable {
    public var unitID: String
    public var indicatorCode: String?
    /// Signed: negative deducts.
    public var points: Double
    public var reason: String

    public init(unitID: String, indicatorCode: String?, points: Double, reason: String) {
        self.unitID = unitID
        self.indicatorCode = indicatorCode
        self.points = points
        self.reason = reason
    }

    public func problems() -> [FieldProblem] {
        var out: [FieldProblem] = []
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append(.init(field: "reason", message: "请填写加减分理由")) }
        if !(points != 0 && abs(points) <= 100 && points.isFinite) { out.append(.init(field: "points", message: "分值应为 −100 到 100 之间的非零数")) }
        return out
    }
}

public struct AdjustmentItem: Codable, Equatable, Sendable {
    public var unitID: String
    public var regionID: String?
    public var indicatorCode: String?
    /// A rule kind's raw value, or "manual".
    public var rule: String
    public var description: String
    public var points: Double
}

public struct UnitResult: Codable, Equatable, Sendable {
    public var unitID: String
    /// Mean score of the indicators the unit leads or cooperates on; nil when none is scored.
    public var base: Double?
    public var items: [AdjustmentItem]
    public var adjustments: Double { items.reduce(0) { $0 + $1.points } }
    public var total: Double? { base.map { $0 + adjustments } }
}

/// The unit assessment table (单位考核得分): base score plus every itemised bonus and deduction.
public enum UnitAssessment {
    public static func compute(
        result: ScoringResult, assignments: [UnitAssignment], rules: RuleSet, manual: [ManualAdjustment]
    ) -> [UnitResult] {
        var items: [String: [AdjustmentItem]] = [:]
        var scores: [String: [Double]] = [:]
        var order: [String] = []
        func touch(_ u: String) { if items[u] == nil { items[u] = []; order.append(u) } }
        let n = result.assessedCount
        for a in assignments {
            guard let region = result.region(a.regionID), !region.isBenchmark else { continue }
            let indicator = region.indicator(a.indicatorCode)
            let units: [(String, Double)] = (a.leadUnitID.map { [($0, 1.0)] } ?? []) + a.cooperatingUnitIDs.map { ($0, rules.cooperatingShare) }
            for (u, _) in units {
                touch(u)
                if let s = indicator?.score { scores[u, default: []].append(s) }
            }
            let name = indicator?.nameZh ?? a.indicatorCode
            for rule in rules.rules where rule.indicatorCode == nil || rule.indicatorCode == a.indicatorCode {
                var magnitude = 0.0
                var text = ""
                switch rule.kind {
                case .topRankBonus, .bottomRankDeduction:
                    guard let rank = indicator?.rank else { continue }
                    let k = rule.count(assessed: n)
                    let hit = rule.kind == .topRankBonus ? rank <= k : rank > n - k
                    guard hit, k > 0 else { continue }
                    magnitude = rule.points
                    text = "「\(name)」排名第 \(rank)/\(n)，\(rule.kind == .topRankBonus ? "进入前" : "位于后") \(k) 名"
                case .lateFilingPerDay:
                    guard a.lateWorkdays > 0 else { continue }
                    magnitude = rule.points * Double(a.lateWorkdays)
                    text = "「\(name)」填报滞后 \(a.lateWorkdays) 个工作日 × \(Scoring.fmt(rule.points)) 分"
                case .falsificationPerFlag:
                    guard a.confirmedFlags > 0 else { continue }
                    magnitude = rule.points * Double(a.confirmedFlags)
                    text = "「\(name)」确认数据造假 \(a.confirmedFlags) 条 × \(Scoring.fmt(rule.points)) 分"
                }
                let signed = rule.kind.isBonus ? magnitude : -magnitude
                for (u, share) in units {
                    let pts = signed * share
                    guard pts != 0 else { continue }
                    let role = share == 1 && u == a.leadUnitID ? "牵头" : "配合（分担 \(Scoring.fmt(share * 100))%）"
                    items[u, default: []].append(
                        AdjustmentItem(
                            unitID: u, regionID: a.regionID, indicatorCode: a.indicatorCode, rule: rule.kind.rawValue,
                            description: "\(rule.kind.chineseName)：\(text)，\(role)", points: pts))
                }
            }
        }
        for m in manual {
            touch(m.unitID)
            items[m.unitID, default: []].append(
                AdjustmentItem(
                    unitID: m.unitID, regionID: nil, indicatorCode: m.indicatorCode, rule: "manual",
                    description: (m.points < 0 ? "推动不力等扣分：" : "其他加分：") + m.reason, points: m.points))
        }
        return order.map { u in
            let s = scores[u] ?? []
            return UnitResult(unitID: u, base: s.isEmpty ? nil : s.reduce(0, +) / Double(s.count), items: items[u] ?? [])
        }
    }
}
