import FluentKit
import Foundation
import NIOConcurrencyHelpers
import PostgresKit
import SQLiteKit
import SQLKit
import Vapor
import YingshangCore
import YingshangOffice

/// The register's bulk paths — loading an import, the sampling frame, the export — are where SQLite and PostgreSQL
/// differ (SQLite through its C interface on a thread of its own, PostgreSQL through COPY, aggregation and streamed
/// queries). They sit behind this one protocol with one implementation per engine, chosen from the database handle
/// (`RegisterStores.on`); everything else the register does is plain SQL on both.
protocol RegisterStore: Sendable {
    /// Inside an import's transaction, before anything is read: the locks that make imports take turns.
    func beginImport(campaignID: UUID) async throws

    /// Writes the producer's rows into the snapshot (inside the import's transaction); returns how many.
    func load(snapshot: Int, producer: RegisterBatchProducer, rebuildIndexAbove: Int) async throws -> Int

    /// The credit codes of the enterprises passing the filters, by stratum key ("township|industry|size" with the
    /// stratum's missing-value placeholders).
    func frame(snapshot: Int, strata: [String], statuses: [String], foundedBefore: String?) async throws -> [String: EnterpriseRegister.SortedCodes]

    /// The snapshot's rows as CSV lines in credit-code order, handed to `write` a chunk at a time.
    func export(
        snapshot: Int, columns: [String], extraKeys: [String], mask: @escaping @Sendable ([String]) -> [String],
        write: @escaping @Sendable (String) async throws -> Void
    ) async throws

    /// The register page's search condition: the snapshot's rows whose name contains `name` or whose credit code
    /// contains `code` (nil: no code can), matched literally (no wildcards).
    func substringCondition(snapshot: Int, name: String, code: String?) -> SQLQueryString

    /// `SELECT DISTINCT … AS k`: the names of the extra columns anywhere in a snapshot, sorted.
    func extraKeysQuery(snapshot: Int) -> SQLQueryString

    /// The ids of the snapshot's enterprises with these credit codes (a code not in the snapshot is left out).
    func ids(snapshot: Int, codes: [String]) async throws -> [String: Int]

    /// A draw's members, written in as few statements as the engine allows (inside the draw's transaction).
    func insertMembers(draw: UUID, _ members: [DrawnMember]) async throws
}

/// One enterprise of a draw as `SampleService.draw` picked it: sample or reserve, and its place in the stratum's order.
struct DrawnMember: Sendable {
    let enterpriseID: Int
    let stratum: String
    let role: String
    let position: Int
}

private struct ChosenRow: Decodable {
    let id: Int
    let uscc: String
}


enum RegisterStores {
    /// The store of the database (or transaction) handle.
    static func on(_ db: any Database) throws -> any RegisterStore {
        if let lite = db as? any SQLiteDatabase { return SQLiteRegisterStore(db: lite) }
        if let pg = db as? any PostgresDatabase, let sql = db as? any SQLDatabase { return PostgresRegisterStore(db: pg, sql: sql, fluent: db) }
        throw AppError.conflict("数据库不支持")
    }
}

struct SQLiteRegisterStore: RegisterStore {
    let db: any SQLiteDatabase

    /// `+` keeps the planner off the (snapshot, code) index: a scan in table order is the fast path for a substring.
    func substringCondition(snapshot: Int, name: String, code: String?) -> SQLQueryString {
        guard let code else { return "+snapshot_id = \(bind: snapshot) AND instr(name, \(bind: name)) > 0" }
        return "+snapshot_id = \(bind: snapshot) AND (instr(name, \(bind: name)) > 0 OR instr(uscc, \(bind: code)) > 0)"
    }

    /// The search of `substringCondition` on a database file, in two halves on two cores (`SQLiteDirect
    /// .searchInHalves`): 1M names are scanned in ~0.16 s on one. Nil without a database file, or for a page ending
    /// past row 100,000 (each half keeps that many rows, ~8 MB); the caller then runs the single query.
    func searchInHalves(
        snapshot: Int, name: String, code: String?, filters: [(column: String, value: String)], offset: Int, limit: Int
    ) async throws -> (Int, [RegisterQueries.Listed])? {
        let keep = offset + limit
        guard keep <= 100_000, Self.halfScans.take() else { return nil }
        defer { Self.halfScans.release() }
        let path = try await db.withConnection { conn in
            conn.eventLoop.makeSucceededFuture(SQLiteDirect.handle(of: conn).flatMap { SQLiteDirect.filePath(handle: $0) })
        }.get()
        guard let path else { return nil }
        var condition = "+snapshot_id = \(snapshot) AND "
        var binds = [name]
        if let code {
            condition += "(yingshang_contains(name, ?) OR yingshang_contains(uscc, ?))"
            binds.append(code)
        } else {
            condition += "yingshang_contains(name, ?)"
        }
        for (column, value) in filters {
            condition += " AND \(column) = ?"
            binds.append(value)
        }
        let (total, rows) = try await SQLiteDirect.searchInHalves(
            path: path, columns: "uscc, name, township_code, industry, size, status, founded", condition: condition, binds: binds,
            offset: offset, limit: limit)
        return (total, rows.map(RegisterQueries.Listed.init(cells:)))
    }

    /// Searches scanning in halves at once in this process. Each takes two threads and three connections of its own;
    /// a burst beyond two runs the single query on the pool's connections instead of opening more.
    static let halfScans = Slots(2)

    /// A count of slots taken, up to a limit; `take` does not wait.
    final class Slots: Sendable {
        private let taken = NIOLockedValueBox(0)
        let limit: Int

        init(_ limit: Int) { self.limit = limit }

        func take() -> Bool {
            taken.withLockedValue { n in
                guard n < limit else { return false }
                n += 1
                return true
            }
        }

        func release() { taken.withLockedValue { $0 -= 1 } }
    }

    /// A pass in table order takes 0.09 s at a million rows, through the index 2.7 s.
    func extraKeysQuery(snapshot: Int) -> SQLQueryString {
        "SELECT DISTINCT j.key AS k FROM enterprises e, json_each(e.extra) j WHERE +e.snapshot_id = \(bind: snapshot) AND e.extra <> '{}' ORDER BY 1"
    }

    /// Takes the write lock first, so another writer cannot slip in between the import's reads and its first write
    /// (which would fail the import with SQLITE_BUSY_SNAPSHOT half-way).
    func beginImport(campaignID: UUID) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DELETE FROM enterprises WHERE 0").run()
    }

    /// On the transaction's connection through the C interface, on a thread of its own (reading and checking on a
    /// second one). A large load drops the (snapshot, credit code) index and builds it once at the end: the rows
    /// were checked for duplicates already, and if building it fails anyway the transaction rolls back.
    func load(snapshot: Int, producer: RegisterBatchProducer, rebuildIndexAbove: Int) async throws -> Int {
        try await db.withConnection { conn in
            try await onOwnThread {
                guard let handle = SQLiteDirect.handle(of: conn) else { throw AppError.conflict("无法取得 SQLite 连接") }
                let writer = try SQLiteRegisterWriter(handle: handle, snapshot: snapshot)
                let cache = try writer.integer("PRAGMA cache_size")
                // A 16 MB page cache keeps index pages from spilling mid-transaction; put back for the pool afterwards.
                try writer.execute("PRAGMA cache_size = -16384")
                defer { try? writer.execute("PRAGMA cache_size = \(cache)") }
                let index = MoveRegisterToIntegerKeys.indexName
                let hasIndex = try writer.integer("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '\(index)'") > 0
                let rows = try writer.integer("SELECT coalesce(max(rowid), 0) FROM enterprises")
                let rebuild = hasIndex && producer.estimate >= rebuildIndexAbove && producer.estimate * 3 >= rows
                if rebuild { try writer.execute("DROP INDEX \(index)") }
                var imported = 0
                let pipe = BatchPipe()
                pipe.start(producer)
                do {
                    while let batch = try pipe.take() {
                        try writer.write(batch)
                        imported += batch.count
                    }
                } catch {
                    pipe.cancel()
                    throw error
                }
                if rebuild && (producer.problems.isEmpty || producer.skipInvalid) {
                    // Both cores sort the index entries. The sorter sizes its in-memory runs by the page cache: with
                    // SQLite's default 2 MB the two threads share the work better than with the load's 16 MB (measured
                    // 0.85 s against 1.0 s for 1M rows, docs/benchmarks.md).
                    try writer.execute("PRAGMA cache_size = -2000")
                    try writer.execute("PRAGMA threads = 2")
                    defer { try? writer.execute("PRAGMA threads = 0") }
                    try writer.execute("CREATE UNIQUE INDEX \(index) ON enterprises (snapshot_id, uscc)")
                }
                return imported
            }
        }
    }

    /// One read of the table through the C interface, grouping as it goes; the key is joined in Swift from the raw
    /// columns (SQLite's COALESCE and || per row were a fifth of a draw).
    func frame(snapshot: Int, strata: [String], statuses: [String], foundedBefore: String?) async throws -> [String: EnterpriseRegister.SortedCodes] {
        let columns = strata.map(SampleService.stratumColumn)
        var text = "SELECT \(columns.map(\.column).joined(separator: ", ")), uscc FROM enterprises NOT INDEXED WHERE snapshot_id = ?"
        var binds = [String(snapshot)]
        if !statuses.isEmpty {
            text += " AND status IN (" + statuses.map { _ in "?" }.joined(separator: ", ") + ")"
            binds += statuses
        }
        if let foundedBefore {
            text += " AND founded < ?"
            binds.append(foundedBefore)
        }
        let query = text
        let values = binds
        let missing = columns.map(\.missing)
        return try await db.withConnection { conn in
            guard let handle = SQLiteDirect.handle(of: conn) else { throw AppError.conflict("无法取得 SQLite 连接") }
            if let path = SQLiteDirect.filePath(handle: handle) {
                return try await SQLiteDirect.frameInHalves(path: path, sql: query, binds: values, missing: missing)
            }
            // A database without a file (`:memory:`; sqlite-kit's "memory" is a temporary file): read on the caller's connection.
            return try await onOwnThread {
                guard let handle = SQLiteDirect.handle(of: conn) else { throw AppError.conflict("无法取得 SQLite 连接") }
                return try SQLiteDirect.frame(handle: handle, sql: query, binds: values, missing: missing)
            }
        }
    }

    /// Pages through the C interface in credit-code order (6.5 s for a million rows against 11.9 s through SQLKit).
    func export(
        snapshot: Int, columns: [String], extraKeys: [String], mask: @escaping @Sendable ([String]) -> [String],
        write: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        var after: String? = nil
        while true {
            let from = after
            let page = try await db.withConnection { conn in
                try await onOwnThread {
                    guard let handle = SQLiteDirect.handle(of: conn) else { throw AppError.conflict("无法取得 SQLite 连接") }
                    return try SQLiteDirect.exportPage(
                        handle: handle, snapshot: snapshot, after: from, limit: Self.exportPage, columns: columns, extraKeys: extraKeys,
                        mask: mask)
                }
            }
            if !page.text.isEmpty { try await write(page.text) }
            guard page.rows == Self.exportPage, let last = page.last else { return }
            after = last
        }
    }

    static let exportPage = 5_000

    /// In lists of 500 binds (SQLite allows 32,766 per statement; short lists keep each statement's plan cheap).
    func ids(snapshot: Int, codes: [String]) async throws -> [String: Int] {
        let sql = db.sql()
        var ids: [String: Int] = [:]
        for start in stride(from: 0, to: codes.count, by: 500) {
            let part = Array(codes[start..<min(start + 500, codes.count)])
            for e in try await sql.select().column("id").column("uscc").from(Enterprise.schema)
                .where("snapshot_id", .equal, SQLBind(snapshot)).where("uscc", .in, SQLBind.group(part)).all(decoding: ChosenRow.self)
            {
                ids[e.uscc] = e.id
            }
        }
        return ids
    }

    /// Multi-row inserts of 300 members (seven binds each): a 1,000-enterprise sample with reserves is a handful.
    func insertMembers(draw: UUID, _ members: [DrawnMember]) async throws {
        let sql = db.sql()
        for start in stride(from: 0, to: members.count, by: 300) {
            var insert = sql.insert(into: SampleMember.schema).columns("id", "draw_id", "enterprise_id", "stratum", "role", "position", "status")
            for m in members[start..<min(members.count, start + 300)] {
                insert = insert.values([
                    SQLBind(UUID()), SQLBind(draw), SQLBind(m.enterpriseID), SQLBind(m.stratum), SQLBind(m.role), SQLBind(m.position),
                    SQLBind("active"),
                ] as [any SQLExpression])
            }
            try await insert.run()
        }
    }
}

struct PostgresRegisterStore: RegisterStore {
    func substringCondition(snapshot: Int, name: String, code: String?) -> SQLQueryString {
        guard let code else { return "snapshot_id = \(bind: snapshot) AND strpos(name, \(bind: name)) > 0" }
        return "snapshot_id = \(bind: snapshot) AND (strpos(name, \(bind: name)) > 0 OR strpos(uscc, \(bind: code)) > 0)"
    }

    func extraKeysQuery(snapshot: Int) -> SQLQueryString {
        "SELECT DISTINCT jsonb_object_keys(extra::jsonb) AS k FROM enterprises WHERE snapshot_id = \(bind: snapshot) AND extra <> '{}' ORDER BY 1"
    }

    let db: any PostgresDatabase
    let sql: any SQLDatabase
    let fluent: any Database

    /// A first import attaches its partition, which waits for every transaction that inserted a snapshot: two first
    /// imports at once would deadlock, so they take turns (decisions.md, 2026-12-05). Imports into one campaign take
    /// turns too, so each sees the codes the one before stored.
    func beginImport(campaignID: UUID) async throws {
        if try await RegisterSnapshot.number(of: campaignID, on: fluent) == nil {
            try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: PartitionRegisterOnPostgres.firstImportLock))").run()
        }
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "register:" + campaignID.uuidString)))").run()
    }

    /// The campaign's first import copies into a table of its own, indexed once and then attached as the snapshot's
    /// partition (decisions.md, 2026-12-05); later imports copy into the partition. Checked after the locks above,
    /// so a second first import of the same campaign waits for the first and then appends.
    func load(snapshot: Int, producer: RegisterBatchProducer, rebuildIndexAbove: Int) async throws -> Int {
        let table = PartitionRegisterOnPostgres.partition(snapshot)
        let fresh = try await PartitionRegisterOnPostgres.isMissing(snapshot, on: sql)
        if fresh {
            try await PartitionRegisterOnPostgres.createDetached(snapshot, on: sql)
        } else {
            try await PartitionRegisterOnPostgres.createPartition(snapshot, on: fluent)
        }
        let imported = try await copy(into: table, snapshot: snapshot, producer: producer)
        if fresh { try await PartitionRegisterOnPostgres.indexAndAttach(snapshot, on: sql) }
        // Fresh statistics, or the planner keeps believing the register is empty and reads a million rows through
        // the index in random order (a draw took 8 s instead of 0.4). The partition only: the parent's would sample
        // every county of a province, and queries name one snapshot.
        if fresh || imported >= rebuildIndexAbove { try await sql.raw("ANALYZE \(unsafeRaw: table)").run() }
        return imported
    }

    /// The rows stream into `COPY <table> FROM STDIN` (text format; ids from the sequence) on the transaction's
    /// connection, a chunk at a time. Reading, checking and encoding run on a thread of their own while PostgreSQL
    /// takes the previous chunk (they took turns before: COPY lasted as long as both together).
    private func copy(into table: String, snapshot: Int, producer: RegisterBatchProducer) async throws -> Int {
        let logger = db.logger
        let number = Array(String(snapshot).utf8)
        return try await db.withConnection { conn in
            conn.eventLoop.makeFutureWithTask {
                var imported = 0
                let pipe = BatchPipe<(text: [UInt8], rows: Int)> { batch in
                    (batch.isEmpty ? [] : RegisterImporter.copyText(batch, snapshot: number), batch.count)
                }
                pipe.start(producer)
                do {
                    try await conn.copyFrom(
                        table: table,
                        columns: ["snapshot_id", "uscc", "name", "township_code", "industry", "size", "status", "founded", "contact", "phone", "extra"],
                        logger: logger
                    ) { writer in
                        while let chunk = try await pipe.next() {
                            guard chunk.rows > 0 else { continue }
                            try await writer.write(ByteBuffer(bytes: chunk.text))
                            imported += chunk.rows
                        }
                    }
                } catch {
                    _ = try? await onOwnThread { pipe.cancel() }
                    throw error
                }
                return imported
            }
        }.get()
    }

    /// One statement with the codes as an array (four `IN` lists of 500 before).
    func ids(snapshot: Int, codes: [String]) async throws -> [String: Int] {
        guard !codes.isEmpty else { return [:] }
        let rows = try await sql.raw("SELECT id, uscc FROM \(ident: Enterprise.schema) WHERE snapshot_id = \(bind: snapshot) AND uscc = ANY(\(bind: codes))")
            .all(decoding: ChosenRow.self)
        return Dictionary(rows.map { ($0.uscc, $0.id) }, uniquingKeysWith: { a, _ in a })
    }

    /// One statement with the members as arrays: seven binds in all instead of seven per member.
    func insertMembers(draw: UUID, _ members: [DrawnMember]) async throws {
        guard !members.isEmpty else { return }
        try await sql.raw("""
            INSERT INTO \(ident: SampleMember.schema) (id, draw_id, enterprise_id, stratum, role, position, status)
            SELECT m.id, \(bind: draw), m.enterprise_id, m.stratum, m.role, m.position, 'active'
            FROM unnest(\(bind: members.map { _ in UUID() }), \(bind: members.map(\.enterpriseID)), \(bind: members.map(\.stratum)),
                        \(bind: members.map(\.role)), \(bind: members.map(\.position))) AS m(id, enterprise_id, stratum, role, position)
            """).run()
    }

    /// Grouped in the database (hash aggregate): one comma-joined string per stratum, so a million-row register
    /// costs a few dozen rows to decode instead of a million (codes never contain commas: GB 32100 allows digits and
    /// capitals only).
    func frame(snapshot: Int, strata: [String], statuses: [String], foundedBefore: String?) async throws -> [String: EnterpriseRegister.SortedCodes] {
        try await frame(snapshot: snapshot, strata: strata, statuses: statuses, foundedBefore: foundedBefore, splitFromPages: 2_000)
    }

    /// A partition of `splitFromPages` pages or more (2,000 pages: about 90,000 rows) is read in two halves by page
    /// (TID range scans), each on a pooled connection of its own: `string_agg` has no parallel form before
    /// PostgreSQL 16, so one query keeps a draw on one core. As on SQLite (`SQLiteDirect.frameInHalves`), the halves
    /// are separate reads of committed rows. Register rows are never updated or deleted one by one, only appended by
    /// an import (normally at the table's end, which the open-ended second half reads), so an import committing between the
    /// two reads gives the frame a single read would have given a moment later.
    func frame(
        snapshot: Int, strata: [String], statuses: [String], foundedBefore: String?, splitFromPages: Int
    ) async throws -> [String: EnterpriseRegister.SortedCodes] {
        func aggregated(_ pages: SQLQueryString?) async throws -> [String: String] {
            var q = sql.select().column(SampleService.keyExpression(strata), as: "stratum_key").column(SQLRaw("string_agg(uscc, ',')"), as: "members")
                .from(Enterprise.schema).where("snapshot_id", .equal, SQLBind(snapshot))
            if let pages { q = q.where(pages) }
            if !statuses.isEmpty { q = q.where("status", .in, SQLBind.group(statuses)) }
            if let foundedBefore { q = q.where("founded", .lessThan, SQLBind(foundedBefore)) }
            q = q.groupBy(SQLRaw("stratum_key"))
            var joined: [String: String] = [:]
            for row in try await q.all() {
                joined[try row.decode(column: "stratum_key", as: String.self)] = try row.decode(column: "members", as: String.self)
            }
            return joined
        }
        let pages = try await sql.raw("""
            SELECT pg_relation_size(to_regclass(\(bind: PartitionRegisterOnPostgres.partition(snapshot)))) / current_setting('block_size')::bigint AS pages
            """).first()?.decode(column: "pages", as: Int?.self) ?? nil
        var parts: [[String: String]]
        if let pages, pages >= max(splitFromPages, 2) {
            let middle: SQLQueryString = "'(\(unsafeRaw: String(pages / 2)),0)'::tid"
            async let low = aggregated("ctid < \(middle)")
            async let high = aggregated("ctid >= \(middle)")
            parts = try await [low, high]
        } else {
            parts = [try await aggregated(nil)]
        }
        var joined = parts.removeFirst()
        for part in parts {
            joined.merge(part) { $0 + "," + $1 }
        }
        // Splitting and sorting a million codes is a tenth of a draw: the strata go to two tasks, by length.
        let entries = joined.sorted { $0.value.utf8.count > $1.value.utf8.count }
        func sorted(_ part: [(key: String, value: String)]) async -> [String: EnterpriseRegister.SortedCodes] {
            Dictionary(uniqueKeysWithValues: part.map { ($0.key, EnterpriseRegister.SortedCodes(joined: $0.value)) })
        }
        async let even = sorted(entries.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        async let odd = sorted(entries.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        return await even.merging(odd) { first, _ in first }
    }

    /// One streamed query on one connection (one consistent view of the snapshot), handed to `write` about 256 KB at
    /// a time. Cells are read as the bytes PostgreSQL sends (text columns in binary format are their UTF-8), without
    /// SQLKit's decoding by column name.
    func export(
        snapshot: Int, columns: [String], extraKeys: [String], mask: @escaping @Sendable ([String]) -> [String],
        write: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        var binds = PostgresBindings()
        binds.append(snapshot)
        let query = PostgresQuery(
            unsafeSQL: "SELECT \((columns + ["extra"]).joined(separator: ", ")) FROM enterprises WHERE snapshot_id = $1 ORDER BY uscc",
            binds: binds)
        let logger = db.logger
        let width = columns.count
        try await db.withConnection { conn in
            conn.eventLoop.makeFutureWithTask {
                var text = ""
                text.reserveCapacity(300_000)
                for try await row in try await conn.query(query, logger: logger) {
                    var cells: [String] = []
                    cells.reserveCapacity(width)
                    var extra = "{}"
                    for (i, cell) in row.enumerated() {
                        let value = cell.bytes.map { String(buffer: $0) } ?? ""
                        if i < width { cells.append(value) } else { extra = value }
                    }
                    cells = mask(cells)
                    if !extraKeys.isEmpty { cells += Enterprise.extraCells(extra, keys: extraKeys) }
                    CSVWriter.appendLine(cells, to: &text)
                    if text.utf8.count >= 262_144 {
                        try await write(text)
                        text = ""
                        text.reserveCapacity(300_000)
                    }
                }
                if !text.isEmpty { try await write(text) }
            }
        }.get()
    }
}
