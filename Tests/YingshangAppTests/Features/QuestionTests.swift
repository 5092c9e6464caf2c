import Fluent
import SQLKit
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

@Suite("Questions and notifications")
struct QuestionTests {
    @Test("a question from a township's unit counts on its county's dispatch board", arguments: TestDatabase.available)
    func townshipUnitOnTheBoard(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let county = try #require(try await Region.query(on: app.db).filter(\.$code == DemoCounty.countyCode).first())
            let township = try #require(try await Region.query(on: app.db).filter(\.$parent.$id == county.id).filter(\.$level == RegionLevel.township.rawValue).first())
            let filer = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            let unit = try #require(try await Unit.find(filer.$unit.id, on: app.db))
            unit.$region.id = township.id
            try await unit.update(on: app.db)
            let token = try await app.apiToken("filer")
            let asked = try await app.send(
                .POST, "/api/v1/questions", headers: .bearer(token),
                json: ["campaignID": cid, "indicatorCode": "starting_business", "title": "镇里的问题", "body": "乡镇办理的算不算？"])
            #expect(asked.status == .created)
            let coord = try await app.apiToken("coordinator")
            let board = try await app.send(.GET, "/api/v1/campaigns/\(cid)/dispatch?date=2022-10-14", headers: .bearer(coord)).decode(DispatchDTO.self)
            #expect(board.lines.first { $0.indicatorCode == "starting_business" }?.openQuestions == 1)
        }
    }

    /// The bell's count is read with the session on a GET (one statement for both): it must still be this account's,
    /// and current on the next page after any change, on the cached home page too.
    @Test("the bell counts this account's unread notifications on every page, current after each change", arguments: TestDatabase.available)
    func bellCount(db: TestDatabase) async throws {
        try await withApp(db) { app in
            func bell(_ page: String, _ s: WebSession) async throws -> Int {
                let html = try await app.send(.GET, page, headers: s.headers).text
                guard let at = html.range(of: "class=\"bell\">通知") else { Issue.record("no bell on \(page)"); return -1 }
                let rest = html[at.upperBound...].prefix(80)
                guard let open = rest.range(of: "<span class=\"count\">"), let close = rest[open.upperBound...].firstIndex(of: "<") else { return 0 }
                return Int(rest[open.upperBound..<close]) ?? -1
            }
            var filer = try await app.webSession("filer")
            let before = try await bell("/", filer)
            let filerID = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first()?.requireID())
            let otherID = try #require(try await User.query(on: app.db).filter(\.$username == "filer_tax").first()?.requireID())
            let now = Date()
            for i in 0..<3 { try await InAppNotification(userID: filerID, message: "通知 \(i)", link: "/", at: now).create(on: app.db) }
            try await InAppNotification(userID: otherID, message: "别人的通知", link: "/", at: now).create(on: app.db)
            #expect(try await bell("/", filer) == before + 3)
            #expect(try await bell("/filings", filer) == before + 3)
            let other = try await app.webSession("filer_tax")
            #expect(try await bell("/filings", other) >= 1)
            // Marking all read (a POST) shows on the next page at once.
            filer.absorb(try await app.send(.GET, "/notifications", headers: filer.headers))
            let read = try await app.send(.POST, "/notifications/read", headers: filer.headers, form: ["_csrf": filer.csrf])
            #expect(read.status == .seeOther)
            #expect(try await bell("/", filer) == 0)
            #expect(try await bell("/notifications", filer) == 0)
        }
    }

    /// Every signed-in page counts the account's unread notifications: the count must not read the whole table.
    @Test("the bell's unread count is answered from the notifications index on both databases", arguments: TestDatabase.available)
    func unreadCountIndexed(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let sql = try #require(app.db as? any SQLDatabase)
            if db == .postgres {
                let found = try await sql.raw("""
                    SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'notifications_user_unread'
                    """).first()
                let definition = try #require(try found?.decode(column: "indexdef", as: String.self))
                #expect(definition.contains("(user_id, read_at)"))
            } else {
                let plan = try await sql.raw("""
                    EXPLAIN QUERY PLAN SELECT COUNT(*) FROM notifications WHERE user_id = \(bind: UUID()) AND read_at IS NULL
                    """).all().map { try $0.decode(column: "detail", as: String.self) }
                #expect(plan.contains { $0.contains("INDEX notifications_user_unread") }, "\(plan)")
            }
        }
    }

    @Test("ask, answer, notify, publish to the FAQ; other units see it only once public", arguments: TestDatabase.available)
    func thread(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let filer = try await app.apiToken("filer")
            let bad = try await app.send(.POST, "/api/v1/questions", headers: .bearer(filer), json: ["campaignID": cid, "indicatorCode": "starting_business", "title": "", "body": ""])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.apiError?.fields?["title"] != nil)
            #expect(bad.apiError?.fields?["body"] != nil)
            let wrongItem = try await app.send(.POST, "/api/v1/questions", headers: .bearer(filer), json: ["campaignID": cid, "indicatorCode": "starting_business", "itemCode": "q99", "title": "t", "body": "b"])
            #expect(wrongItem.apiError?.fields?["itemCode"] != nil)

            let asked = try await app.send(
                .POST, "/api/v1/questions", headers: .bearer(filer),
                json: ["campaignID": cid, "indicatorCode": "starting_business", "itemCode": "q3", "title": "开办时间怎么算", "body": "是否包含银行开户？"])
            #expect(asked.status == .created)
            let q = try asked.decode(QuestionDTO.self)
            #expect(q.status == "open")

            let coord = try await app.apiToken("coordinator")
            let dispatch = try await app.send(.GET, "/api/v1/campaigns/\(cid)/dispatch?date=2022-10-14", headers: .bearer(coord)).decode(DispatchDTO.self)
            #expect(dispatch.lines.first { $0.indicatorCode == "starting_business" }?.openQuestions == 1)

            let other = try await app.apiToken("filer_tax")
            #expect(try await app.send(.GET, "/api/v1/questions/\(q.id)", headers: .bearer(other)).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/questions", headers: .bearer(other)).decode([QuestionDTO].self).isEmpty)
            let otherReply = try await app.send(.POST, "/api/v1/questions/\(q.id)/replies", headers: .bearer(other), json: ["body": "插话"])
            #expect(otherReply.status == .forbidden)

            let answered = try await app.send(.POST, "/api/v1/questions/\(q.id)/replies", headers: .bearer(coord), json: ["body": "不含银行开户，按工作日计算。"])
            #expect(answered.status == .ok)
            #expect(try answered.decode(QuestionDTO.self).status == "answered")
            let notices = try await app.send(.GET, "/api/v1/notifications", headers: .bearer(filer)).decode([QuestionsAPIController.NoticeDTO].self)
            #expect(notices.contains { $0.message.contains("开办时间怎么算") && !$0.read })
            let after = try await app.send(.GET, "/api/v1/campaigns/\(cid)/dispatch?date=2022-10-14", headers: .bearer(coord)).decode(DispatchDTO.self)
            #expect(after.lines.first { $0.indicatorCode == "starting_business" }?.openQuestions == 0)

            // Publishing as FAQ through the web form; then the other unit can read it.
            let s = try await app.webSession("coordinator")
            let pub = try await app.send(.POST, "/questions/\(q.id)/status", headers: s.headers, form: ["_csrf": s.csrf, "status": "answered", "isPublic": "on"])
            #expect(pub.status == .seeOther)
            #expect(try await app.send(.GET, "/api/v1/questions/\(q.id)", headers: .bearer(other)).status == .ok)

            // Unread markers: the filer's list marks it unread until opened.
            let fs = try await app.webSession("filer")
            #expect(try await app.send(.GET, "/questions", headers: fs.headers).text.contains("未读"))
            _ = try await app.send(.GET, "/questions/\(q.id)", headers: fs.headers)
            #expect(!(try await app.send(.GET, "/questions", headers: fs.headers).text.contains("未读")))
        }
    }

    @Test("a return notifies the lead unit with the reason; the digest lists late filings", arguments: TestDatabase.available)
    func returnNotifies(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await FilingTests.open(app)
            _ = try await app.send(.PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingTests.FilingBody(version: 1, answers: FilingTests.fullAnswers()))
            _ = try await FilingTests.upload(app, filing.id, token: filer, name: "a.pdf")
            #expect(try await FilingTests.act(app, filing.id, filer, "submit").status == .ok)
            let head = try await app.apiToken("unithead")
            let headNotices = try await app.send(.GET, "/api/v1/notifications", headers: .bearer(head)).decode([QuestionsAPIController.NoticeDTO].self)
            #expect(headNotices.contains { $0.message.contains("等待您审核") })
            #expect(try await FilingTests.act(app, filing.id, head, "return", reason: "材料不全").status == .ok)
            let notices = try await app.send(.GET, "/api/v1/notifications", headers: .bearer(filer)).decode([QuestionsAPIController.NoticeDTO].self)
            #expect(notices.contains { $0.message.contains("被退回：材料不全") })

            let s = try await app.webSession("filer")
            let page = try await app.send(.GET, "/notifications", headers: s.headers)
            #expect(page.status == .ok)
            #expect(page.text.contains("被退回：材料不全"))
            #expect(page.text.contains("逾期"))
            #expect(page.text.contains("class=\"count\""))
        }
    }
}
