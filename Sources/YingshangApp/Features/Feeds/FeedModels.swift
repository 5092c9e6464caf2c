import Fluent
import Vapor
import YingshangCore

/// A machine account for a department's system: pushes case records of one indicator in one region of one campaign.
/// Only the SHA-256 of the key is stored; the key is shown once, when issued. Revoked keys stay for the audit trail.
final class DataFeedKey: Model, @unchecked Sendable {
    static let schema = "data_feed_keys"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    /// Who pushes with it, e.g. "县政务服务中心一网通办系统".
    @Field(key: "name") var name: String
    @Field(key: "key_hash") var keyHash: String
    /// The first characters of the key, so that people can tell keys apart without the key.
    @Field(key: "key_prefix") var keyPrefix: String
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_by") var revokedBy: String?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?

    init() {}

    static func hash(_ key: String) -> String { SHA256.hash(data: Data(key.utf8)).hex }
}

/// A batch received through a key: the idempotency key the client chose, the SHA-256 of the body, and the receipt
/// that a retry of the same batch gets back unchanged.
final class DataFeedBatch: Model, @unchecked Sendable {
    static let schema = "data_feed_batches"

    @ID(key: .id) var id: UUID?
    @Parent(key: "key_id") var key: DataFeedKey
    @Field(key: "idempotency_key") var idempotencyKey: String
    @Field(key: "body_sha256") var bodySHA256: String
    @Field(key: "records") var records: Int
    @Field(key: "receipt") var receiptJSON: String
    @Field(key: "received_at") var receivedAt: Date

    init() {}
}

struct CreateDataFeedTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(DataFeedKey.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("name", .string, .required)
            .field("key_hash", .string, .required)
            .field("key_prefix", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("revoked_by", .string)
            .field("last_used_at", .datetime)
            .unique(on: "key_hash")
            .create()
        try await db.schema(DataFeedBatch.schema)
            .id()
            .field("key_id", .uuid, .required, .references(DataFeedKey.schema, "id", onDelete: .cascade))
            .field("idempotency_key", .string, .required)
            .field("body_sha256", .string, .required)
            .field("records", .int, .required)
            .field("receipt", .string, .required)
            .field("received_at", .datetime, .required)
            .unique(on: "key_id", "idempotency_key")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(DataFeedBatch.schema).delete()
        try await db.schema(DataFeedKey.schema).delete()
    }
}
