import Fluent
import Vapor
import YingshangCore

/// A campaign's 预警值/先进值 lines (one JSON document per campaign: few lines, always read together).
final class ScoreThresholdSet: Model, @unchecked Sendable {
    static let schema = "score_thresholds"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "lines") var linesJSON: String
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var lines: [ScoreThreshold] { (try? JSONDecoder().decode([ScoreThreshold].self, from: Data(linesJSON.utf8))) ?? [] }
}

/// A threshold finding already announced, so that each is told once however often scoring runs.
final class ThresholdAlert: Model, @unchecked Sendable {
    static let schema = "threshold_alerts"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "region_id") var regionID: String
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "mark") var mark: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

struct CreateThresholdTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ScoreThresholdSet.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("lines", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "campaign_id")
            .create()
        try await db.schema(ThresholdAlert.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .string, .required)
            .field("indicator_code", .string, .required)
            .field("mark", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "campaign_id", "region_id", "indicator_code", "mark")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ThresholdAlert.schema).delete()
        try await db.schema(ScoreThresholdSet.schema).delete()
    }
}

enum ThresholdService {
    static func lines(_ campaignID: UUID, on db: any Database) async throws -> [ScoreThreshold] {
        try await ScoreThresholdSet.query(on: db).filter(\.$campaign.$id == campaignID).first()?.lines ?? []
    }

    static func save(_ campaignID: UUID, _ lines: [ScoreThreshold], by caller: Caller) async throws {
        let actor = caller.user
        let data = try JSONEncoder().encode(lines)
        try await caller.db.writeTransaction { db in
            let set = try await ScoreThresholdSet.query(on: db).filter(\.$campaign.$id == campaignID).first() ?? ScoreThresholdSet()
            let before = set.id == nil ? [] : set.lines
            set.$campaign.id = campaignID
            set.linesJSON = String(decoding: data, as: UTF8.self)
            set.updatedBy = actor.username
            set.updatedAt = caller.clock.now()
            try await set.save(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "score_thresholds", entityID: campaignID, before: before,
                after: lines)
        }
    }

    /// After a scoring run: tells each new finding once — a score below the warning value to the lead unit of that
    /// indicator and region and to the coordinators; one at the advanced value to the coordinators, as a candidate
    /// for the best-practice library. Returns how many were new.
    @discardableResult
    static func announce(_ campaign: Campaign, result: ScoringResult, now: Date, on db: any Database) async throws -> Int {
        let cid = try campaign.requireID()
        let findings = Thresholds.findings(result, lines: try await lines(cid, on: db))
        guard !findings.isEmpty else { return 0 }
        let told = Set(try await ThresholdAlert.query(on: db).filter(\.$campaign.$id == cid).all().map { "\($0.regionID)|\($0.indicatorCode)|\($0.mark)" })
        let fresh = findings.filter { !told.contains("\($0.regionID)|\($0.indicatorCode)|\($0.mark.rawValue)") }
        guard !fresh.isEmpty else { return 0 }
        var reaching: [String: [User]] = [:]  // by region: each finding goes to the coordinators who reach its region
        for f in fresh where reaching[f.regionID] == nil {
            reaching[f.regionID] = try await UUID(uuidString: f.regionID).asyncMap { try await RegionScopes.users(.coordinator, reaching: $0, on: db) } ?? []
        }
        let coordinators = reaching
        let link = SiteURL.campaign(cid, .scores)
        try await db.writeTransaction { db in
            for f in fresh {
                let alert = ThresholdAlert()
                alert.$campaign.id = cid
                alert.regionID = f.regionID
                alert.indicatorCode = f.indicatorCode
                alert.mark = f.mark.rawValue
                alert.createdAt = now
                try await alert.create(on: db)
                let score = Scoring.fmt2(f.score), line = Scoring.fmt2(f.threshold)
                let message = f.mark == .warning
                    ? "\(f.regionName)“\(f.indicatorName)”得分 \(score)，低于预警值 \(line)，请分析原因、制定整改措施"
                    : "\(f.regionName)“\(f.indicatorName)”得分 \(score)，达到先进值 \(line)，可总结为典型经验"
                // An advanced value proposes a best practice: the form comes prefilled and links back to the scores.
                var proposal = URLComponents()
                proposal.path = "/library/practices/new"
                proposal.queryItems = [
                    URLQueryItem(name: "indicatorCode", value: f.indicatorCode), URLQueryItem(name: "regionName", value: f.regionName),
                    URLQueryItem(name: "results", value: "\(campaign.name)中得分 \(score)，达到先进值 \(line)"),
                    URLQueryItem(name: "campaign", value: cid.uuidString),
                ]
                for u in coordinators[f.regionID] ?? [] {
                    try await InAppNotification(userID: try u.requireID(), message: message, link: f.mark == .warning ? link : proposal.string ?? "/library/practices/new", at: now)
                        .create(on: db)
                }
                if f.mark == .warning, let region = UUID(uuidString: f.regionID),
                    let lead = try await Assignment.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == region)
                        .filter(\.$indicatorCode == f.indicatorCode).first()?.$leadUnit.id
                {
                    try await InAppNotification.notifyUnit(lead, message: message, link: "/rectifications", at: now, on: db)
                }
            }
        }
        return fresh.count
    }
}
