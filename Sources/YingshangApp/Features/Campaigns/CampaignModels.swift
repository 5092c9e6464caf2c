import Fluent
import Vapor
import YingshangCore

/// One assessment round ("2022 年度县域营商环境评价"), bound to the catalog version it started with.
final class Campaign: Model, @unchecked Sendable {
    static let schema = "campaigns"

    enum Status: String, Codable, CaseIterable {
        case draft, active, closed

        var chineseName: String {
            switch self {
            case .draft: return "筹备中"
            case .active: return "进行中"
            case .closed: return "已结束"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "year") var year: Int
    @Parent(key: "catalog_version_id") var catalogVersion: CatalogVersion
    @Field(key: "start_date") var startDate: String
    @Field(key: "end_date") var endDate: String
    @Field(key: "status") var status: String
    @Field(key: "per_day") var perDay: Int
    /// Last year's campaign when this one was carried over from it (AddPreviousCampaign).
    @OptionalField(key: "previous_campaign_id") var previousCampaignID: UUID?
    /// For a monitoring round: the annual campaign it monitors, and which period (AddMonitoringRounds).
    @OptionalField(key: "parent_campaign_id") var parentCampaignID: UUID?
    @OptionalField(key: "round_period") var roundPeriod: String?
    @OptionalField(key: "round_number") var roundNumber: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(name: String, year: Int, catalogVersionID: UUID, start: Day, end: Day, perDay: Int) {
        self.name = name
        self.year = year
        self.$catalogVersion.id = catalogVersionID
        self.startDate = start.description
        self.endDate = end.description
        self.status = Status.draft.rawValue
        self.perDay = perDay
    }

    var start: Day { Day(startDate) ?? Day(ordinal: 0) }
    var end: Day { Day(endDate) ?? Day(ordinal: 0) }
    var campaignStatus: Status { Status(rawValue: status) ?? .draft }
}

/// A region the campaign assesses (the county itself, or each county of a city deployment).
final class CampaignRegion: Model, @unchecked Sendable {
    static let schema = "campaign_regions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region

    init() {}

    init(campaignID: UUID, regionID: UUID) {
        self.$campaign.id = campaignID
        self.$region.id = regionID
    }
}

/// An indicator the campaign assesses (the county subset of the catalog), in display order.
final class CampaignIndicator: Model, @unchecked Sendable {
    static let schema = "campaign_indicators"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "position") var position: Int

    init() {}

    init(campaignID: UUID, code: String, name: String, position: Int) {
        self.$campaign.id = campaignID
        self.code = code
        self.name = name
        self.position = position
    }
}

final class CampaignPhase: Model, @unchecked Sendable {
    static let schema = "campaign_phases"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "kind") var kind: String
    @Field(key: "start_date") var startDate: String
    @Field(key: "end_date") var endDate: String

    init() {}

    init(campaignID: UUID, span: PhaseSpan) {
        self.$campaign.id = campaignID
        self.kind = span.kind.rawValue
        self.startDate = span.start.description
        self.endDate = span.end.description
    }

    var span: PhaseSpan? {
        guard let kind = PhaseKind(rawValue: kind), let s = Day(startDate), let e = Day(endDate) else { return nil }
        return PhaseSpan(kind: kind, start: s, end: e)
    }
}

/// A task of a phase: title, responsible unit, deadline and status (the status set the dispatch board uses).
final class CampaignTask: Model, @unchecked Sendable {
    static let schema = "campaign_tasks"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "phase") var phase: String
    @OptionalParent(key: "region_id") var region: Region?
    @OptionalField(key: "indicator_code") var indicatorCode: String?
    @Field(key: "title") var title: String
    @Parent(key: "unit_id") var unit: Unit
    @Field(key: "deadline") var deadline: String
    @Field(key: "status") var status: String
    @Field(key: "note") var note: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(
        campaignID: UUID, phase: PhaseKind, regionID: UUID?, indicatorCode: String?, title: String, unitID: UUID,
        deadline: Day, status: WorkStatus = .notStarted, note: String = ""
    ) {
        self.$campaign.id = campaignID
        self.phase = phase.rawValue
        self.$region.id = regionID
        self.indicatorCode = indicatorCode
        self.title = title
        self.$unit.id = unitID
        self.deadline = deadline.description
        self.status = status.rawValue
        self.note = note
    }

    var workStatus: WorkStatus { WorkStatus(rawValue: status) ?? .notStarted }
}

/// 一指标、一团队、一领队: per assessed region and indicator, one lead unit, one leader and a team.
final class Assignment: Model, @unchecked Sendable {
    static let schema = "assignments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @OptionalParent(key: "lead_unit_id") var leadUnit: Unit?
    @OptionalParent(key: "leader_user_id") var leader: User?
    @OptionalField(key: "lead_confirmed_at") var leadConfirmedAt: Date?
    @OptionalField(key: "lead_confirmed_by") var leadConfirmedBy: String?
    @Children(for: \.$assignment) var cooperators: [AssignmentCooperator]
    @Children(for: \.$assignment) var members: [AssignmentMember]

    init() {}

    init(campaignID: UUID, regionID: UUID, indicatorCode: String) {
        self.$campaign.id = campaignID
        self.$region.id = regionID
        self.indicatorCode = indicatorCode
    }
}

final class AssignmentCooperator: Model, @unchecked Sendable {
    static let schema = "assignment_cooperators"

    @ID(key: .id) var id: UUID?
    @Parent(key: "assignment_id") var assignment: Assignment
    @Parent(key: "unit_id") var unit: Unit
    @OptionalField(key: "confirmed_at") var confirmedAt: Date?
    @OptionalField(key: "confirmed_by") var confirmedBy: String?

    init() {}

    init(assignmentID: UUID, unitID: UUID) {
        self.$assignment.id = assignmentID
        self.$unit.id = unitID
    }
}

final class AssignmentMember: Model, @unchecked Sendable {
    static let schema = "assignment_members"

    @ID(key: .id) var id: UUID?
    @Parent(key: "assignment_id") var assignment: Assignment
    @Parent(key: "user_id") var user: User
    @Field(key: "team_role") var teamRole: String

    init() {}

    init(assignmentID: UUID, userID: UUID, teamRole: String) {
        self.$assignment.id = assignmentID
        self.$user.id = userID
        self.teamRole = teamRole
    }
}

/// A day of the filing schedule for one indicator in one assessed region.
final class ScheduleEntry: Model, @unchecked Sendable {
    static let schema = "schedule_entries"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "day") var day: String
    @Field(key: "fixed") var fixed: Bool

    init() {}

    init(campaignID: UUID, regionID: UUID, entry: FilingSchedule.Entry) {
        self.$campaign.id = campaignID
        self.$region.id = regionID
        self.indicatorCode = entry.indicatorCode
        self.day = entry.day.description
        self.fixed = entry.fixed
    }
}

/// A public holiday or 调休 workday, entered per year by the bureau.
final class CalendarDay: Model, @unchecked Sendable {
    static let schema = "calendar_days"

    @ID(key: .id) var id: UUID?
    @Field(key: "day") var day: String
    @Field(key: "kind") var kind: String
    @Field(key: "name") var name: String

    init() {}

    init(entry: CalendarEntry) {
        self.day = entry.day.description
        self.kind = entry.kind.rawValue
        self.name = entry.name
    }

    var entry: CalendarEntry? {
        guard let d = Day(day), let k = CalendarEntry.Kind(rawValue: kind) else { return nil }
        return CalendarEntry(day: d, kind: k, name: name)
    }

    /// The working calendar from every stored entry.
    static func workCalendar(on db: any Database) async throws -> WorkCalendar {
        CalendarEntry.calendar(try await CalendarDay.query(on: db).all().compactMap(\.entry))
    }
}

/// Seeds the State Council's holiday arrangements (`OfficialHolidays`, 2019 onwards) for every year that has no
/// entry yet, so working days are right from the first start; a year the bureau already entered is left as it is.
struct SeedOfficialHolidays: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let present = Set(try await CalendarDay.query(on: database).all().compactMap { Day($0.day)?.year })
        try await database.transaction { db in
            for notice in OfficialHolidays.notices where !present.contains(notice.year) {
                for entry in notice.entries { try await CalendarDay(entry: entry).create(on: db) }
            }
        }
    }

    func revert(on database: any Database) async throws {
        for notice in OfficialHolidays.notices {
            for entry in notice.entries {
                try await CalendarDay.query(on: database).filter(\.$day == entry.day.description).filter(\.$kind == entry.kind.rawValue)
                    .filter(\.$name == entry.name).delete()
            }
        }
    }
}
