import Fluent
import Foundation
import YingshangCore

/// One scoring run: the inputs it used and the result, both as JSON documents so the run can be re-run and explained.
final class ScoringRun: Model, @unchecked Sendable {
    static let schema = "scoring_runs"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "number") var number: Int
    @Field(key: "inputs") var inputsJSON: String
    @Field(key: "results") var resultsJSON: String
    @Field(key: "warnings") var warnings: Int
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(campaignID: UUID, number: Int, inputs: ScoringInputs, result: ScoringResult, by: String) throws {
        self.$campaign.id = campaignID
        self.number = number
        self.inputsJSON = try JSONCoding.encode(inputs)
        self.resultsJSON = try JSONCoding.encode(result)
        self.warnings = result.warnings.count
        self.createdBy = by
    }

    func inputs() throws -> ScoringInputs { try JSONCoding.decode(ScoringInputs.self, inputsJSON) }
    func result() throws -> ScoringResult {
        guard let id else { return try JSONCoding.decode(ScoringResult.self, resultsJSON) }
        return try DecodedResults.shared.result(id) { try JSONCoding.decode(ScoringResult.self, resultsJSON) }
    }

    /// The result as an account of `scope` may see it (its own regions with their ranks; see `ScoringResult.restricted`).
    func result(for scope: RegionScope) throws -> ScoringResult { try result().restricted(to: scope) }
}

/// Decoded scoring results by run: a run is written once and never changed, and decoding a county's result was most
/// of the time of a signed-in home page (the newest score card) and of every scores and report view. A few runs are
/// kept; the oldest goes first.
final class DecodedResults: @unchecked Sendable {
    static let shared = DecodedResults()
    static let capacity = 16
    private let lock = NSLock()
    private var entries: [UUID: ScoringResult] = [:]
    private var order: [UUID] = []

    /// The decoded result if this instance has it, without loading the run's documents.
    func cached(_ run: UUID) -> ScoringResult? { lock.withLock { entries[run] } }

    func result(_ run: UUID, decode: () throws -> ScoringResult) throws -> ScoringResult {
        if let hit = lock.withLock({ entries[run] }) { return hit }
        let decoded = try decode()
        lock.withLock {
            guard entries[run] == nil else { return }
            entries[run] = decoded
            order.append(run)
            if order.count > Self.capacity { entries[order.removeFirst()] = nil }
        }
        return decoded
    }
}

/// The campaign's bonus/deduction rule table (one document per campaign).
final class ScoreRuleSet: Model, @unchecked Sendable {
    static let schema = "score_rule_sets"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "rules") var rulesJSON: String
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(campaignID: UUID, rules: RuleSet, by: String) throws {
        self.$campaign.id = campaignID
        self.rulesJSON = try JSONCoding.encode(rules)
        self.updatedBy = by
    }

    func rules() throws -> RuleSet { try JSONCoding.decode(RuleSet.self, rulesJSON) }
}

/// A hand-entered bonus or deduction for a unit (推动不力…), reason mandatory.
final class ManualScoreAdjustment: Model, @unchecked Sendable {
    static let schema = "manual_score_adjustments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "unit_id") var unit: Unit
    @OptionalField(key: "indicator_code") var indicatorCode: String?
    @Field(key: "points") var points: Double
    @Field(key: "reason") var reason: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(campaignID: UUID, unitID: UUID, indicatorCode: String?, points: Double, reason: String, by: String) {
        self.$campaign.id = campaignID
        self.$unit.id = unitID
        self.indicatorCode = indicatorCode
        self.points = points
        self.reason = reason
        self.createdBy = by
    }
}

/// The unit assessment table as applied (单位考核得分): a snapshot tied to the scoring run it used.
final class UnitAssessmentRecord: Model, @unchecked Sendable {
    static let schema = "unit_assessments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "run_id") var run: ScoringRun
    @Field(key: "table") var tableJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(campaignID: UUID, runID: UUID, table: [UnitResult], by: String) throws {
        self.$campaign.id = campaignID
        self.$run.id = runID
        self.tableJSON = try JSONCoding.encode(table)
        self.createdBy = by
    }

    func table() throws -> [UnitResult] { try JSONCoding.decode([UnitResult].self, tableJSON) }
}

/// A named benchmark's value for a sub-indicator (省内最优县, 全国标杆…), imported or entered.
final class BenchmarkValue: Model, @unchecked Sendable {
    static let schema = "benchmark_values"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "benchmark") var benchmark: String
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "sub_code") var subCode: String
    @Field(key: "value") var value: String

    init() {}

    init(campaignID: UUID, benchmark: String, indicatorCode: String, subCode: String, value: String) {
        self.$campaign.id = campaignID
        self.benchmark = benchmark
        self.indicatorCode = indicatorCode
        self.subCode = subCode
        self.value = value
    }
}

/// The value the assessor decided to score (核验值): overrides the filed value, with its source and reason.
final class VerifiedValue: Model, @unchecked Sendable {
    static let schema = "verified_values"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "sub_code") var subCode: String
    @Field(key: "value") var value: String
    @Field(key: "source") var source: String
    @Field(key: "reason") var reason: String
    @Field(key: "set_by") var setBy: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(campaignID: UUID, regionID: UUID, indicatorCode: String, subCode: String, value: String, source: ValueSource, reason: String, by: String) {
        self.$campaign.id = campaignID
        self.$region.id = regionID
        self.indicatorCode = indicatorCode
        self.subCode = subCode
        self.value = value
        self.source = source.rawValue
        self.reason = reason
        self.setBy = by
    }
}

/// The assessor's findings text for one indicator of one region, printed in the evaluation report.
final class ReportFinding: Model, @unchecked Sendable {
    static let schema = "report_findings"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "text") var text: String
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(campaignID: UUID, regionID: UUID, indicatorCode: String, text: String, by: String) {
        self.$campaign.id = campaignID
        self.$region.id = regionID
        self.indicatorCode = indicatorCode
        self.text = text
        self.updatedBy = by
    }
}

/// JSON documents stored in text columns: sorted keys so equal documents give equal text.
enum JSONCoding {
    static func encode(_ v: some Encodable) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T {
        try JSONDecoder().decode(t, from: Data(s.utf8))
    }
}

struct CreateScoringTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ScoringRun.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("number", .int, .required)
            .field("inputs", .string, .required)
            .field("results", .string, .required)
            .field("warnings", .int, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "campaign_id", "number")
            .create()
        try await db.schema(ScoreRuleSet.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("rules", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime)
            .unique(on: "campaign_id")
            .create()
        try await db.schema(ManualScoreAdjustment.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("indicator_code", .string)
            .field("points", .double, .required)
            .field("reason", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(UnitAssessmentRecord.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("run_id", .uuid, .required, .references(ScoringRun.schema, "id", onDelete: .cascade))
            .field("table", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(BenchmarkValue.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("benchmark", .string, .required)
            .field("indicator_code", .string, .required)
            .field("sub_code", .string, .required)
            .field("value", .string, .required)
            .unique(on: "campaign_id", "benchmark", "indicator_code", "sub_code")
            .create()
        try await db.schema(VerifiedValue.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("sub_code", .string, .required)
            .field("value", .string, .required)
            .field("source", .string, .required)
            .field("reason", .string, .required)
            .field("set_by", .string, .required)
            .field("updated_at", .datetime)
            .unique(on: "campaign_id", "region_id", "indicator_code", "sub_code")
            .create()
        try await db.schema(ReportFinding.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("text", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime)
            .unique(on: "campaign_id", "region_id", "indicator_code")
            .create()
    }

    func revert(on db: any Database) async throws {
        for s in [ReportFinding.schema, VerifiedValue.schema, BenchmarkValue.schema, UnitAssessmentRecord.schema,
                  ManualScoreAdjustment.schema, ScoreRuleSet.schema, ScoringRun.schema] {
            try await db.schema(s).delete()
        }
    }
}
