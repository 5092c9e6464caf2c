import Fluent
import PostgresKit
import SQLKit
import Vapor

/// A counter in the database that every write feeding the dispatch board increments, in the same transaction.
/// App instances cache dispatch results keyed by it, so a cache is never stale on any instance.
final class DataRevision: Model, @unchecked Sendable {
    static let schema = "data_revisions"
    static let dispatchKey = "dispatch"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "value") var value: Int

    init() {}

    init(key: String, value: Int) {
        self.key = key
        self.value = value
    }

    static func bump(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.update(schema).set(SQLIdentifier("value"), to: SQLRaw("value + 1"))
            .where("key", .equal, SQLBind(dispatchKey)).run()
    }

    /// Read on every dispatch request, cached or not: one plain statement (prepared on PostgreSQL).
    static func current(on db: any Database) async throws -> Int {
        if let rows = try await PreparedStatements.rows(CurrentStatement(), on: db) {
            return try rows.first?.decode(column: "value", as: Int.self) ?? 0
        }
        return try await db.sql().raw("SELECT value FROM \(ident: schema) WHERE key = \(bind: dispatchKey)").first()?
            .decode(column: "value", as: Int.self) ?? 0
    }

    private struct CurrentStatement: PreparedRead {
        static let name = "yingshang_dispatch_revision"
        static let sql = "SELECT value FROM \(DataRevision.schema) WHERE key = $1"
        func makeBindings() throws -> PostgresBindings { try .of(DataRevision.dispatchKey) }
    }
}

struct CreateDataRevision: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(DataRevision.schema)
            .id()
            .field("key", .string, .required)
            .field("value", .int, .required)
            .unique(on: "key")
            .create()
        try await DataRevision(key: DataRevision.dispatchKey, value: 0).create(on: db)
    }

    func revert(on db: any Database) async throws {
        try await db.schema(DataRevision.schema).delete()
    }
}

/// Per-instance cache of dispatch results, keyed by the data revision and the request's view of the board.
/// The API's JSON of a board is kept beside it (`putJSON`), and goes with it.
final class DispatchCache: @unchecked Sendable {
    private let lock = NSLock()
    /// Boards computed since the instance started (each flight is one), for tests and `/metrics`-style checks.
    private var started = 0

    var computations: Int {
        lock.lock()
        defer { lock.unlock() }
        return started
    }

    private var entries: [String: DispatchDTO] = [:]
    private var encoded: [String: ByteBuffer] = [:]
    private var revision = -1

    func get(_ key: String, revision: Int) -> DispatchDTO? {
        lock.lock()
        defer { lock.unlock() }
        return revision == self.revision ? entries[key] : nil
    }

    func json(_ key: String, revision: Int) -> ByteBuffer? {
        lock.lock()
        defer { lock.unlock() }
        return revision == self.revision ? encoded[key] : nil
    }

    func put(_ key: String, revision: Int, _ value: DispatchDTO) {
        lock.lock()
        defer { lock.unlock() }
        moveTo(revision)
        entries[key] = value
    }

    /// Kept only beside the board it encodes (same key, same revision).
    func putJSON(_ key: String, revision: Int, _ json: ByteBuffer) {
        lock.lock()
        defer { lock.unlock() }
        if revision == self.revision, entries[key] != nil { encoded[key] = json }
    }

    private var flights: [String: Task<DispatchDTO, any Error>] = [:]

    /// The computation of `key` at `revision` under way, or the one `start` makes now (`mine`: this caller's, which
    /// puts the board and then calls `land`). Fifty unit heads opening the board after a change wait for one
    /// computation instead of running fifty at once (p99 ~1 s at 50 connections on a cold cache, benchmarks.md).
    func flight(
        _ key: String, revision: Int, start: () -> Task<DispatchDTO, any Error>
    ) -> (task: Task<DispatchDTO, any Error>, mine: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let id = "\(revision)|\(key)"
        if let task = flights[id] { return (task, false) }
        started += 1
        let task = start()
        flights[id] = task
        return (task, true)
    }

    func land(_ key: String, revision: Int) {
        lock.lock()
        defer { lock.unlock() }
        flights["\(revision)|\(key)"] = nil
    }

    private func moveTo(_ revision: Int) {
        if revision != self.revision || entries.count > 500 {
            entries = [:]
            encoded = [:]
            self.revision = revision
        }
    }
}

extension Application {
    private struct DispatchCacheKey: StorageKey {
        typealias Value = DispatchCache
    }

    /// The instance's dispatch boards (created by `configure`).
    var dispatchCache: DispatchCache { instanceValue(DispatchCacheKey.self) { DispatchCache() } }
}
