import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 19 item 4: departments' systems push case records with a key instead of exporting Excel.
@Suite("Data feeds")
struct FeedTests {
    static let uscc = "91350100M000100Y43"

    static func record(_ id: String, applied: String = "2022-10-10", completed: String = "2022-10-12", fee: Int = 0) -> String {
        "{\"caseID\":\"\(id)\",\"uscc\":\"\(uscc)\",\"appliedOn\":\"\(applied)\",\"completedOn\":\"\(completed)\",\"feeFen\":\(fee),\"counts\":{\"steps\":3}}"
    }

    static func batch(_ records: [String]) -> String { "{\"records\":[" + records.joined(separator: ",") + "]}" }

    @Test("a key for one indicator and region; batches all-or-nothing; a retry gets the same receipt; a changed batch under the same key is refused; revoked keys and other roles refused", arguments: TestDatabase.available)
    func feed(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let region = try #require(try await CampaignService.details(c, on: app.db).regionIDs.first)
            for role in ["leader", "unithead", "assessor", "filer"] {
                let s = try await app.webSession(role)
                #expect(try await app.send(.GET, "/campaigns/\(cid)/feeds", headers: s.headers).status == .forbidden, "\(role)")
            }
            let s = try await app.webSession("coordinator")
            // An indicator without a record template is refused beside its field; what was typed stays.
            let bad = try await app.send(.POST, "/campaigns/\(cid)/feeds", headers: s.headers, form: [
                "_csrf": s.csrf, "name": "县税务系统", "regionID": region.uuidString, "indicatorCode": "paying_taxes"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("该指标暂无业务数据模板") && bad.text.contains("value=\"县税务系统\""))
            #expect(try await DataFeedKey.query(on: app.db).count() == 0)
            let issued = try await app.send(.POST, "/campaigns/\(cid)/feeds", headers: s.headers, form: [
                "_csrf": s.csrf, "name": "一网通办系统", "regionID": region.uuidString, "indicatorCode": "starting_business"])
            #expect(issued.status == .created)
            let secret = try #require(issued.text.range(of: "<code class=\"secret\">").map { r in
                String(issued.text[r.upperBound...].prefix { $0 != "<" })
            })
            #expect(secret.hasPrefix("yk_") && secret.count > 40)
            #expect(try await DataFeedKey.query(on: app.db).first()?.keyHash != secret, "only the hash is stored")
            // Shown once: the list shows the first characters only.
            let list = try await app.send(.GET, "/campaigns/\(cid)/feeds", headers: s.headers).text
            #expect(!list.contains(secret) && list.contains(String(secret.prefix(10))))

            func push(_ body: String, key: String? = "b1", bearer: String? = nil) async throws -> TestingHTTPResponse {
                var h: HTTPHeaders = ["Authorization": "Bearer \(bearer ?? secret)"]
                if let key { h.add(name: "Idempotency-Key", value: key) }
                return try await app.send(.POST, "/api/v1/feeds/records", headers: h, raw: body)
            }
            func stored() async throws -> [BusinessRecord] {
                try await BusinessRecord.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == region)
                    .filter(\.$indicatorCode == "starting_business").filter(\.$caseID =~ "FEED-").all()
            }
            let first = Self.batch([Self.record("FEED-1", fee: 12_345), Self.record("FEED-2"), Self.record("FEED-3")])
            let r1 = try await push(first)
            #expect(r1.status == .created, "\(r1.text)")
            let receipt = try r1.decode(FeedService.Receipt.self)
            #expect(receipt.accepted == 3 && receipt.inserted == 3 && receipt.updated == 0)
            #expect(try await stored().count == 3)
            #expect(try await stored().first { $0.caseID == "FEED-1" }?.feeFen == 12_345)
            // The same batch again (a retry after a timeout): the first receipt, nothing written twice.
            let again = try await push(first)
            #expect(again.status == .ok && again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try again.decode(FeedService.Receipt.self) == receipt)
            #expect(try await stored().count == 3)
            // Another batch under the same key is refused.
            let reused = try await push(Self.batch([Self.record("FEED-9")]))
            #expect(reused.status == .unprocessableEntity && reused.apiError?.code == "idempotency_key_reused")
            // A later batch replaces a case sent before and adds a new one.
            let r2 = try await push(Self.batch([Self.record("FEED-2", completed: "2022-10-20"), Self.record("FEED-4")]), key: "b2")
            #expect(try r2.decode(FeedService.Receipt.self).inserted == 1)
            #expect(try r2.decode(FeedService.Receipt.self).updated == 1)
            #expect(try await stored().count == 4)
            #expect(try await stored().first { $0.caseID == "FEED-2" }?.completedOn == "2022-10-20")
            // One bad record refuses the whole batch, named by its index.
            let r3 = try await push(Self.batch([Self.record("FEED-5"), Self.record("FEED-6", applied: "2022-10-12", completed: "2022-10-01")]), key: "b3")
            #expect(r3.status == .unprocessableEntity)
            #expect(r3.apiError?.fields?["records[1]"]?.contains("早于申请日期") == true)
            #expect(try await stored().count == 4)
            #expect(try await DataFeedBatch.query(on: app.db).count() == 2)
            // Malformed requests.
            #expect(try await push(first, key: nil).status == .unprocessableEntity)
            #expect(try await push(first, key: "批次 1").status == .unprocessableEntity)
            #expect(try await push("{\"records\": 5}", key: "b4").apiError?.fields?["records"]?.contains("records") == true)
            #expect(try await push(first, key: "b5", bearer: "yk_unknown").status == .unauthorized)
            let userToken = try await app.apiToken("coordinator")
            #expect(try await push(first, key: "b6", bearer: userToken).status == .unauthorized)
            // The audit trail names the machine account.
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "feed").all()
            #expect(audit.count == 2 && audit.allSatisfy { $0.actorUsername == "feed:一网通办系统" })

            // Revoked: every later push refused; revoking through another campaign's URL finds nothing.
            let key = try #require(try await DataFeedKey.query(on: app.db).first())
            let other = try await app.send(.POST, "/api/v1/campaigns/\(cid)/carry-over", headers: .bearer(userToken), json: [String: AnyJSON]())
                .decode(CampaignDTO.self)
            let wrong = try await app.send(.POST, "/campaigns/\(other.id)/feeds/\(try key.requireID())/revoke", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(wrong.status == .notFound)
            let revoke = try await app.send(.POST, "/campaigns/\(cid)/feeds/\(try key.requireID())/revoke", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(revoke.status == .seeOther)
            let refused = try await push(Self.batch([Self.record("FEED-7")]), key: "b7")
            #expect(refused.status == .unauthorized && refused.apiError?.message.contains("已停用") == true)
            #expect(try await stored().count == 4)
        }
    }
}
