import Fluent
import PostgresKit
import SQLKit
import Vapor
import YingshangCore

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
    /// Position in the hash chain (`AuditChain`), 1, 2, 3…; the previous entry's hash and this entry's own.
    @OptionalField(key: "seq") var seq: Int?
    @OptionalField(key: "prev_hash") var prevHash: String?
    @OptionalField(key: "hash") var hash: String?

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
        try await record(
            on: db, at: req?.clock.now() ?? AppClock.system.now(), ip: req.flatMap(clientIP), actor: actor, action: action,
            entityType: entityType, entityID: entityID, before: before, after: after)
    }

    /// A change made by a service's caller, audited on the same handle as the change.
    static func record(
        on db: any Database, by caller: Caller, action: String, entityType: String, entityID: UUID?,
        before: (some Encodable)?, after: (some Encodable)?
    ) async throws {
        try await record(
            on: db, at: caller.clock.now(), ip: caller.ip, actor: caller.user, action: action, entityType: entityType,
            entityID: entityID, before: before, after: after)
    }

    /// A change made by a signed-in caller, or by the system (the CLI, jobs) when `caller` is nil.
    static func record(
        on db: any Database, by caller: Caller?, clock: AppClock, action: String, entityType: String, entityID: UUID?,
        before: (some Encodable)?, after: (some Encodable)?
    ) async throws {
        try await record(
            on: db, at: clock.now(), ip: caller?.ip, actor: caller?.user, action: action, entityType: entityType,
            entityID: entityID, before: before, after: after)
    }

    /// A change made by a machine account (a data feed key): named `feed:<name>` in the trail.
    static func record(
        on db: any Database, machine name: String, at time: Date, ip: String?, action: String, entityType: String, entityID: UUID?,
        before: (some Encodable)?, after: (some Encodable)?
    ) async throws {
        try await record(
            on: db, at: time, ip: ip, actor: nil, actorName: "feed:" + name, action: action, entityType: entityType,
            entityID: entityID, before: before, after: after)
    }

    private static func record(
        on db: any Database, at time: Date, ip: String?, actor: User?, actorName: String? = nil, action: String, entityType: String,
        entityID: UUID?, before: (some Encodable)?, after: (some Encodable)?
    ) async throws {
        // Whole milliseconds: what the chain hashes, and what both databases store exactly.
        let now = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        let entry = AuditEntry(
            at: now, actorID: actor?.id, actorUsername: actor?.username ?? actorName ?? "system", action: action,
            entityType: entityType, entityID: entityID?.uuidString, beforeJSON: json(before), afterJSON: json(after),
            ip: ip)
        if db.inTransaction {
            try await append(entry, on: db)
        } else {
            try await db.writeTransaction { tx in try await append(entry, on: tx) }
        }
        // Every audited change to what the dispatch board shows invalidates its caches on all instances.
        if dispatchInputs.contains(entityType) { try await DataRevision.bump(on: db) }
    }

    /// Links the entry into the chain. The head row is updated first, which serialises audit writers until their
    /// transactions commit, so every entry sees the hash of the one before it.
    static func append(_ entry: AuditEntry, on db: any Database) async throws {
        let sql = try db.sql()
        guard let head = try await sql.raw("UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").first() else {
            throw AppError.conflict("审计链头不存在，请运行 yingshang migrate")
        }
        let seq = try head.decode(column: "seq", as: Int.self)
        let prev = try head.decode(column: "hash", as: String.self)
        entry.seq = seq
        entry.prevHash = prev
        entry.hash = chainHash(prev: prev, entry: entry)
        try await entry.create(on: db)
        try await sql.raw("UPDATE audit_chain_head SET hash = \(bind: entry.hash ?? "") WHERE id = 1").run()
    }

    static func content(_ e: AuditEntry) -> String {
        AuditChain.canonical(
            seq: e.seq ?? 0, at: e.at, actorID: e.actorID?.uuidString, actorUsername: e.actorUsername, action: e.action,
            entityType: e.entityType, entityID: e.entityID, before: e.beforeJSON, after: e.afterJSON, ip: e.ip)
    }

    static func sha256(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).hex }

    static func chainHash(prev: String, entry: AuditEntry) -> String {
        sha256(AuditChain.input(prevHash: prev, content: content(entry)))
    }

    /// How many changes have been audited, on any instance: every change moves it, in the change's own transaction,
    /// so a page cached under it is never shown after a change it did not see.
    static func revision(on db: any Database) async throws -> Int {
        if let rows = try await PreparedStatements.rows(RevisionStatement(), on: db) {
            return try rows.first?.decode(column: "seq", as: Int.self) ?? 0
        }
        return try await db.sql().raw("SELECT \(revisionExpression) AS seq").first()?.decode(column: "seq", as: Int.self) ?? 0
    }

    /// Read on every cached dispatch board and home page (`PreparedRead`).
    private struct RevisionStatement: PreparedRead {
        static let name = "yingshang_audit_revision"
        static let sql = "SELECT \(revisionSQL) AS seq"
        func makeBindings() -> PostgresBindings { PostgresBindings() }
    }

    /// The revision as an expression, for a statement that reads it along with other things (the page layout).
    static let revisionSQL = "coalesce((SELECT seq FROM audit_chain_head WHERE id = 1), 0)"
    static let revisionExpression = SQLQueryString(revisionSQL)

    /// Reads the whole log and reports the first altered, deleted or inserted entry (nil: intact), with the count
    /// and the head hash to record outside the system.
    static func verify(on db: any Database) async throws -> (finding: AuditChain.Finding?, count: Int, headHash: String) {
        let entries = try await AuditEntry.query(on: db).all()
        let head = try await db.sql().raw("SELECT seq, hash FROM audit_chain_head WHERE id = 1").first()
        let links = entries.map { e in
            AuditChain.Link(seq: e.seq ?? 0, prevHash: e.prevHash ?? "", hash: e.hash ?? "", content: content(e))
        }
        let finding = AuditChain.verify(links, head: try head?.decode(column: "seq", as: Int.self), hash: sha256)
        return (finding, entries.count, try head?.decode(column: "hash", as: String.self) ?? "")
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

/// The audit log becomes a hash chain: numbers and hashes for existing entries (in time order), the chain head, and
/// database triggers that refuse UPDATE and DELETE on the log (append-only even for someone with SQL access
/// through the application's account; the chain catches changes made around them).
struct AddAuditChain: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AuditEntry.schema).field("seq", .int64).update()
        try await db.schema(AuditEntry.schema).field("prev_hash", .string).update()
        try await db.schema(AuditEntry.schema).field("hash", .string).update()
        let sql = try db.sql()
        try await sql.raw("CREATE TABLE audit_chain_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)").run()
        var prev = AuditChain.genesis
        var seq = 0
        let entries = try await AuditEntry.query(on: db).all().sorted {
            $0.at != $1.at ? $0.at < $1.at : ($0.id?.uuidString ?? "") < ($1.id?.uuidString ?? "")
        }
        for e in entries {
            seq += 1
            e.seq = seq
            e.at = Date(timeIntervalSince1970: (e.at.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
            e.prevHash = prev
            e.hash = AuditLog.chainHash(prev: prev, entry: e)
            prev = e.hash ?? prev
            try await e.update(on: db)
        }
        try await sql.raw("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, \(bind: seq), \(bind: prev))").run()
        try await sql.raw("CREATE UNIQUE INDEX audit_entries_seq ON audit_entries (seq)").run()
        if db.engine == .sqlite {
            for op in ["UPDATE", "DELETE"] {
                try await sql.raw(
                    "CREATE TRIGGER audit_entries_no_\(unsafeRaw: op.lowercased()) BEFORE \(unsafeRaw: op) ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
                ).run()
            }
        } else {
            try await sql.raw(
                "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END; $$ LANGUAGE plpgsql"
            ).run()
            try await sql.raw(
                "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
            ).run()
        }
    }

    func revert(on db: any Database) async throws {
        let sql = try db.sql()
        if db.engine == .sqlite {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_update").run()
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_delete").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries").run()
            try await sql.raw("DROP FUNCTION IF EXISTS audit_entries_append_only()").run()
        }
        try await sql.raw("DROP INDEX IF EXISTS audit_entries_seq").run()
        try await sql.raw("DROP TABLE audit_chain_head").run()
        try await db.schema(AuditEntry.schema).deleteField("hash").update()
        try await db.schema(AuditEntry.schema).deleteField("prev_hash").update()
        try await db.schema(AuditEntry.schema).deleteField("seq").update()
    }
}
