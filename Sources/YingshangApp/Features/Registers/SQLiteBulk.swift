import Foundation
import SQLiteNIO
import VaporCSQLite
import YingshangCore
import YingshangOffice

// The register's bulk paths on SQLite, through its C interface: the writer of an import, the handle, the
// sampling frame scan and the scan of a snapshot's credit codes.

/// Writes register rows through SQLite's C interface: one prepared insert, cells bound straight from the packed
/// batch, no SQL text or string per cell. It runs on the connection of the import's transaction (taken from the
/// Fluent transaction, so commit and rollback stay Fluent's) while nothing else uses that connection.
final class SQLiteRegisterWriter {
    private let db: OpaquePointer
    private var insert: OpaquePointer?

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(handle: OpaquePointer, snapshot: Int) throws {
        db = handle
        // The id is left to SQLite (the rowid), so the table grows at one end and needs no key index of its own.
        let sql = """
            INSERT INTO enterprises (snapshot_id, uscc, name, township_code, industry, size, status, founded, contact, phone, extra)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &insert, nil) == SQLITE_OK, let insert else { throw failure("准备插入语句") }
        // Bindings survive a reset: the snapshot is bound once for every row.
        guard sqlite_nio_sqlite3_bind_int64(insert, 1, Int64(snapshot)) == SQLITE_OK else { throw failure("绑定名单") }
    }

    deinit {
        sqlite_nio_sqlite3_finalize(insert)
    }

    /// SQLITE_TRANSIENT: SQLite copies the text at once.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func failure(_ what: String) -> Failure {
        Failure(description: "\(what)失败：\(sqlite_nio_sqlite3_errmsg(db).map { String(cString: $0) } ?? "未知错误")")
    }

    func execute(_ sql: String) throws {
        guard sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw failure("执行 \(sql.prefix(40))") }
    }

    /// The first column of the first row of a query, as an integer (0 without rows).
    func integer(_ sql: String) throws -> Int {
        var stmt: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { throw failure("查询") }
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        let rc = sqlite_nio_sqlite3_step(stmt)
        if rc == SQLITE_ROW { return Int(sqlite_nio_sqlite3_column_int64(stmt, 0)) }
        guard rc == SQLITE_DONE else { throw failure("查询") }
        return 0
    }

    func text(_ sql: String) throws -> String? {
        var stmt: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { throw failure("查询") }
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        guard sqlite_nio_sqlite3_step(stmt) == SQLITE_ROW, let p = sqlite_nio_sqlite3_column_text(stmt, 0) else { return nil }
        return String(cString: p)
    }

    func write(_ batch: RegisterRowBatch) throws {
        guard let insert, !batch.isEmpty else { return }
        // Every bind, step and reset takes the connection's (recursive) mutex; held once for the batch, each of those
        // takes it again without an atomic operation (the locking was a seventh of the writing thread's time).
        let mutex = sqlite_nio_sqlite3_db_mutex(db)
        sqlite_nio_sqlite3_mutex_enter(mutex)
        defer { sqlite_nio_sqlite3_mutex_leave(mutex) }
        try batch.bytes.withUnsafeBufferPointer { bytes in
            try batch.spans.withUnsafeBufferPointer { spans in
                // Every row has at least its credit code, so a non-empty batch has bytes.
                guard let base = bytes.baseAddress else { return }
                var k = 0
                for _ in 0..<batch.count {
                    // Static bindings: the batch outlives this step.
                    for column in 0..<RegisterRowBatch.columns {
                        let start = Int(spans[k])
                        let length = spans[k + 1]
                        k += 2
                        if length < 0 {
                            sqlite_nio_sqlite3_bind_null(insert, Int32(column + 2))
                        } else {
                            (base + start).withMemoryRebound(to: CChar.self, capacity: Int(length)) {
                                _ = sqlite_nio_sqlite3_bind_text(insert, Int32(column + 2), $0, length, nil)
                            }
                        }
                    }
                    let rc = sqlite_nio_sqlite3_step(insert)
                    sqlite_nio_sqlite3_reset(insert)
                    if rc != SQLITE_DONE { throw failure("写入企业名单") }
                }
            }
        }
    }
}

/// The sqlite3 handle of a SQLiteNIO connection, for the two bulk paths (register load, sampling frame). SQLiteNIO
/// keeps it internal, so it is read by reflection; the library is built thread-safe (serialized), so using it from
/// our thread while the connection is checked out is sound. Nil if SQLiteNIO ever renames the fields — the
/// callers then report an error instead of guessing (decisions.md).
enum SQLiteDirect {
    static func handle(of connection: SQLiteConnection) -> OpaquePointer? {
        guard let box = Mirror(reflecting: connection).children.first(where: { $0.label == "handle" })?.value else { return nil }
        return Mirror(reflecting: box).children.first(where: { $0.label == "raw" })?.value as? OpaquePointer
    }

    /// `SELECT 41 + 1` through the handle: 42 when the handle is a live sqlite3 connection (pinned by a test).
    static func selfCheck(handle db: OpaquePointer) -> Int64? {
        var stmt: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(db, "SELECT 41 + 1", -1, &stmt, nil) == SQLITE_OK, let stmt else { return nil }
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        guard sqlite_nio_sqlite3_step(stmt) == SQLITE_ROW else { return nil }
        return sqlite_nio_sqlite3_column_int64(stmt, 0)
    }

    /// The rows of the sampling frame — stratum key and credit code — grouped by stratum while the table is read
    /// once from end to end. SQLite has no hash aggregate: `GROUP BY` sorted 750,000 rows (0.75 s) and reading
    /// through the (campaign, code) index visited the rows in random order (2.5 s on a shuffled register).
    /// Steps through a query's rows; `body` reads the current row's columns from the statement.
    private static func eachRow(
        handle db: OpaquePointer, sql: String, binds: [String], what: String, _ body: (OpaquePointer) throws -> Void
    ) throws {
        var stmt: OpaquePointer?
        func failure() -> SQLiteRegisterWriter.Failure {
            .init(description: "\(what)失败：\(sqlite_nio_sqlite3_errmsg(db).map { String(cString: $0) } ?? "未知错误")")
        }
        guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw failure() }
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        for (i, value) in binds.enumerated() {
            guard sqlite_nio_sqlite3_bind_text(stmt, Int32(i + 1), value, -1, SQLiteRegisterWriter.transient) == SQLITE_OK else { throw failure() }
        }
        while true {
            let rc = sqlite_nio_sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw failure() }
            try body(stmt)
        }
    }

    /// The credit codes of a query's first column, packed: a million of them without a row object each (SQLiteNIO
    /// materialises every row of a query before handing them over, 450 MB for a million).
    static func codes(handle db: OpaquePointer, sql: String, binds: [String]) throws -> Set<EnterpriseRegister.USCCKey> {
        var keys = Set<EnterpriseRegister.USCCKey>()
        try eachRow(handle: db, sql: sql, binds: binds, what: "读取名单中的信用代码") { stmt in
            guard let c = sqlite_nio_sqlite3_column_text(stmt, 0) else { return }
            let code = String(decoding: UnsafeBufferPointer(start: c, count: Int(sqlite_nio_sqlite3_column_bytes(stmt, 0))), as: UTF8.self)
            if let key = EnterpriseRegister.USCCKey(checking: code) { keys.insert(key) }
        }
        return keys
    }

    /// One page of the register export as CSV lines, in credit-code order after `after`: the text, the last code and
    /// the number of rows. Read through the C interface (SQLKit's row decoding made a million rows take 12 s).
    static func exportPage(
        handle db: OpaquePointer, snapshot: Int, after: String?, limit: Int, columns: [String], extraKeys: [String],
        mask: ([String]) -> [String] = { $0 }
    ) throws -> (text: String, last: String?, rows: Int) {
        let sql = "SELECT \(columns.joined(separator: ", ")), extra FROM enterprises WHERE snapshot_id = ? AND uscc > ? ORDER BY uscc LIMIT \(limit)"
        var text = ""
        var last: String?
        var rows = 0
        try eachRow(handle: db, sql: sql, binds: [String(snapshot), after ?? ""], what: "导出企业名单") { stmt in
            func column(_ i: Int) -> String {
                guard let p = sqlite_nio_sqlite3_column_text(stmt, Int32(i)) else { return "" }
                return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite_nio_sqlite3_column_bytes(stmt, Int32(i)))), as: UTF8.self)
            }
            var cells = (0..<columns.count).map(column)
            last = cells.first
            cells = mask(cells)
            if !extraKeys.isEmpty { cells += Enterprise.extraCells(column(columns.count), keys: extraKeys) }
            CSVWriter.appendLine(cells, to: &text)
            rows += 1
        }
        return (text, last, rows)
    }

    /// The frame from a query whose first `missing.count` columns are the stratum fields and whose next is the code:
    /// the key is the fields joined by "|", a null field named by its `missing` text (as `SampleService.keyExpression`).
    static func frame(
        handle db: OpaquePointer, sql: String, binds: [String], missing: [String]
    ) throws -> [String: EnterpriseRegister.SortedCodes] {
        var parts = FrameParts(missing: missing)
        try eachRow(handle: db, sql: sql, binds: binds, what: "读取抽样框") { parts.add($0) }
        return FrameParts.sorted([parts])
    }

    /// The same frame read in two halves of the table at once, each on a read-only connection of its own (no
    /// connection mutex) and its own thread: the scan is most of a draw's time, and a draw has the machine's
    /// cores to itself while it runs. The rows of a snapshot never change once imported, so reading committed
    /// rows outside the caller's connection sees the same frame. `path`: the database file (`filePath`).
    static func frameInHalves(
        path: String, sql: String, binds: [String], missing: [String]
    ) async throws -> [String: EnterpriseRegister.SortedCodes] {
        guard let (low, high) = try rowidBounds(path, what: "读取抽样框") else { return [:] }
        let middle = low + (high - low) / 2
        func half(_ condition: String) async throws -> FrameParts {
            try await onOwnThread {
                try onReadOnlyConnection(path) { lite in
                    var parts = FrameParts(missing: missing)
                    try eachRow(handle: lite, sql: sql + condition, binds: binds, what: "读取抽样框") { parts.add($0) }
                    return parts
                }
            }
        }
        async let first = half(" AND rowid <= \(middle)")
        async let second = half(" AND rowid > \(middle)")
        return FrameParts.sorted(try await [first, second])
    }

    /// A page of a register search and the number of rows matching, read like the frame: each half of the table's
    /// rowids on a read-only connection and thread of its own. `condition` uses `?` for `binds` and
    /// `yingshang_contains(text, needle)` (a byte substring, as `instr(text, needle) > 0` answers for UTF-8 text,
    /// found with memchr rather than SQLite's position-by-position compare). Each half counts its matches and keeps
    /// the first `offset + limit` by credit code (no window function or sort: a name part every row has, such as 公司, would
    /// have them materialise a million rows); the halves are merged in the same order and the page's rows read by
    /// rowid. Columns: those of `columns`, as text, in the order of the credit codes (SQLite's binary order).
    static func searchInHalves(
        path: String, columns: String, condition: String, binds: [String], offset: Int, limit: Int
    ) async throws -> (total: Int, rows: [[String?]]) {
        let keep = offset + limit
        guard limit > 0, let (low, high) = try rowidBounds(path, what: "查询名录") else { return (0, []) }
        let middle = low + (high - low) / 2
        func half(_ range: String) async throws -> (Int, [SearchHit]) {
            try await onOwnThread {
                try onReadOnlyConnection(path, mapped: false) { lite in
                    try installContains(lite)
                    var total = 0
                    var first = FirstByCode(keep: keep)
                    let sql = "SELECT rowid, uscc FROM enterprises WHERE \(condition) AND \(range)"
                    try eachRow(handle: lite, sql: sql, binds: binds, what: "查询名录") { stmt in
                        total += 1
                        let code = UnsafeBufferPointer(start: sqlite_nio_sqlite3_column_text(stmt, 1), count: Int(sqlite_nio_sqlite3_column_bytes(stmt, 1)))
                        first.offer(code, rowid: sqlite_nio_sqlite3_column_int64(stmt, 0))
                    }
                    return (total, first.hits)
                }
            }
        }
        async let firstHalf = half("rowid <= \(middle)")
        async let secondHalf = half("rowid > \(middle)")
        let (a, b) = try await (firstHalf, secondHalf)
        // Only the page's rows are read back.
        let merged = Array((a.1 + b.1).sorted().prefix(keep).dropFirst(offset))
        guard !merged.isEmpty else { return (a.0 + b.0, []) }
        var byRowid: [Int64: [String?]] = [:]
        let width = columns.split(separator: ",").count
        try onReadOnlyConnection(path, mapped: false) { lite in
            let list = merged.map { String($0.rowid) }.joined(separator: ",")
            try eachRow(handle: lite, sql: "SELECT rowid, \(columns) FROM enterprises WHERE rowid IN (\(list))", binds: [], what: "查询名录") { stmt in
                byRowid[sqlite_nio_sqlite3_column_int64(stmt, 0)] = (1...Int32(width)).map { i in
                    guard let c = sqlite_nio_sqlite3_column_text(stmt, i) else { return nil }
                    return String(decoding: UnsafeBufferPointer(start: c, count: Int(sqlite_nio_sqlite3_column_bytes(stmt, i))), as: UTF8.self)
                }
            }
        }
        return (a.0 + b.0, merged.compactMap { byRowid[$0.rowid] })
    }

    /// A matching row: its credit code's bytes and its rowid, ordered as SQLite's binary collation orders the codes.
    struct SearchHit: Comparable {
        let code: [UInt8]
        let rowid: Int64
        static func < (l: Self, r: Self) -> Bool {
            l.code == r.code ? l.rowid < r.rowid : l.code.lexicographicallyPrecedes(r.code)
        }
    }

    /// The first `keep` rows offered, by credit code: a max-heap of the kept rows, which a row joins only when it
    /// sorts before the largest kept one (rows come in table order, so after the first few thousand almost none do).
    /// O(log keep) per row joining, so deep pages of a search stay cheap.
    struct FirstByCode {
        let keep: Int
        private var heap: [SearchHit] = []

        init(keep: Int) { self.keep = keep }

        /// The kept rows, in order.
        var hits: [SearchHit] { heap.sorted() }

        mutating func offer(_ code: UnsafeBufferPointer<UInt8>, rowid: Int64) {
            guard keep > 0 else { return }
            if heap.count == keep {
                // Equal codes keep the lower rowid; table order offers it first.
                guard let top = heap.first, code.lexicographicallyPrecedes(top.code) else { return }
                heap[0] = SearchHit(code: Array(code), rowid: rowid)
                siftDown(0)
            } else {
                heap.append(SearchHit(code: Array(code), rowid: rowid))
                siftUp(heap.count - 1)
            }
        }

        private mutating func siftUp(_ start: Int) {
            var i = start
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[parent] < heap[i] else { return }
                heap.swapAt(parent, i)
                i = parent
            }
        }

        private mutating func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var largest = i
                if left < heap.count, heap[largest] < heap[left] { largest = left }
                if right < heap.count, heap[largest] < heap[right] { largest = right }
                if largest == i { return }
                heap.swapAt(i, largest)
                i = largest
            }
        }
    }

    private static func installContains(_ lite: OpaquePointer) throws {
        guard sqlite_nio_sqlite3_create_function_v2(
            lite, "yingshang_contains", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, containsFunction, nil, nil, nil
        ) == SQLITE_OK else { throw SQLiteRegisterWriter.Failure(description: "查询名录失败：无法注册函数") }
    }

    /// `yingshang_contains(text, needle)`: 1 when needle's bytes occur in text's, 0 otherwise or when either is NULL.
    private static let containsFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, count, values in
        guard count == 2, let values, let text = values[0], let needle = values[1],
              sqlite_nio_sqlite3_value_type(text) != SQLITE_NULL, sqlite_nio_sqlite3_value_type(needle) != SQLITE_NULL else {
            sqlite_nio_sqlite3_result_int(context, 0)
            return
        }
        // Text first, then its length: SQLite's documented order for a value's bytes.
        let haystack = sqlite_nio_sqlite3_value_text(text)
        let haystackLength = Int(sqlite_nio_sqlite3_value_bytes(text))
        let pattern = sqlite_nio_sqlite3_value_text(needle)
        let patternLength = Int(sqlite_nio_sqlite3_value_bytes(needle))
        guard patternLength > 0 else { sqlite_nio_sqlite3_result_int(context, 1); return }
        guard let haystack, let pattern else { sqlite_nio_sqlite3_result_int(context, 0); return }
        sqlite_nio_sqlite3_result_int(context, SQLiteDirect.occurs(pattern, patternLength, in: haystack, haystackLength) ? 1 : 0)
    }

    /// Whether the pattern's bytes occur in the text's: memchr to each place its last byte occurs (in CJK text the
    /// last byte of a character varies far more than its lead byte), then a compare of the rest.
    static func occurs(_ pattern: UnsafePointer<UInt8>, _ patternLength: Int, in text: UnsafePointer<UInt8>, _ textLength: Int) -> Bool {
        guard patternLength > 0 else { return true }
        guard patternLength <= textLength else { return false }
        let last = Int32(pattern[patternLength - 1])
        var from = patternLength - 1
        while from < textLength {
            guard let hit = memchr(text + from, last, textLength - from) else { return false }
            let end = text.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(text + end - (patternLength - 1), pattern, patternLength - 1) == 0 { return true }
            from = end + 1
        }
        return false
    }

    /// The first and last rowid of the register table; nil when it is empty. Two subqueries: SQLite answers a lone
    /// `min(rowid)` or `max(rowid)` from the end of the b-tree, but both in one SELECT scan the whole table (0.12 s
    /// at a million rows, a third of a draw).
    private static func rowidBounds(_ path: String, what: String) throws -> (Int64, Int64)? {
        try onReadOnlyConnection(path) { lite -> (Int64, Int64)? in
            var range: (Int64, Int64)?
            let sql = "SELECT (SELECT min(rowid) FROM enterprises), (SELECT max(rowid) FROM enterprises)"
            try eachRow(handle: lite, sql: sql, binds: [], what: what) { stmt in
                guard sqlite_nio_sqlite3_column_type(stmt, 0) != SQLITE_NULL else { return }
                range = (sqlite_nio_sqlite3_column_int64(stmt, 0), sqlite_nio_sqlite3_column_int64(stmt, 1))
            }
            return range
        }
    }

    /// The file of the connection's main database; nil in memory.
    static func filePath(handle db: OpaquePointer) -> String? {
        guard let name = sqlite_nio_sqlite3_db_filename(db, "main"), name.pointee != 0 else { return nil }
        return String(cString: name)
    }

    /// `mapped`: pages read through a memory map (the draw's scan). Not for the server's searches: mapped pages count
    /// in the process's resident size, and the server's peak RSS went from 91 MB to over 200 MB.
    private static func onReadOnlyConnection<T>(_ path: String, mapped: Bool = true, _ body: (OpaquePointer) throws -> T) throws -> T {
        var lite: OpaquePointer?
        defer { if let lite { sqlite_nio_sqlite3_close(lite) } }
        guard sqlite_nio_sqlite3_open_v2(path, &lite, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let lite else {
            throw SQLiteRegisterWriter.Failure(description: "读取企业名录失败：无法打开数据库文件")
        }
        sqlite_nio_sqlite3_busy_timeout(lite, 5000)
        // Pages read through a memory map rather than copied by pread (a tenth of the scan); reading only.
        if mapped { sqlite_nio_sqlite3_exec(lite, "PRAGMA mmap_size = 1073741824", nil, nil, nil) }
        return try body(lite)
    }
}

/// A frame being read: the strata met so far, each with its credit codes. Strata are few (dozens to a few thousand):
/// a row's stratum is found by a hash of its key bytes. Credit codes (18 ASCII characters) are kept packed in two
/// words, which sort in the same order as the text and far faster than strings; the draw then finds its members
/// already in order.
struct FrameParts: Sendable {
    private var index: [UInt64: [Int]] = [:]
    private var keys: [[UInt8]] = []
    private var packed: [[EnterpriseRegister.PackedCode]] = []
    private var others: [[String]] = []
    private let width: Int32
    private let fills: [[UInt8]]
    private var key: [UInt8] = []

    /// `missing`: what each stratum column counts as when empty; the query's last column is the credit code.
    init(missing: [String]) {
        width = Int32(missing.count)
        fills = missing.map { Array($0.utf8) }
    }

    mutating func add(_ stmt: OpaquePointer) {
        guard let c = sqlite_nio_sqlite3_column_text(stmt, width) else { return }
        let code = UnsafeBufferPointer(start: c, count: Int(sqlite_nio_sqlite3_column_bytes(stmt, width)))
        key.removeAll(keepingCapacity: true)
        for i in 0..<width {
            if i > 0 { key.append(UInt8(ascii: "|")) }
            if let v = sqlite_nio_sqlite3_column_text(stmt, i) {
                key.append(contentsOf: UnsafeBufferPointer(start: v, count: Int(sqlite_nio_sqlite3_column_bytes(stmt, i))))
            } else {
                key.append(contentsOf: fills[Int(i)])
            }
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let slot: Int
        if let found = index[hash]?.first(where: { keys[$0] == key }) {
            slot = found
        } else {
            slot = keys.count
            keys.append(key)
            packed.append([])
            others.append([])
            index[hash, default: []].append(slot)
        }
        if let p = EnterpriseRegister.PackedCode(code) { packed[slot].append(p) } else { others[slot].append(String(decoding: code, as: UTF8.self)) }
    }

    /// The strata of all the parts, each with its codes in order.
    static func sorted(_ parts: [FrameParts]) -> [String: EnterpriseRegister.SortedCodes] {
        var merged: [String: (packed: [EnterpriseRegister.PackedCode], others: [String])] = [:]
        for part in parts {
            for (slot, key) in part.keys.enumerated() {
                merged[String(decoding: key, as: UTF8.self), default: ([], [])].packed += part.packed[slot]
                merged[String(decoding: key, as: UTF8.self), default: ([], [])].others += part.others[slot]
            }
        }
        return merged.mapValues { EnterpriseRegister.SortedCodes(packed: $0.packed, others: $0.others) }
    }
}
