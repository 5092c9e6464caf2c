import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 19 item 5: the leaders' board (领导驾驶舱).
@Suite("Leaders' board")
struct CockpitTests {
    @Test("the board shows the overall score, red marks, last year's change, today's filing progress and ranks; refreshes itself; a printable page; units and the assessor are refused", arguments: TestDatabase.available)
    func board(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let s = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let county = try #require(try await ScoringService.requireLatest(c, on: app.db).result().assessed.first)
            let overall = try #require(county.overall)

            let leader = try await app.webSession("leader")
            let res = try await app.send(.GET, "/campaigns/\(cid)/cockpit", headers: leader.headers)
            #expect(res.status == .ok)
            let html = res.text
            #expect(html.contains("data-refresh=\"60\""))
            #expect(html.contains("<div class=\"label\">综合得分</div><div class=\"value\">\(String(format: "%.2f", overall))</div>"))
            #expect(html.contains("距前沿 \(String(format: "%.2f", 100 - overall))"))
            // The demo's warning value is 60 for every indicator (DemoScoring.thresholds): count them here directly.
            let red = county.indicators.filter { ($0.score ?? 100) < 60 }
            #expect(!red.isEmpty)
            #expect(html.contains("<div class=\"label\">红色预警指标</div><div class=\"value\">\(red.count)</div>"))
            #expect(html.components(separatedBy: "class=\"row warning\"").count - 1 == red.count)
            for i in red { #expect(html.contains("<span class=\"name\">\(i.nameZh)</span>")) }
            // Last year: the demo's closed 2021 campaign this one was carried over from.
            let last = try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoScoring.previousYearName).first())
            #expect(c.previousCampaignID == last.id)
            let lastCounty = try #require(try await ScoringService.requireLatest(last, on: app.db).result().region(county.id))
            let change = overall - (lastCounty.overall ?? 0)
            #expect(html.contains("比上年 \(String(format: "%+.2f", change))"), "\(change)")
            // Today's filing progress, as the dispatch API reports it to the same leader.
            let token = try await app.apiToken("leader")
            let dispatch = try await app.send(.GET, "/api/v1/campaigns/\(cid)/dispatch", headers: .bearer(token)).decode(DispatchDTO.self)
            #expect(html.contains("<div class=\"value\">\(dispatch.handedIn)/\(dispatch.total)</div>"))
            #expect(html.contains("逾期 \(dispatch.overdue.count) 项"))

            // The refresh interval is bounded; the printable page does not refresh.
            #expect(try await app.send(.GET, "/campaigns/\(cid)/cockpit?refresh=1", headers: leader.headers).text.contains("data-refresh=\"10\""))
            #expect(try await app.send(.GET, "/campaigns/\(cid)/cockpit?refresh=abc", headers: leader.headers).text.contains("data-refresh=\"60\""))
            let printable = try await app.send(.GET, "/campaigns/\(cid)/cockpit?print=1", headers: leader.headers).text
            #expect(printable.contains("<body class=\"printable\">") && !printable.contains("data-refresh"))
            #expect(printable.contains("A4 landscape"))

            for role in ["unithead", "filer", "filer_tax", "assessor", "auditor"] {
                let other = try await app.webSession(role)
                #expect(try await app.send(.GET, "/campaigns/\(cid)/cockpit", headers: other.headers).status == .forbidden, "\(role)")
            }
            #expect(try await app.send(.GET, "/campaigns/\(cid)/cockpit?region=\(UUID())", headers: leader.headers).status == .notFound)

            // A campaign not scored yet still shows its filing progress and says why there are no scores.
            let next = try await app.send(.POST, "/api/v1/campaigns/\(cid)/carry-over", headers: .bearer(try await app.apiToken("coordinator")),
                                          json: [String: AnyJSON]()).decode(CampaignDTO.self)
            let empty = try await app.send(.GET, "/campaigns/\(next.id)/cockpit", headers: leader.headers).text
            #expect(empty.contains("本次评价尚未评分") && empty.contains("已报送指标") && !empty.contains("红色预警指标"))
        }
    }

    @Test("in a city campaign each county's board shows its rank among the counties", arguments: TestDatabase.available)
    func cityRanks(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let city = try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoScoring.cityCampaignName).first())
            let cid = try city.requireID()
            let s = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let result = try await ScoringService.requireLatest(city, on: app.db).result()
            #expect(result.assessedCount == 8)
            // The county ranked last, by its overall score among the eight.
            let worst = try #require(result.assessed.min { ($0.overall ?? 0) < ($1.overall ?? 0) })
            let html = try await app.send(.GET, "/campaigns/\(cid)/cockpit?region=\(worst.id)", headers: s.headers).text
            #expect(html.contains("<div class=\"label\">全市排名</div><div class=\"value\">第 8/8</div>"))
            #expect(html.contains("<li class=\"active\">第 8 名 \(worst.name)"))
            #expect(html.components(separatedBy: "<li").count - 1 == 8)
        }
    }
}
