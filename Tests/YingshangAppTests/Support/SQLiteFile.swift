import Foundation
import Testing
import VaporCSQLite

/// A SQLite database in a temporary file of its own, in WAL mode as the app runs it, for the paths that open the
/// file on connections of their own (the sampling frame, the register search). Closed and removed by `remove()`.
final class SQLiteFile {
    let path: String
    let handle: OpaquePointer

    init(_ prefix: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString).sqlite").path
        var db: OpaquePointer?
        try #require(sqlite_nio_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        handle = try #require(db)
        try exec("PRAGMA journal_mode=WAL")
    }

    func exec(_ sql: String) throws {
        try #require(sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK, "\(sql)")
    }

    func remove() {
        sqlite_nio_sqlite3_close(handle)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
