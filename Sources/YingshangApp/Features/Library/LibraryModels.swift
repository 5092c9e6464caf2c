import Fluent
import Foundation

/// A best practice (亮点 / 典型经验): submitted by a unit, curated by the bureau, optionally published and marked
/// for replication with a follow-up task.
final class BestPractice: Model, @unchecked Sendable {
    static let schema = "best_practices"

    enum Status: String, CaseIterable {
        case submitted, curated, rejected

        var chineseName: String {
            switch self {
            case .submitted: return "待审核"
            case .curated: return "已收录"
            case .rejected: return "未收录"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @OptionalField(key: "indicator_code") var indicatorCode: String?
    @Field(key: "region_name") var regionName: String
    @Field(key: "description") var description: String
    @Field(key: "measures") var measures: String
    @Field(key: "results") var results: String
    @Field(key: "tags") var tags: String
    @Field(key: "status") var status: String
    @Field(key: "published") var published: Bool
    @Field(key: "replicate") var replicate: Bool
    @OptionalParent(key: "follow_up_task_id") var followUpTask: CampaignTask?
    @Parent(key: "unit_id") var unit: Unit
    @Field(key: "submitted_by") var submittedBy: String
    @OptionalField(key: "file_name") var fileName: String?
    @OptionalField(key: "file_sha256") var fileSHA256: String?
    @OptionalField(key: "file_kind") var fileKind: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var practiceStatus: Status { Status(rawValue: status) ?? .submitted }
}

/// A published policy document (政策文件) for the policy library and the public page.
final class Policy: Model, @unchecked Sendable {
    static let schema = "policies"

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "doc_number") var docNumber: String
    @Field(key: "issuing_body") var issuingBody: String
    @Field(key: "issued_on") var issuedOn: String
    @Field(key: "indicators") var indicators: String
    @Field(key: "full_text") var fullText: String
    @Field(key: "published") var published: Bool
    @OptionalField(key: "published_at") var publishedAt: Date?
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "file_name") var fileName: String?
    @OptionalField(key: "file_sha256") var fileSHA256: String?
    @OptionalField(key: "file_kind") var fileKind: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var indicatorCodes: [String] { indicators.split(separator: ",").map(String.init).filter { !$0.isEmpty } }
}

struct CreateLibraryTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(BestPractice.schema)
            .id()
            .field("title", .string, .required)
            .field("indicator_code", .string)
            .field("region_name", .string, .required)
            .field("description", .string, .required)
            .field("measures", .string, .required)
            .field("results", .string, .required)
            .field("tags", .string, .required)
            .field("status", .string, .required)
            .field("published", .bool, .required)
            .field("replicate", .bool, .required)
            .field("follow_up_task_id", .uuid, .references(CampaignTask.schema, "id", onDelete: .setNull))
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("submitted_by", .string, .required)
            .field("file_name", .string)
            .field("file_sha256", .string)
            .field("file_kind", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema(Policy.schema)
            .id()
            .field("title", .string, .required)
            .field("doc_number", .string, .required)
            .field("issuing_body", .string, .required)
            .field("issued_on", .string, .required)
            .field("indicators", .string, .required)
            .field("full_text", .string, .required)
            .field("published", .bool, .required)
            .field("published_at", .datetime)
            .field("created_by", .string, .required)
            .field("file_name", .string)
            .field("file_sha256", .string)
            .field("file_kind", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Policy.schema).delete()
        try await db.schema(BestPractice.schema).delete()
    }
}
