import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import YingshangCore
@testable import YingshangApp

@Suite("Audit log: append-only hash chain")
struct AuditChainTests {
    /// Drops the append-only triggers, as someone with direct database access would before tampering.
    static func dropTriggers(_ app: Application, _ db: TestDatabase) async throws {
        let sql = try app.db.sql()
        if db == .sqlite {
            try await sql.raw("DROP TRIGGER audit_entries_no_update").run()
            try await sql.raw("DROP TRIGGER audit_entries_no_delete").run()
        } else {
            try await sql.raw("DROP TRIGGER audit_entries_no_change ON audit_entries").run()
        }
    }

    @Test("every change is chained; the database refuses UPDATE and DELETE; verify names the first altered, deleted or inserted entry", arguments: TestDatabase.available)
    func chain(db: TestDatabase) async throws {
        try await withApp(db) { app in
            // Some audited changes made through the app, a few of them in parallel.
            let token = try await app.apiToken("admin")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        _ = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer", "password": "wrong\(i)x"])
                    }
                }
                try await group.waitForAll()
            }
            _ = token
            let intact = try await AuditLog.verify(on: app.db)
            #expect(intact.finding == nil, "\(String(describing: intact.finding))")
            #expect(intact.count > 10)
            let entries = try await AuditEntry.query(on: app.db).all().sorted { ($0.seq ?? 0) < ($1.seq ?? 0) }
            #expect(entries.map { $0.seq ?? 0 } == Array(1...entries.count))
            let sql = try app.db.sql()
            let victim = try #require(entries.dropFirst(4).first?.id)

            // The application's own database account cannot change or remove an entry.
            await #expect(throws: (any Error).self) {
                try await sql.raw("UPDATE audit_entries SET after_json = '{}' WHERE id = \(bind: victim)").run()
            }
            await #expect(throws: (any Error).self) { try await sql.raw("DELETE FROM audit_entries WHERE id = \(bind: victim)").run() }

            // Someone who gets around the triggers is still caught, at the entry they touched.
            try await Self.dropTriggers(app, db)
            try await sql.raw("UPDATE audit_entries SET actor_username = 'nobody' WHERE seq = 5").run()
            #expect(try await AuditLog.verify(on: app.db).finding == .altered(seq: 5))
            // Re-hashing the altered entry moves the break to the next link.
            let five = try #require(try await AuditEntry.query(on: app.db).filter(\.$seq == 5).first())
            let rehashed = AuditLog.chainHash(prev: five.prevHash ?? "", entry: five)
            try await sql.raw("UPDATE audit_entries SET hash = \(bind: rehashed) WHERE seq = 5").run()
            #expect(try await AuditLog.verify(on: app.db).finding == .brokenLink(seq: 6))
            #expect(AuditChain.Finding.brokenLink(seq: 6).description.contains("第 6 条"))
            // A deleted entry is named by its number.
            try await sql.raw("DELETE FROM audit_entries WHERE seq = 3").run()
            #expect(try await AuditLog.verify(on: app.db).finding == .deleted(from: 3, through: 3))
        }
    }

    @Test("entries removed from the end are caught by the chain head")
    func truncation() async throws {
        try await withApp(.sqlite) { app in
            let last = try await AuditEntry.query(on: app.db).count()
            try await Self.dropTriggers(app, .sqlite)
            try await app.db.sql().raw("DELETE FROM audit_entries WHERE seq = \(bind: last)").run()
            #expect(try await AuditLog.verify(on: app.db).finding == .truncated(expectedLast: last, found: last - 1))
        }
    }
}
