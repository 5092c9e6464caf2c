import Foundation
import Fluent
import SQLKit
import YingshangCore

/// A register's rows per township × industry × size, stored beside it (`register_counts`) and kept by whatever
/// adds rows: an import adds its tally inside its own transaction, so the counts are exact on every instance at
/// once and a first view reads a few hundred rows instead of grouping a million (0.17 s on PostgreSQL, ~1 s on
/// SQLite, plus a count(*) of 0.08 s to check a per-instance cache, which this replaced).
enum RegisterCounts {
    static let schema = "register_counts"

    static func groups(_ cid: UUID, on db: any Database) async throws -> [RegisterWebController.Group] {
        guard let sql = db as? any SQLDatabase, let snapshot = try await RegisterSnapshot.number(of: cid, on: db) else { return [] }
        return try await stored(snapshot, on: sql).map {
            RegisterWebController.Group(township_code: $0.key.township, industry: $0.key.industry, size: $0.key.size, n: $0.value)
        }
    }

    static func stored(_ snapshot: Int, on sql: any SQLDatabase) async throws -> [RegisterTally.Group: Int] {
        let rows = try await sql.select().columns("township_code", "industry", "size", "n").from(schema)
            .where("snapshot_id", .equal, SQLBind(snapshot)).all()
        var out: [RegisterTally.Group: Int] = [:]
        // Column by column, not through `Decodable`: the keyed decoder was a sixth of the register page's time for
        // the few hundred rows read on every view.
        for r in rows {
            let group = RegisterTally.Group(
                township: try r.decode(column: "township_code", as: String?.self), industry: try r.decode(column: "industry", as: String?.self),
                size: try r.decode(column: "size", as: String?.self))
            out[group, default: 0] += try r.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// Adds an import's rows to the snapshot's counts. Call inside the import's transaction, under the lock that
    /// makes imports into one campaign take turns, so no other import's counts are read half-way.
    static func add(_ tally: RegisterTally, snapshot: Int, on sql: any SQLDatabase) async throws {
        guard !tally.isEmpty else { return }
        try await replace(snapshot, with: tally.merged(into: try await stored(snapshot, on: sql)), on: sql)
    }

    /// Counts a snapshot's rows afresh (a register written other than by an import: the benchmark loaders).
    static func recount(_ snapshot: Int, on sql: any SQLDatabase) async throws {
        try await sql.delete(from: schema).where("snapshot_id", .equal, SQLBind(snapshot)).run()
        try await sql.raw("""
            INSERT INTO register_counts (snapshot_id, township_code, industry, size, n)
            SELECT snapshot_id, township_code, industry, size, count(*) FROM enterprises WHERE snapshot_id = \(bind: snapshot)
            GROUP BY snapshot_id, township_code, industry, size
            """).run()
    }

    private static func replace(_ snapshot: Int, with groups: [RegisterTally.Group: Int], on sql: any SQLDatabase) async throws {
        try await sql.delete(from: schema).where("snapshot_id", .equal, SQLBind(snapshot)).run()
        let rows = groups.sorted { $0.value > $1.value }
        // 5 binds a row, well under SQLite's limit of 32,766 per statement.
        for start in stride(from: 0, to: rows.count, by: 1_000) {
            let part = rows[start..<min(rows.count, start + 1_000)]
            var insert = sql.insert(into: schema).columns("snapshot_id", "township_code", "industry", "size", "n")
            for (group, n) in part {
                let values: [any SQLExpression] = [
                    SQLBind(snapshot), SQLBind(group.township), SQLBind(group.industry), SQLBind(group.size), SQLBind(n),
                ]
                insert = insert.values(values)
            }
            try await insert.run()
        }
    }
}

/// `register_counts`, filled from the registers already stored.
struct CreateRegisterCounts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(RegisterCounts.schema)
            .field("snapshot_id", .int, .required, .references(RegisterSnapshot.schema, "id", onDelete: .cascade))
            .field("township_code", .string)
            .field("industry", .string)
            .field("size", .string)
            .field("n", .int, .required)
            .create()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("CREATE INDEX register_counts_snapshot ON register_counts (snapshot_id)").run()
        try await sql.raw("""
            INSERT INTO register_counts (snapshot_id, township_code, industry, size, n)
            SELECT snapshot_id, township_code, industry, size, count(*) FROM enterprises
            GROUP BY snapshot_id, township_code, industry, size
            """).run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(RegisterCounts.schema).delete()
    }
}
