import Fluent
import Foundation
import YingshangCore

/// One 整改 item: 查问题、摆原因、找差距、定措施 for an indicator (or a finding), with owner, deadline and status.
final class Rectification: Model, @unchecked Sendable {
    static let schema = "rectifications"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @Field(key: "problem") var problem: String
    @Field(key: "cause") var cause: String
    @Field(key: "gap") var gap: String
    @Field(key: "measures") var measures: String
    @Parent(key: "unit_id") var unit: Unit
    @Field(key: "leader") var leader: String
    @Field(key: "deadline") var deadline: String
    @Field(key: "status") var status: String
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "verified_by") var verifiedBy: String?
    /// A unit's request to move the deadline, waiting for the coordinator (`RectificationRules.deadlineChange`).
    @OptionalField(key: "requested_deadline") var requestedDeadline: String?
    @OptionalField(key: "requested_by") var requestedBy: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var rectificationStatus: RectificationStatus { RectificationStatus(rawValue: status) ?? .planned }

    /// Past its deadline and not done (the rule is `RectificationRules.isOverdue`).
    func isOverdue(today: Day) -> Bool {
        Day(deadline).map { RectificationRules.isOverdue(deadline: $0, status: rectificationStatus, today: today) } ?? false
    }
}

/// A progress report on a rectification item, optionally with a file (stored by content hash like evidence).
final class RectificationUpdate: Model, @unchecked Sendable {
    static let schema = "rectification_updates"

    @ID(key: .id) var id: UUID?
    @Parent(key: "rectification_id") var rectification: Rectification
    @Field(key: "note") var note: String
    @Field(key: "status") var status: String
    @OptionalField(key: "file_name") var fileName: String?
    @OptionalField(key: "file_sha256") var fileSHA256: String?
    @OptionalField(key: "file_kind") var fileKind: String?
    @Field(key: "by") var by: String
    @Timestamp(key: "at", on: .create) var at: Date?

    init() {}
}

struct CreateRectificationTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Rectification.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("problem", .string, .required)
            .field("cause", .string, .required)
            .field("gap", .string, .required)
            .field("measures", .string, .required)
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("leader", .string, .required)
            .field("deadline", .string, .required)
            .field("status", .string, .required)
            .field("created_by", .string, .required)
            .field("verified_by", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema(RectificationUpdate.schema)
            .id()
            .field("rectification_id", .uuid, .required, .references(Rectification.schema, "id", onDelete: .cascade))
            .field("note", .string, .required)
            .field("status", .string, .required)
            .field("file_name", .string)
            .field("file_sha256", .string)
            .field("file_kind", .string)
            .field("by", .string, .required)
            .field("at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(RectificationUpdate.schema).delete()
        try await db.schema(Rectification.schema).delete()
    }
}

/// Deadline changes by units wait for approval: the requested date and who asked.
struct AddRectificationDeadlineRequest: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Rectification.schema).field("requested_deadline", .string).update()
        try await db.schema(Rectification.schema).field("requested_by", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Rectification.schema).deleteField("requested_by").update()
        try await db.schema(Rectification.schema).deleteField("requested_deadline").update()
    }
}
