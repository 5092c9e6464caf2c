import Foundation

/// Where an indicator's work stands. Until filings exist the status comes from the campaign's tasks; the
/// filing workflow later reports the same states.
public enum WorkStatus: String, Codable, CaseIterable, Sendable {
    case notStarted = "not_started"
    case drafting
    case submitted
    case returned
    case accepted

    public var chineseName: String {
        switch self {
        case .notStarted: return "未开始"
        case .drafting: return "填报中"
        case .submitted: return "已报送"
        case .returned: return "已退回"
        case .accepted: return "已通过"
        }
    }

    public var englishName: String {
        switch self {
        case .notStarted: return "Not started"
        case .drafting: return "Drafting"
        case .submitted: return "Submitted"
        case .returned: return "Returned"
        case .accepted: return "Accepted"
        }
    }

    /// Submitted or accepted work is handed in; the rest can be late.
    public var isHandedIn: Bool { self == .submitted || self == .accepted }

    /// Least to most advanced; combining several tasks takes the least advanced, a return counts as behind a draft.
    /// The database's aggregate (`DispatchService.statusByIndicator`) ranks by this same list.
    public static let byProgress: [WorkStatus] = [.notStarted, .returned, .drafting, .submitted, .accepted]

    public var progressRank: Int { Self.byProgress.firstIndex(of: self) ?? 0 }

    /// The status of an indicator made of several pieces of work: the least advanced one.
    public static func combined(_ statuses: [WorkStatus]) -> WorkStatus {
        statuses.min { $0.progressRank < $1.progressRank } ?? .notStarted
    }
}

/// One indicator's line on the dispatch board, as loaded by the app.
public struct DispatchInput: Sendable, Equatable {
    public let indicatorCode: String
    public let indicatorName: String
    public let leadUnit: String?
    public let status: WorkStatus
    public let due: Day?
    public let openQuestions: Int

    public init(
        indicatorCode: String, indicatorName: String, leadUnit: String?, status: WorkStatus, due: Day?,
        openQuestions: Int = 0
    ) {
        self.indicatorCode = indicatorCode
        self.indicatorName = indicatorName
        self.leadUnit = leadUnit
        self.status = status
        self.due = due
        self.openQuestions = openQuestions
    }
}

public struct DispatchLine: Sendable, Equatable, Codable {
    public let indicatorCode: String
    public let indicatorName: String
    public let leadUnit: String?
    public let status: WorkStatus
    public let due: Day?
    /// Working days past the due day while not handed in.
    public let workdaysOverdue: Int
    public let openQuestions: Int
    public var isOverdue: Bool { workdaysOverdue > 0 }
}

public struct UnitProgress: Sendable, Equatable, Codable {
    public let unit: String
    public let total: Int
    public let handedIn: Int
    public let overdue: Int
}

public struct DispatchReport: Sendable, Equatable {
    public let today: Day
    public let lines: [DispatchLine]
    public let counts: [WorkStatus: Int]
    public let overdue: [DispatchLine]
    public let dueToday: [DispatchLine]
    public let byUnit: [UnitProgress]

    public var total: Int { lines.count }
    public var handedIn: Int { lines.filter { $0.status.isHandedIn }.count }
}

public enum Dispatch {
    /// Builds the daily board: overdue means not handed in after the due day, counted in working days.
    public static func build(_ inputs: [DispatchInput], today: Day, calendar: WorkCalendar) throws -> DispatchReport {
        let lines = try inputs.map { i in
            DispatchLine(
                indicatorCode: i.indicatorCode, indicatorName: i.indicatorName, leadUnit: i.leadUnit, status: i.status,
                due: i.due,
                workdaysOverdue: (i.status.isHandedIn ? 0 : try i.due.map { try calendar.workdaysLate(due: $0, today: today) } ?? 0),
                openQuestions: i.openQuestions)
        }
        var counts: [WorkStatus: Int] = [:]
        for s in WorkStatus.allCases { counts[s] = 0 }
        for l in lines { counts[l.status, default: 0] += 1 }
        let overdue = lines.filter(\.isOverdue).sorted {
            ($0.workdaysOverdue, $1.indicatorCode) > ($1.workdaysOverdue, $0.indicatorCode)
        }
        var units: [String: (Int, Int, Int)] = [:]
        for l in lines {
            let key = l.leadUnit ?? "（未指定牵头单位）"
            var u = units[key] ?? (0, 0, 0)
            u.0 += 1
            if l.status.isHandedIn { u.1 += 1 }
            if l.isOverdue { u.2 += 1 }
            units[key] = u
        }
        let byUnit = units.map { UnitProgress(unit: $0.key, total: $0.value.0, handedIn: $0.value.1, overdue: $0.value.2) }
            .sorted { ($1.overdue, $0.unit) < ($0.overdue, $1.unit) }
        return DispatchReport(
            today: today, lines: lines, counts: counts, overdue: overdue,
            dueToday: lines.filter { $0.due == today }, byUnit: byUnit)
    }
}

/// 一指标、一团队、一领队: who an indicator's work concerns.
public enum Responsibility {
    /// A unit is concerned with an indicator it leads or cooperates on: both see it on the dispatch board and are
    /// reminded of its filing dates (the cooperating unit answers the items the lead unit assigns it).
    public static func concerns<ID: Equatable>(unit: ID, lead: ID?, cooperating: [ID]) -> Bool {
        lead == unit || cooperating.contains(unit)
    }
}
