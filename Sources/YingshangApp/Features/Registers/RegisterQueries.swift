import Fluent
import SQLKit
import Vapor
import YingshangCore

/// The register page's reads that need SQL of their own: a literal substring search with its count in one pass, and
/// the extra columns a snapshot carries.
enum RegisterQueries {
    /// A register row as the list shows it.
    struct Listed: Decodable {
        let uscc: String
        let name: String
        let township_code: String?
        let industry: String?
        let size: String?
        let status: String?
        let founded: String?

        /// The seven columns in the order above, as `SQLiteDirect.searchInHalves` reads them.
        init(cells: [String?]) {
            func cell(_ i: Int) -> String? { i < cells.count ? cells[i] : nil }
            (uscc, name, township_code, industry, size, status, founded) = (cell(0) ?? "", cell(1) ?? "", cell(2), cell(3), cell(4), cell(5), cell(6))
        }

    }

    /// One page of a snapshot in credit-code order, with the register page's filters. The page's codes are found
    /// first from the (snapshot, credit code) index alone and only their rows read: PostgreSQL read every skipped
    /// row to reach page 10,000 of a 1M-row register (0.6–0.8 s; 55 ms now), SQLite is unchanged (~30 ms).
    static func page(snapshot: Int, filters: [String: String], offset: Int, limit: Int, on db: any Database) async throws -> [Listed] {
        var where_: SQLQueryString = "snapshot_id = \(bind: snapshot)"
        for (field, column) in [("township", "township_code"), ("industry", "industry"), ("size", "size")] {
            if let value = filters[field] { where_ = where_ + " AND \(ident: column) = \(bind: value)" }
        }
        let rows = try await db.sql().raw("""
            SELECT uscc, name, township_code, industry, size, status, founded FROM enterprises
            WHERE snapshot_id = \(bind: snapshot) AND uscc IN (
                SELECT uscc FROM enterprises WHERE \(where_) ORDER BY uscc LIMIT \(bind: limit) OFFSET \(bind: offset))
            ORDER BY uscc
            """).all()
        return try rows.map { try $0.decode(model: Listed.self, keyDecodingStrategy: .useDefaultKeys) }
    }

    /// A substring search by name or credit code: the matching count and one page in a single pass over the
    /// snapshot (`COUNT(*) OVER ()`), reading rows in table order on SQLite. The text is matched literally — `%`
    /// and `_` are not wildcards — and a credit code matches in upper case.
    static func search(
        _ q: String, snapshot: Int, filters: [String: String], offset: Int, limit: Int, on db: any Database
    ) async throws -> (Int, [Listed]) {
        let sql = try db.sql()
        let code = q.uppercased()
        let store = try RegisterStores.on(db)
        let filtered = [("township", "township_code"), ("industry", "industry"), ("size", "size")].compactMap { field, column in
            filters[field].map { (column: column, value: $0) }
        }
        if let lite = store as? SQLiteRegisterStore, let found = try await lite.searchInHalves(
            snapshot: snapshot, name: q, code: USCC.couldContain(code) ? code : nil, filters: filtered, offset: offset, limit: limit
        ) {
            return found
        }
        var where_ = store.substringCondition(snapshot: snapshot, name: q, code: USCC.couldContain(code) ? code : nil)
        for (column, value) in filtered { where_ = where_ + " AND \(ident: column) = \(bind: value)" }
        if sql.engine == .postgres { return try await postgresSearch(where_, snapshot: snapshot, offset: offset, limit: limit, on: sql) }
        let rows = try await sql.raw("""
            SELECT uscc, name, township_code, industry, size, status, founded, COUNT(*) OVER () AS total
            FROM enterprises WHERE \(where_) ORDER BY uscc LIMIT \(bind: limit) OFFSET \(bind: offset)
            """).all()
        let items = try rows.map { try $0.decode(model: Listed.self, keyDecodingStrategy: .useDefaultKeys) }
        if let first = rows.first { return (try first.decode(column: "total", as: Int.self), items) }
        // Past the last page the window has no row to report on: count on its own.
        if offset == 0 { return (0, []) }
        let counted = try await sql.raw("SELECT COUNT(*) AS n FROM enterprises WHERE \(where_)").first()
        return (try counted?.decode(column: "n", as: Int.self) ?? 0, [])
    }

    /// PostgreSQL: the count first, by a parallel scan (`COUNT(*) OVER ()` kept the scan on one core and sorted every
    /// match: 1.3–1.4 s on 1M rows), then the page by whichever way reads fewer rows. Walking the credit-code index
    /// stops after `offset + limit` matches, which for a rare text means most of the table row by row (1.3 s for a
    /// text in no name); sorting the matches of a parallel scan costs ~0.1 s. The walk is taken when it should read
    /// under 100,000 rows.
    static func postgresSearch(
        _ where_: SQLQueryString, snapshot: Int, offset: Int, limit: Int, walkLimit: Double = 100_000, on sql: any SQLDatabase
    ) async throws -> (Int, [Listed]) {
        let counted = try await sql.raw("""
            SELECT COUNT(*) FILTER (WHERE \(where_)) AS n, COUNT(*) AS total FROM enterprises WHERE snapshot_id = \(bind: snapshot)
            """).first()
        let n = try counted?.decode(column: "n", as: Int.self) ?? 0
        let total = try counted?.decode(column: "total", as: Int.self) ?? 0
        guard n > offset, limit > 0 else { return (n, []) }
        let walked = Double(offset + limit) * Double(total) / Double(n)
        let columns: SQLQueryString = "uscc, name, township_code, industry, size, status, founded"
        let page: SQLQueryString = walked < walkLimit
            ? "SELECT \(columns) FROM enterprises WHERE \(where_) ORDER BY uscc LIMIT \(bind: limit) OFFSET \(bind: offset)"
            // Ordered by an expression the index cannot give (same text, same collation, same order), so PostgreSQL
            // scans in parallel and sorts only the matches: ~0.1 s for any text on 1M rows.
            : "SELECT \(columns) FROM enterprises WHERE \(where_) ORDER BY uscc || '' LIMIT \(bind: limit) OFFSET \(bind: offset)"
        let rows = try await sql.raw(page).all()
        return (n, try rows.map { try $0.decode(model: Listed.self, keyDecodingStrategy: .useDefaultKeys) })
    }

    /// The names of the extra columns anywhere in a snapshot, sorted.
    static func extraKeys(_ snapshot: Int, on db: any Database) async throws -> [String] {
        try await db.sql().raw(try RegisterStores.on(db).extraKeysQuery(snapshot: snapshot)).all().map { try $0.decode(column: "k", as: String.self) }
    }
}
