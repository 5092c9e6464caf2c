import Foundation

/// 整改 item status: the unit plans and carries out the measures, the coordinator verifies.
public enum RectificationStatus: String, Codable, CaseIterable, Sendable {
    case planned
    case inProgress = "in_progress"
    case done
    case verified

    public var chineseName: String {
        switch self {
        case .planned: return "已制定措施"
        case .inProgress: return "整改中"
        case .done: return "已完成"
        case .verified: return "已核验销号"
        }
    }

    public var isClosed: Bool { self == .done || self == .verified }

    /// Statuses of items still being worked on.
    public static let open: [RectificationStatus] = allCases.filter { !$0.isClosed }
}

public enum RectificationRules {
    /// What generated items carry until the lead unit writes its measures (定措施).
    public static let measuresPlaceholder = "（待牵头单位制定具体整改措施）"

    /// Whether the unit has written its measures: not empty and not the generated placeholder.
    public static func hasMeasures(_ measures: String) -> Bool {
        let m = measures.trimmingCharacters(in: .whitespacesAndNewlines)
        return !m.isEmpty && m != measuresPlaceholder
    }

    /// The status as shown: a planned item whose measures are still the placeholder is 待制定措施, not 已制定措施.
    public static func statusName(_ status: RectificationStatus, measures: String) -> String {
        status == .planned && !hasMeasures(measures) ? "待制定措施" : status.chineseName
    }

    /// Why the status may not move yet, or nil: nothing moves on before the measures exist.
    public static func statusChangeProblem(from current: RectificationStatus, to target: RectificationStatus, measures: String) -> String? {
        guard target != current, current == .planned, !hasMeasures(measures) else { return nil }
        return "请先在“编辑”中填写整改措施（定措施），再更新整改状态"
    }

    /// Statuses a role may move an item to from `current`: units move forward up to done; only the coordinator
    /// verifies a done item or sends it back to in progress.
    public static func allowedTargets(from current: RectificationStatus, canVerify: Bool) -> [RectificationStatus] {
        var out: [RectificationStatus] = []
        switch current {
        case .planned: out = [.inProgress, .done]
        case .inProgress: out = [.done]
        case .done: out = canVerify ? [.verified, .inProgress] : []
        case .verified: out = canVerify ? [.inProgress] : []
        }
        return out
    }

    /// What a change of the deadline does (整改时限调整须经审批局同意): a deadline in the past is refused for
    /// everyone; the coordinator's change applies at once; a unit's change waits as a request for approval.
    public enum DeadlineChange: Equatable, Sendable {
        case unchanged
        case apply(Day)
        case request(Day)
        case refused(String)
    }

    public static func deadlineChange(current: Day?, proposed: Day, today: Day, canApprove: Bool) -> DeadlineChange {
        if proposed == current { return .unchanged }
        if proposed < today { return .refused("完成时限不能早于今天（\(today)）") }
        return canApprove ? .apply(proposed) : .request(proposed)
    }

    /// Overdue: past the deadline and not yet done.
    public static func isOverdue(deadline: Day, status: RectificationStatus, today: Day) -> Bool {
        !status.isClosed && today > deadline
    }

    /// The weakest indicators by score (lowest first), the default candidates for rectification.
    public static func weakest(_ region: RegionScore, count: Int) -> [IndicatorScore] {
        Array(region.indicators.filter { $0.score != nil }.sorted { ($0.score ?? 0) < ($1.score ?? 0) }.prefix(count))
    }

    /// The prefilled 找差距 text: score vs a benchmark and the sub-indicators furthest from the frontier.
    public static func gapText(_ indicator: IndicatorScore, benchmark: (name: String, score: Double?)?) -> String {
        var parts: [String] = []
        if let s = indicator.score {
            parts.append("得分 \(Scoring.fmt2(s))" + (indicator.rank.map { "，排名第 \($0)" } ?? ""))
            if let b = benchmark, let bs = b.score { parts.append("较\(b.name)（\(Scoring.fmt2(bs))）差 \(Scoring.fmt2(bs - s)) 分") }
        }
        let weak = indicator.subScores.filter { $0.status == .scored && ($0.score ?? 100) < 100 }.sorted { ($0.score ?? 0) < ($1.score ?? 0) }.prefix(3)
        for w in weak {
            let value = (w.value ?? "") + (w.unit ?? "")
            let frontier = w.best.map { "，前沿值 \(Scoring.fmt($0))\(w.unit ?? "")" } ?? ""
            parts.append("\(w.nameZh) \(value)\(frontier)，距前沿 \(Scoring.fmt2(Scoring.distanceToFrontier(w.score ?? 0))) 分")
        }
        let missing = indicator.subScores.filter { $0.status == .missing }.map(\.nameZh)
        if !missing.isEmpty { parts.append("未填报：" + missing.joined(separator: "、")) }
        return parts.joined(separator: "；")
    }
}
