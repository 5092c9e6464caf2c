import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import YingshangApp

@Suite("Audit log")
struct AuditTests {
    @Test("create, update and delete of a unit each write who, what, before/after and the IP", arguments: TestDatabase.available)
    func unitChangesAreAudited(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("admin")
            var headers = HTTPHeaders.bearer(token)
            headers.add(name: "X-Forwarded-For", value: "10.1.2.3, 192.168.0.1")
            let created = try await app.send(
                .POST, "/api/v1/units", headers: headers, json: ["code": "TJJ", "name": "青山县统计局", "type": "government_department"])
            #expect(created.status == .created)
            let unit = try created.decode(UnitDTO.self)
            let updated = try await app.send(
                .PUT, "/api/v1/units/\(unit.id)", headers: headers,
                json: ["code": "TJJ", "name": "青山县统计局（更名）", "type": "government_department"])
            #expect(updated.status == .ok)
            #expect(try await app.send(.DELETE, "/api/v1/units/\(unit.id)", headers: headers).status == .noContent)

            let list = try await app.send(.GET, "/api/v1/audit?entityType=unit&actor=admin", headers: .bearer(try await app.apiToken("auditor")))
            // The administrator who acted cannot read the trail of acting (三员分立).
            #expect(try await app.send(.GET, "/api/v1/audit?entityType=unit", headers: .bearer(token)).status == .forbidden)
            #expect(list.status == .ok)
            let entries = try list.decode(Listing<AuditEntryDTO>.self).items.filter { $0.entityID == unit.id.uuidString }
            #expect(entries.map(\.action) == ["delete", "update", "create"])
            let create = try #require(entries.last)
            #expect(create.before == nil)
            #expect(create.after?.contains("青山县统计局") == true)
            #expect(create.ip == "10.1.2.3")
            #expect(create.actorUsername == "admin")
            let update = entries[1]
            #expect(update.before?.contains("\"name\":\"青山县统计局\"") == true)
            #expect(update.after?.contains("更名") == true)
            #expect(entries[0].after == nil)
        }
    }

    @Test("the log lists newest first in the order entries were appended, also when they share a time", arguments: TestDatabase.available)
    func newestFirstInChainOrder(db: TestDatabase) async throws {
        try await withApp(db) { app in
            // Three entries stamped with one instant, and one stamped earlier but appended last (another instance's
            // clock behind): the list follows the chain, not the clock.
            let instant = Date(timeIntervalSince1970: 1_900_000_000)
            for (name, at) in [("first", instant), ("second", instant), ("third", instant), ("fourth", instant.addingTimeInterval(-60))] {
                try await AuditLog.record(
                    on: app.db, machine: "order-test", at: at, ip: nil, action: name, entityType: "order_test", entityID: nil,
                    before: String?.none, after: ["step": name])
            }
            let list = try await app.send(.GET, "/api/v1/audit?entityType=order_test", headers: .bearer(try await app.apiToken("auditor")))
            #expect(list.status == .ok)
            #expect(try list.decode(Listing<AuditEntryDTO>.self).items.map(\.action) == ["fourth", "third", "second", "first"])
            // Paged: the second page of two continues where the first stopped.
            let second = try await app.send(.GET, "/api/v1/audit?entityType=order_test&per=2&page=2", headers: .bearer(try await app.apiToken("auditor")))
            #expect(try second.decode(Listing<AuditEntryDTO>.self).items.map(\.action) == ["second", "first"])
            // The auditor's page and CSV read the same list: the page shows the steps in that order, and the CSV's
            // sequence column runs downwards.
            let s = try await app.webSession("auditor")
            let page = try await app.send(.GET, "/audit?entityType=order_test", headers: s.headers).text
            let positions = ["fourth", "third", "second", "first"].compactMap { page.range(of: "&quot;step&quot;:&quot;\($0)&quot;")?.lowerBound ?? page.range(of: "\"step\":\"\($0)\"")?.lowerBound }
            #expect(positions.count == 4 && positions == positions.sorted(), "\(positions)")
            let csv = try await app.send(.GET, "/audit.csv?entityType=order_test", headers: s.headers).text
            // CRLF lines ("\r\n" is one Character in Swift); the first cell of each row after the header is 序号.
            let seqs = csv.split(whereSeparator: \.isNewline).dropFirst().compactMap { $0.split(separator: ",").first.flatMap { Int($0) } }
            #expect(seqs.count == 4 && seqs == seqs.sorted(by: >), "\(seqs)")
        }
    }

    @Test("user changes are audited without the password hash", arguments: TestDatabase.available)
    func userAuditHasNoHash(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("admin")
            let unit = try await app.unitID("SWJ")
            let res = try await app.send(
                .POST, "/api/v1/users", headers: .bearer(token),
                json: ["username": "tax2", "displayName": "税务二号", "role": "filer", "unitID": unit.uuidString, "password": "taxes2026"])
            #expect(res.status == .created)
            let entry = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$entityType == "user").filter(\.$action == "create")
                    .filter(\.$actorUsername == "admin").first())
            #expect(entry.afterJSON?.contains("tax2") == true)
            #expect(entry.afterJSON?.contains("$2") == false)
            #expect(entry.afterJSON?.lowercased().contains("password") == false)
        }
    }

    @Test("the audit administrator's page lists entries with Shanghai times and filters", arguments: TestDatabase.available)
    func auditPage(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("auditor")
            let page = try await app.send(.GET, "/audit?entityType=region", headers: s.headers)
            #expect(page.status == .ok)
            #expect(page.text.contains("城关街道"))
            #expect(!page.text.contains("青山县市场监督管理局"))
        }
    }
}
