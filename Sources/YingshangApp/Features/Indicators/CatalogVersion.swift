import Fluent
import Vapor
import YingshangCore

/// One version of the indicator catalog, stored as a validated JSON document. A version a campaign uses is
/// never changed again: editing it creates the next version.
final class CatalogVersion: Model, @unchecked Sendable {
    static let schema = "catalog_versions"

    @ID(key: .id) var id: UUID?
    @Field(key: "number") var number: Int
    @Field(key: "note") var note: String
    @Field(key: "content") var content: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(number: Int, note: String, catalog: Catalog, createdBy: String) throws {
        self.number = number
        self.note = note
        self.content = try CatalogVersion.encode(catalog)
        self.createdBy = createdBy
    }

    static func encode(_ catalog: Catalog) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(catalog), as: UTF8.self)
    }

    func catalog() throws -> Catalog {
        try JSONDecoder().decode(Catalog.self, from: Data(content.utf8))
    }
}

extension Campaign {
    /// The catalog version this campaign was created on, decoded: the one way to read a campaign's indicators,
    /// sub-indicators and questionnaire (a campaign stays on its version when the catalog is edited).
    func catalog(on db: any Database) async throws -> Catalog {
        guard let v = try await CatalogVersion.find($catalogVersion.id, on: db) else { throw AppError.notFound("指标体系版本") }
        return try v.catalog()
    }
}

struct CreateCatalogVersion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CatalogVersion.schema)
            .id()
            .field("number", .int, .required)
            .field("note", .string, .required)
            .field("content", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "number")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CatalogVersion.schema).delete()
    }
}

/// What the audit log keeps of a catalog change (the document itself is in the version row).
struct CatalogAuditSnapshot: Encodable {
    let number: Int
    let note: String
    let indicators: [String]
}
