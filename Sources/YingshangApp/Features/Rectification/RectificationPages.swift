import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// The rectification ledger's query and the pages' models.
extension RectificationWebController {
    struct Filter {
        let campaignID: UUID?
        let status: String
        let overdue: Bool
        let q: String

        init(_ req: Request) {
            campaignID = req.query[String.self, at: "campaign"].flatMap(UUID.init(uuidString:))
            status = req.query[String.self, at: "status"] ?? ""
            overdue = req.query[String.self, at: "overdue"] == "1"
            q = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        }
    }

    /// The items the user may see under the filter, as DTOs in deadline order (unit roles: own unit only).
    static func items(_ req: Request, _ f: Filter) async throws -> [RectificationDTO] {
        var query = Rectification.query(on: req.db).sort(\.$deadline).sort(\.$createdAt)
        if let c = f.campaignID { query = query.filter(\.$campaign.$id == c) }
        if let regions = RegionScopes.ids(req.resolvedRegionScope) { query = query.filter(\.$region.$id ~~ regions) }
        if RectificationStatus(rawValue: f.status) != nil { query = query.filter(\.$status == f.status) }
        let role = try req.currentRole()
        if role.isUnitScoped { query = query.filter(\.$unit.$id == (try req.currentUser().$unit.id)) }
        if !f.q.isEmpty {
            query = query.group(.or) { $0.filter(\.$problem ~~ f.q).filter(\.$measures ~~ f.q).filter(\.$leader ~~ f.q) }
        }
        let rows = try await query.all()
        return try await dtos(rows, today: req.clock.today, on: req.db).filter { !f.overdue || $0.overdue }
    }

    static func dtos(_ rows: [Rectification], today: Day, on db: any Database) async throws -> [RectificationDTO] {
        let units = Dictionary(
            try await Unit.query(on: db).filter(\.$id ~~ Set(rows.map { $0.$unit.id })).all().compactMap { u in u.id.map { ($0, u.name) } },
            uniquingKeysWith: { a, _ in a })
        var names: [String: String] = [:]
        for i in try await CampaignIndicator.query(on: db).filter(\.$campaign.$id ~~ Set(rows.map { $0.$campaign.id })).all() {
            names["\(i.$campaign.id)|\(i.code)"] = i.name
        }
        var latest: [UUID: String] = [:]
        let ids = rows.compactMap(\.id)
        if !ids.isEmpty {
            for u in try await RectificationUpdate.query(on: db).filter(\.$rectification.$id ~~ ids).sort(\.$at).all() {
                latest[u.$rectification.id] = "\(DisplayTime.format(u.at).prefix(10)) \(u.note)"
            }
        }
        return try rows.map { r in
            let id = try r.requireID()
            return RectificationDTO(
                id: id, campaignID: r.$campaign.id, regionID: r.$region.id, indicatorCode: r.indicatorCode,
                indicatorName: names["\(r.$campaign.id)|\(r.indicatorCode)"] ?? r.indicatorCode, problem: r.problem, cause: r.cause, gap: r.gap,
                measures: r.measures, unitID: r.$unit.id, unitName: units[r.$unit.id] ?? "", leader: r.leader, deadline: r.deadline,
                status: r.status, statusName: RectificationRules.statusName(r.rectificationStatus, measures: r.measures),
                overdue: r.isOverdue(today: today),
                latestProgress: latest[id] ?? "")
        }
    }

    struct IndexBody: Encodable {
        let rows: [RectificationDTO]
        let pager: Pager
        let campaigns: [SelectOption]
        let statuses: [SelectOption]
        let q: String
        let overdue: Bool
        let overdueCount: Int
        let query: String
        let canCreate: Bool
        let canOpenFromScores: Bool
        let campaignID: String
        let regions: [SelectOption]
    }

    struct FormBody: Encodable {
        let values: RectificationInput
        let errors: [String: String]
        let campaigns: [SelectOption]
        let indicators: [SelectOption]
        let units: [SelectOption]
        let regions: [SelectOption]
        let action: String
        let heading: String
    }

    struct UpdateRow: Encodable {
        let id: String
        let note: String
        let status: String
        let by: String
        let at: String
        let fileName: String?
    }

    struct ShowBody: Encodable {
        let item: RectificationDTO
        let form: FormBody
        let updates: [UpdateRow]
        let targets: [SelectOption]
        let canEdit: Bool
        let errors: [String: String]
        /// A unit's pending request to move the deadline, and whether this user decides it.
        let requestedDeadline: String?
        let requestedBy: String?
        let canDecideDeadline: Bool
    }
}
