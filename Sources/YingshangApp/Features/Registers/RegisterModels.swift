import Fluent
import SQLKit
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

/// On SQLite the register's unique key (campaign, credit code) was a table constraint, whose index cannot be
/// dropped. Rebuilding the table with the key as a named unique index lets a large import drop the index and
/// build it once at the end (random credit codes made maintaining it row by row most of an import's time).
/// PostgreSQL keeps its constraint: nothing to do there.
struct MoveEnterpriseKeyToIndex: AsyncMigration {
    static let indexName = "enterprises_campaign_uscc"

    func prepare(on db: any Database) async throws {
        guard let probe = db as? any SQLDatabase, probe.dialect.name == "sqlite" else { return }
        try await db.withConnection { conn in
            guard let sql = conn as? any SQLDatabase else { return }
            // Foreign keys must be off to drop the referenced table; the setting cannot change inside a transaction.
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            do {
                try await sql.raw("BEGIN").run()
                try await sql.raw("""
                    CREATE TABLE "enterprises_rebuilt" ("id" UUID PRIMARY KEY, "campaign_id" UUID NOT NULL REFERENCES "campaigns" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, "uscc" TEXT NOT NULL, "name" TEXT NOT NULL, "township_code" TEXT, "industry" TEXT, "size" TEXT, "status" TEXT, "founded" TEXT, "contact" TEXT, "phone" TEXT, "extra" TEXT NOT NULL)
                    """).run()
                let columns = "id, campaign_id, uscc, name, township_code, industry, size, status, founded, contact, phone, extra"
                try await sql.raw("INSERT INTO enterprises_rebuilt (\(unsafeRaw: columns)) SELECT \(unsafeRaw: columns) FROM enterprises").run()
                try await sql.raw("DROP TABLE enterprises").run()
                try await sql.raw("ALTER TABLE enterprises_rebuilt RENAME TO enterprises").run()
                try await sql.raw("CREATE UNIQUE INDEX \(unsafeRaw: Self.indexName) ON enterprises (campaign_id, uscc)").run()
                let broken = try await sql.raw("PRAGMA foreign_key_check").all()
                if !broken.isEmpty { throw AppError.conflict("重建企业名单表后外键检查失败") }
                try await sql.raw("COMMIT").run()
            } catch {
                try? await sql.raw("ROLLBACK").run()
                try? await sql.raw("PRAGMA foreign_keys = ON").run()
                throw error
            }
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }

    func revert(on db: any Database) async throws {}
}
