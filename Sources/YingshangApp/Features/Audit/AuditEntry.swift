import Fluent
import Vapor

/// One audited change: who, when, what, before/after as JSON, and from which IP.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_entries"

    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_username") var actorUsername: String
    @Field(key: "action") var action: String
    @Field(key: "entity_type") var entityType: String
    @OptionalField(key: "entity_id") var entityID: String?
    @OptionalField(key: "before_json") var beforeJSON: String?
    @OptionalField(key: "after_json") var afterJSON: String?
    @OptionalField(key: "ip") var ip: String?

    init() {}

    init(
        at: Date, actorID: UUID?, actorUsername: String, action: String, entityType: String, entityID: String?,
        beforeJSON: String?, afterJSON: String?, ip: String?
    ) {
        self.at = at
        self.actorID = actorID
        self.actorUsername = actorUsername
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.beforeJSON = beforeJSON
        self.afterJSON = afterJSON
        self.ip = ip
    }
}

struct CreateAuditEntry: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // No foreign key on actor_id: the trail must outlive a deleted user.
        try await database.schema(AuditEntry.schema)
            .id()
            .field("at", .datetime, .required)
            .field("actor_id", .uuid)
            .field("actor_username", .string, .required)
            .field("action", .string, .required)
            .field("entity_type", .string, .required)
            .field("entity_id", .string)
            .field("before_json", .string)
            .field("after_json", .string)
            .field("ip", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema).delete()
    }
}

struct AuditEntryDTO: Content {
    let id: UUID
    let at: Date
    let actorID: UUID?
    let actorUsername: String
    let action: String
    let entityType: String
    let entityID: String?
    let before: String?
    let after: String?
    let ip: String?

    init(_ e: AuditEntry) throws {
        id = try e.requireID()
        at = e.at
        actorID = e.actorID
        actorUsername = e.actorUsername
        action = e.action
        entityType = e.entityType
        entityID = e.entityID
        before = e.beforeJSON
        after = e.afterJSON
        ip = e.ip
    }
}

/// Writes audit entries on the same database handle as the change, so both commit or neither does.
enum AuditLog {
    static func record(
        on db: any Database, req: Request?, actor: User?, action: String, entityType: String, entityID: UUID?,
        before: (some Encodable)?, after: (some Encodable)?
    ) async throws {
        let entry = AuditEntry(
            at: Date(), actorID: actor?.id, actorUsername: actor?.username ?? "system", action: action,
            entityType: entityType, entityID: entityID?.uuidString, beforeJSON: json(before), afterJSON: json(after),
            ip: req.flatMap(clientIP))
        try await entry.save(on: db)
        // Every audited change to what the dispatch board shows invalidates its caches on all instances.
        if dispatchInputs.contains(entityType) { try await DataRevision.bump(on: db) }
    }

    static let dispatchInputs: Set<String> = [
        "campaign", "assignment", "schedule", "task", "calendar", "filing", "unit", "question",
    ]

    static func json(_ value: (some Encodable)?) -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// Behind a load balancer the first X-Forwarded-For hop is the client.
    static func clientIP(_ req: Request) -> String? {
        if let fwd = req.headers.first(name: "X-Forwarded-For")?.split(separator: ",").first {
            return fwd.trimmingCharacters(in: .whitespaces)
        }
        return req.remoteAddress?.ipAddress
    }
}

/// The "nothing" value for an audit side that does not exist (before a create, after a delete).
struct Nothing: Encodable {}
let noSnapshot: Nothing? = nil
