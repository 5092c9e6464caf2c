import Fluent
import Vapor
import YingshangCore

/// An administrative region: the county and its townships (or a city and its counties).
final class Region: Model, @unchecked Sendable {
    static let schema = "regions"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "level") var level: String
    @OptionalParent(key: "parent_id") var parent: Region?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, code: String, name: String, level: RegionLevel, parentID: UUID?) {
        self.id = id
        self.code = code
        self.name = name
        self.level = level.rawValue
        self.$parent.id = parentID
    }

    var regionLevel: RegionLevel { RegionLevel(rawValue: level) ?? .township }
}

struct CreateRegion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Region.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("level", .string, .required)
            .field("parent_id", .uuid, .references(Region.schema, "id"))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Region.schema).delete()
    }
}

/// What the API returns for a region (never the Fluent model itself).
struct RegionDTO: Content {
    let id: UUID
    let code: String
    let name: String
    let level: String
    let parentID: UUID?

    init(_ r: Region) throws {
        id = try r.requireID()
        code = r.code
        name = r.name
        level = r.level
        parentID = r.$parent.id
    }
}

/// The body of a create or update; also decoded from the web form.
struct RegionInput: Content {
    var code: String?
    var name: String?
    var level: String?
    var parentID: String?
}
