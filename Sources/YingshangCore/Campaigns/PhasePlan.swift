/// The four phases of the speech: 前期培训, 数据填报, 信息核验, 编制报告.
public enum PhaseKind: String, CaseIterable, Codable, Sendable {
    case training, filing, verification, report

    public var chineseName: String {
        switch self {
        case .training: return "前期培训"
        case .filing: return "数据填报"
        case .verification: return "信息核验"
        case .report: return "编制报告"
        }
    }

    public var englishName: String {
        switch self {
        case .training: return "Training"
        case .filing: return "Filing"
        case .verification: return "Verification"
        case .report: return "Report"
        }
    }
}

public struct PhaseSpan: Equatable, Sendable, Codable {
    public let kind: PhaseKind
    public let start: Day
    public let end: Day

    public init(kind: PhaseKind, start: Day, end: Day) {
        self.kind = kind
        self.start = start
        self.end = end
    }
}

public enum PhasePlan {
    /// September training, October filing, November verification, December report, as in the speech.
    public static func defaults(year: Int) -> [PhaseSpan] {
        func d(_ m: Int, _ day: Int) -> Day { Day(year: year, month: m, day: day) ?? Day(ordinal: 0) }
        return [
            PhaseSpan(kind: .training, start: d(9, 1), end: d(9, 30)),
            PhaseSpan(kind: .filing, start: d(10, 1), end: d(10, 31)),
            PhaseSpan(kind: .verification, start: d(11, 1), end: d(11, 30)),
            PhaseSpan(kind: .report, start: d(12, 1), end: d(12, 31)),
        ]
    }

    /// Problems keyed by form field (`phases.filing.start`, …): each phase inside the campaign, start ≤ end,
    /// no two phases overlapping.
    public static func validate(campaignStart: Day, campaignEnd: Day, phases: [PhaseSpan]) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if campaignEnd < campaignStart {
            problems.append(.init(field: "endDate", message: "评价结束日期不能早于开始日期"))
        }
        var kinds = Set<PhaseKind>()
        for p in phases {
            let f = "phases.\(p.kind.rawValue)"
            if !kinds.insert(p.kind).inserted {
                problems.append(.init(field: f + ".start", message: "阶段“\(p.kind.chineseName)”重复"))
            }
            if p.end < p.start {
                problems.append(.init(field: f + ".end", message: "“\(p.kind.chineseName)”结束日期早于开始日期"))
            }
            if p.start < campaignStart || p.end > campaignEnd {
                problems.append(
                    .init(
                        field: f + ".start",
                        message: "“\(p.kind.chineseName)”（\(p.start)–\(p.end)）超出评价周期 \(campaignStart)–\(campaignEnd)"))
            }
        }
        let sorted = phases.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.start <= a.end {
            problems.append(
                .init(
                    field: "phases.\(b.kind.rawValue).start",
                    message: "“\(b.kind.chineseName)”与“\(a.kind.chineseName)”的日期重叠（\(b.start) 早于或等于 \(a.end)）"))
        }
        return problems
    }

    /// A task's deadline must fall inside the campaign.
    public static func validateDeadline(_ deadline: Day, campaignStart: Day, campaignEnd: Day) -> FieldProblem? {
        if deadline < campaignStart || deadline > campaignEnd {
            return .init(field: "deadline", message: "截止日期 \(deadline) 不在评价周期 \(campaignStart)–\(campaignEnd) 内")
        }
        return nil
    }
}
