import Foundation
import Testing
import VaporCSQLite
@testable import YingshangApp

@Suite("Register search on a SQLite file")
struct RegisterSearchTests {
    @Test("the byte search answers as a naive scan does, on random bytes and on CJK text")
    func occursAgreesWithNaiveScan() {
        func naive(_ p: [UInt8], _ t: [UInt8]) -> Bool {
            if p.isEmpty { return true }
            guard p.count <= t.count else { return false }
            return (0...(t.count - p.count)).contains { Array(t[$0..<($0 + p.count)]) == p }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            // A small alphabet so that partial matches and repeated last bytes are common.
            let t = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...3, using: &rng) }
            let p = (0..<Int.random(in: 0...5, using: &rng)).map { _ in UInt8.random(in: 0...3, using: &rng) }
            let got = p.withUnsafeBufferPointer { pb in
                t.withUnsafeBufferPointer { tb in
                    SQLiteDirect.occurs(pb.baseAddress ?? UnsafePointer(bitPattern: 1)!, p.count, in: tb.baseAddress ?? UnsafePointer(bitPattern: 1)!, t.count)
                }
            }
            #expect(got == naive(p, t), "\(p) in \(t)")
        }
        for (p, t, expected) in [("永盛", "青山县永盛农资有限公司", true), ("盛永", "青山县永盛农资有限公司", false), ("司", "公司", true), ("公司有", "公司", false)] {
            #expect(naive(Array(p.utf8), Array(t.utf8)) == expected)
            let got = Array(p.utf8).withUnsafeBufferPointer { pb in
                Array(t.utf8).withUnsafeBufferPointer { tb in SQLiteDirect.occurs(pb.baseAddress!, pb.count, in: tb.baseAddress!, tb.count) }
            }
            #expect(got == expected, "\(p) in \(t)")
        }
    }

    @Test("at most two searches scan in halves at once; a third takes the single query until one ends")
    func halfScansAreBounded() {
        let slots = SQLiteRegisterStore.Slots(2)
        #expect(slots.take() && slots.take())
        #expect(!slots.take())
        slots.release()
        #expect(slots.take())
        #expect(!slots.take())
        #expect(SQLiteRegisterStore.halfScans.limit == 2)
    }

    @Test("the first rows by credit code kept as a heap equal the sorted prefix, ties by rowid, for every size kept")
    func firstByCode() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            // Few distinct codes, so equal codes (told apart by rowid) are common.
            let offered = (0..<Int.random(in: 0...600, using: &rng)).map { i in
                (code: Array(String(format: "%03d", Int.random(in: 0..<150, using: &rng)).utf8), rowid: Int64(i))
            }
            for keep in [0, 1, 7, 100, 599, 1_000] {
                var first = SQLiteDirect.FirstByCode(keep: keep)
                for o in offered { o.code.withUnsafeBufferPointer { first.offer($0, rowid: o.rowid) } }
                let expected = offered.map { SQLiteDirect.SearchHit(code: $0.code, rowid: $0.rowid) }
                    .sorted { $0.code == $1.code ? $0.rowid < $1.rowid : $0.code.lexicographicallyPrecedes($1.code) }.prefix(keep)
                #expect(first.hits.map(\.rowid) == expected.map(\.rowid), "keep \(keep)")
            }
        }
    }

    @Test("read in two halves, the count and every page equal SQLite's own instr query in one pass")
    func halvesEqualInstr() async throws {
        let file = try SQLiteFile("search")
        defer { file.remove() }
        let (path, handle, exec) = (file.path, file.handle, file.exec)
        try exec("CREATE TABLE enterprises (snapshot_id INTEGER, uscc TEXT, name TEXT, township_code TEXT, industry TEXT, size TEXT, status TEXT, founded TEXT)")
        let words = ["青山", "永盛", "农资", "科技", "有限", "公司", "商贸", "%", "_", "X"]
        var rng = SystemRandomNumberGenerator()
        var rows: [String] = []
        for i in 0..<3_001 {
            let name = (0..<Int.random(in: 1...4, using: &rng)).map { _ in words.randomElement(using: &rng) ?? "" }.joined()
            let code = String(format: "91330100%09d", (i * 7_919) % 100_003) + (i % 5 == 0 ? "X" : "A")
            let township = i % 9 == 0 ? "NULL" : "'T\(i % 4)'"
            rows.append("(\(i % 3 == 0 ? 2 : 1), '\(code)', '\(name)', \(township), 'C\(i % 2)', '小型', '在业', NULL)")
        }
        try exec("BEGIN; INSERT INTO enterprises VALUES " + rows.joined(separator: ",") + "; COMMIT")

        func onePass(_ condition: String, _ binds: [String], offset: Int, limit: Int) throws -> (Int, [String]) {
            var stmt: OpaquePointer?
            let sql = "SELECT uscc, count(*) OVER () FROM enterprises WHERE \(condition) ORDER BY uscc LIMIT \(limit) OFFSET \(offset)"
            try #require(sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK)
            defer { sqlite_nio_sqlite3_finalize(stmt) }
            for (i, b) in binds.enumerated() { sqlite_nio_sqlite3_bind_text(stmt, Int32(i + 1), b, -1, SQLiteRegisterWriter.transient) }
            var total = 0
            var codes: [String] = []
            while sqlite_nio_sqlite3_step(stmt) == SQLITE_ROW {
                codes.append(String(cString: sqlite_nio_sqlite3_column_text(stmt, 0)))
                total = Int(sqlite_nio_sqlite3_column_int64(stmt, 1))
            }
            if codes.isEmpty {
                // Past the last page: SQLite's count on its own.
                var count: OpaquePointer?
                try #require(sqlite_nio_sqlite3_prepare_v2(handle, "SELECT count(*) FROM enterprises WHERE \(condition)", -1, &count, nil) == SQLITE_OK)
                defer { sqlite_nio_sqlite3_finalize(count) }
                for (i, b) in binds.enumerated() { sqlite_nio_sqlite3_bind_text(count, Int32(i + 1), b, -1, SQLiteRegisterWriter.transient) }
                _ = sqlite_nio_sqlite3_step(count)
                total = Int(sqlite_nio_sqlite3_column_int64(count, 0))
            }
            return (total, codes)
        }
        let columns = "uscc, name, township_code, industry, size, status, founded"
        for needle in ["永盛", "盛农", "%", "_", "公司科技", "不存在", "X", "司"] {
            for township in [nil, "T1"] {
                for (offset, limit) in [(0, 50), (50, 50), (400, 50), (990, 10), (2_100, 50), (2_990, 50), (5_000, 50)] {
                    var condition = "+snapshot_id = 1 AND instr(name, ?) > 0"
                    var ours = "+snapshot_id = 1 AND yingshang_contains(name, ?)"
                    var binds = [needle]
                    if let township {
                        condition += " AND township_code = ?"
                        ours += " AND township_code = ?"
                        binds.append(township)
                    }
                    let expected = try onePass(condition, binds, offset: offset, limit: limit)
                    let (total, found) = try await SQLiteDirect.searchInHalves(
                        path: path, columns: columns, condition: ours, binds: binds, offset: offset, limit: limit)
                    let page = found.map { $0[0] ?? "" }
                    #expect(page == expected.1, "\(needle) \(township ?? "-") \(offset)")
                    // The count is the whole match's, whichever page; past the last page it still counts.
                    #expect(total == expected.0 || (page.isEmpty && total == 0 && expected.0 == 0), "\(needle) \(township ?? "-") \(offset)")
                    if !page.isEmpty { #expect(total == expected.0) }
                }
            }
        }
        // An empty table: nothing, counted as nothing.
        try exec("DELETE FROM enterprises")
        let empty = try await SQLiteDirect.searchInHalves(path: path, columns: columns, condition: "yingshang_contains(name, ?)", binds: ["公司"], offset: 0, limit: 50)
        #expect(empty.total == 0 && empty.rows.isEmpty)
    }
}
