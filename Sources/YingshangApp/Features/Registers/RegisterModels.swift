import Fluent
import Vapor
import YingshangCore

/// One enterprise of a campaign's register snapshot (企业全量名单).
final class Enterprise: Model, @unchecked Sendable {
    static let schema = "enterprises"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "uscc") var uscc: String
    @Field(key: "name") var name: String
    @OptionalField(key: "township_code") var townshipCode: String?
    @OptionalField(key: "industry") var industry: String?
    @OptionalField(key: "size") var size: String?
    @OptionalField(key: "status") var status: String?
    @OptionalField(key: "founded") var founded: String?
    @OptionalField(key: "contact") var contact: String?
    @OptionalField(key: "phone") var phone: String?
    @Field(key: "extra") var extraJSON: String

    init() {}
}

/// A background import with its outcome, readable from any instance.
final class ImportJob: Model, @unchecked Sendable {
    static let schema = "import_jobs"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "status") var status: String
    @Field(key: "message") var message: String
    @Field(key: "imported") var imported: Int
    @Field(key: "problems") var problemsJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(kind: String, campaignID: UUID, by: String) {
        self.kind = kind
        self.$campaign.id = campaignID
        self.status = "running"
        self.message = "正在读取文件"
        self.imported = 0
        self.problemsJSON = "[]"
        self.createdBy = by
    }

    var problems: [RowProblem] {
        (try? JSONDecoder().decode([RowProblem].self, from: Data(problemsJSON.utf8))) ?? []
    }
}

struct CreateRegisterTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Enterprise.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("uscc", .string, .required)
            .field("name", .string, .required)
            .field("township_code", .string)
            .field("industry", .string)
            .field("size", .string)
            .field("status", .string)
            .field("founded", .string)
            .field("contact", .string)
            .field("phone", .string)
            .field("extra", .string, .required)
            .unique(on: "campaign_id", "uscc")
            .create()
        try await db.schema(ImportJob.schema)
            .id()
            .field("kind", .string, .required)
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("message", .string, .required)
            .field("imported", .int, .required)
            .field("problems", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ImportJob.schema).delete()
        try await db.schema(Enterprise.schema).delete()
    }
}
