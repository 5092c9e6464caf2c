import Foundation
import Testing
import VaporCSQLite
import YingshangCore
@testable import YingshangApp

@Suite("Sampling frame on a SQLite file")
struct SamplingFrameTests {
    @Test("read in two halves on connections of its own, the frame equals the one read in a single pass on the caller's connection")
    func halvesEqualOnePass() async throws {
        let file = try SQLiteFile("frame")
        defer { file.remove() }
        let (path, handle, exec) = (file.path, file.handle, file.exec)
        try exec("CREATE TABLE enterprises (snapshot_id INTEGER, township_code TEXT, industry TEXT, size TEXT, status TEXT, uscc TEXT)")
        var rng = SystemRandomNumberGenerator()
        var rows: [String] = []
        for i in 0..<4_999 {
            // Snapshots 1 and 2 interleaved; some strata missing; some codes that cannot be packed (text order then).
            let township = i % 7 == 0 ? "NULL" : "'T\(Int.random(in: 1...5, using: &rng))'"
            let size = i % 11 == 0 ? "NULL" : "'\(["大型", "中型", "小型", "微型"].randomElement(using: &rng) ?? "")'"
            let code = i % 500 == 3 ? "x\(i)" : String(format: "91330100%09dX", i)
            rows.append("(\(i % 3 == 0 ? 2 : 1), \(township), 'C\(i % 4)', \(size), '\(i % 13 == 0 ? "注销" : "在业")', '\(code)')")
        }
        try exec("BEGIN; INSERT INTO enterprises VALUES " + rows.joined(separator: ",") + "; COMMIT")
        let sql = "SELECT township_code, industry, size, uscc FROM enterprises NOT INDEXED WHERE snapshot_id = ? AND status IN (?)"
        let missing = ["未填乡镇", "未填行业", "未填规模"]
        let one = try SQLiteDirect.frame(handle: handle, sql: sql, binds: ["1", "在业"], missing: missing)
        #expect(SQLiteDirect.filePath(handle: handle).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
            == URL(fileURLWithPath: path).resolvingSymlinksInPath().path)
        let halves = try await SQLiteDirect.frameInHalves(path: path, sql: sql, binds: ["1", "在业"], missing: missing)
        #expect(halves == one)
        // Independent count: the rows the query selects, from SQLite itself.
        var stmt: OpaquePointer?
        try #require(sqlite_nio_sqlite3_prepare_v2(handle, "SELECT count(*) FROM enterprises WHERE snapshot_id = 1 AND status = '在业'", -1, &stmt, nil) == SQLITE_OK)
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        #expect(sqlite_nio_sqlite3_step(stmt) == SQLITE_ROW)
        #expect(halves.values.reduce(0) { $0 + $1.count } == Int(sqlite_nio_sqlite3_column_int64(stmt, 0)))
        #expect(halves.keys.contains("未填乡镇|C0|未填规模") || halves.keys.contains { $0.hasPrefix("未填乡镇|") })
        // An empty table: no strata.
        try exec("DELETE FROM enterprises")
        #expect(try await SQLiteDirect.frameInHalves(path: path, sql: sql, binds: ["1", "在业"], missing: missing).isEmpty)
    }
}
