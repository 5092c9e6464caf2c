import Fluent
import Foundation
import YingshangCore

/// One departmental case record (办件) of an indicator, imported by the assessor.
final class BusinessRecord: Model, @unchecked Sendable {
    static let schema = "business_records"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "case_id") var caseID: String
    @Field(key: "uscc") var uscc: String
    @Field(key: "applied_on") var appliedOn: String
    @Field(key: "completed_on") var completedOn: String
    @Field(key: "fee_fen") var feeFen: Int
    @Field(key: "counts") var countsJSON: String
    @OptionalField(key: "review") var review: String?
    @OptionalField(key: "review_ok") var reviewOK: Bool?
    @OptionalField(key: "reviewed_by") var reviewedBy: String?

    init() {}

    init(campaignID: UUID, regionID: UUID, indicatorCode: String, record r: CaseRecord) throws {
        self.$campaign.id = campaignID
        self.$region.id = regionID
        self.indicatorCode = indicatorCode
        self.caseID = r.caseID
        self.uscc = r.uscc
        self.appliedOn = r.appliedOn.description
        self.completedOn = r.completedOn.description
        self.feeFen = r.feeFen
        self.countsJSON = try JSONCoding.encode(r.counts)
    }

    var caseRecord: CaseRecord? {
        guard let a = Day(appliedOn), let c = Day(completedOn) else { return nil }
        let counts = (try? JSONCoding.decode([String: Int].self, countsJSON)) ?? [:]
        return CaseRecord(caseID: caseID, uscc: uscc, appliedOn: a, completedOn: c, feeFen: feeFen, counts: counts)
    }
}

/// A flag raised by a check or by field work: open → confirmed / dismissed by the assessor; the unit may answer
/// before the deadline.
final class VerificationFlag: Model, @unchecked Sendable {
    static let schema = "verification_flags"

    enum Status: String, CaseIterable {
        case open, confirmed, dismissed

        var chineseName: String { self == .open ? "待核实" : self == .confirmed ? "已确认" : "已排除" }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "key") var key: String
    @Field(key: "rule") var rule: String
    @OptionalField(key: "indicator_code") var indicatorCode: String?
    @OptionalField(key: "sub_code") var subCode: String?
    @OptionalParent(key: "unit_id") var unit: Unit?
    @OptionalField(key: "filed_value") var filedValue: String?
    @OptionalField(key: "observed_value") var observedValue: String?
    @Field(key: "evidence") var evidence: String
    @Field(key: "severity") var severity: String
    @Field(key: "status") var status: String
    @OptionalField(key: "decision_note") var decisionNote: String?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @Field(key: "response_deadline") var responseDeadline: String
    @OptionalField(key: "response") var response: String?
    @OptionalField(key: "responded_by") var respondedBy: String?
    @OptionalField(key: "response_file_name") var responseFileName: String?
    @OptionalField(key: "response_file_sha256") var responseFileSHA256: String?
    @OptionalField(key: "response_file_kind") var responseFileKind: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var flagStatus: Status { Status(rawValue: status) ?? .open }
    var flagRule: FlagRule? { FlagRule(rawValue: rule) }
}

/// Field work (实地核查 / 座谈访谈) recorded by the assessor, linked to an indicator and optionally a flag.
final class FieldVisit: Model, @unchecked Sendable {
    static let schema = "field_visits"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @OptionalField(key: "indicator_code") var indicatorCode: String?
    @OptionalParent(key: "flag_id") var flag: VerificationFlag?
    @Field(key: "kind") var kind: String
    @Field(key: "visited_on") var visitedOn: String
    @Field(key: "participants") var participants: String
    @Field(key: "notes") var notes: String
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "file_name") var fileName: String?
    @OptionalField(key: "file_sha256") var fileSHA256: String?
    @OptionalField(key: "file_kind") var fileKind: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

struct CreateVerificationTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(BusinessRecord.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("case_id", .string, .required)
            .field("uscc", .string, .required)
            .field("applied_on", .string, .required)
            .field("completed_on", .string, .required)
            .field("fee_fen", .int, .required)
            .field("counts", .string, .required)
            .field("review", .string)
            .field("review_ok", .bool)
            .field("reviewed_by", .string)
            .unique(on: "campaign_id", "region_id", "indicator_code", "case_id")
            .create()
        try await db.schema(VerificationFlag.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("key", .string, .required)
            .field("rule", .string, .required)
            .field("indicator_code", .string)
            .field("sub_code", .string)
            .field("unit_id", .uuid, .references(Unit.schema, "id"))
            .field("filed_value", .string)
            .field("observed_value", .string)
            .field("evidence", .string, .required)
            .field("severity", .string, .required)
            .field("status", .string, .required)
            .field("decision_note", .string)
            .field("decided_by", .string)
            .field("response_deadline", .string, .required)
            .field("response", .string)
            .field("responded_by", .string)
            .field("response_file_name", .string)
            .field("response_file_sha256", .string)
            .field("response_file_kind", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "campaign_id", "region_id", "key")
            .create()
        try await db.schema(FieldVisit.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string)
            .field("flag_id", .uuid, .references(VerificationFlag.schema, "id", onDelete: .setNull))
            .field("kind", .string, .required)
            .field("visited_on", .string, .required)
            .field("participants", .string, .required)
            .field("notes", .string, .required)
            .field("created_by", .string, .required)
            .field("file_name", .string)
            .field("file_sha256", .string)
            .field("file_kind", .string)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(FieldVisit.schema).delete()
        try await db.schema(VerificationFlag.schema).delete()
        try await db.schema(BusinessRecord.schema).delete()
    }
}
