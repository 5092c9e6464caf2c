import Fluent
import Vapor
import YingshangCore

/// A unit (单位): a department, utility, court or the assessor's firm. Users belong to one unit.
final class Unit: Model, @unchecked Sendable {
    static let schema = "units"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "type") var type: String
    @OptionalParent(key: "region_id") var region: Region?
    @Field(key: "contact") var contact: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, code: String, name: String, type: UnitType, regionID: UUID?, contact: String? = nil) {
        self.id = id
        self.code = code
        self.name = name
        self.type = type.rawValue
        self.$region.id = regionID
        self.contact = contact
    }

    var unitType: UnitType { UnitType(rawValue: type) ?? .other }
}

struct CreateUnit: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Unit.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("type", .string, .required)
            .field("region_id", .uuid, .references(Region.schema, "id"))
            .field("contact", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Unit.schema).delete()
    }
}

struct UnitDTO: Content {
    let id: UUID
    let code: String
    let name: String
    let type: String
    let typeName: String
    let regionID: UUID?
    let contact: String?

    init(_ u: Unit) throws {
        id = try u.requireID()
        code = u.code
        name = u.name
        type = u.type
        typeName = u.unitType.chineseName
        regionID = u.$region.id
        contact = u.contact
    }
}

struct UnitInput: Content {
    var code: String?
    var name: String?
    var type: String?
    var regionID: String?
    var contact: String?
}
