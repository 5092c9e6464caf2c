import FluentSQLiteDriver
import Foundation
import Testing
@testable import YingshangApp

/// The register's bulk paths read SQLiteNIO's internal sqlite3 handle by reflection (`SQLiteDirect`). If an update of
/// the dependency moves it, this test fails by name instead of the import failing for users.
@Suite("Pinned dependency internals")
struct DependencyPinTests {
    @Test("SQLiteNIO still keeps the sqlite3 handle where SQLiteDirect reads it, and the handle answers a query")
    func sqliteHandle() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let lite = try #require(app.db as? any SQLiteDatabase)
            let answer: Int64? = try await lite.withConnection { conn in
                conn.eventLoop.makeSucceededFuture(SQLiteDirect.handle(of: conn).flatMap(SQLiteDirect.selfCheck(handle:)))
            }.get()
            #expect(answer == 42, "SQLiteNIO's connection no longer exposes `handle.raw`: update SQLiteDirect.handle(of:)")
        }
    }
}
