import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 19 item 6: next year's campaign from this year's, and two campaigns side by side in the report.
@Suite("Year over year: carry-over and the report comparison")
struct YearOverYearAppTests {
    @Test("carry over: next year's dates, the matrix without confirmations, rules and thresholds; bad years and other roles refused with nothing stored", arguments: TestDatabase.available)
    func carryOver(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let source = try await CampaignTests.demoCampaign(app)
            let sid = try source.requireID()
            let before = try await Campaign.query(on: app.db).count()

            for role in ["unithead", "filer", "leader", "assessor"] {
                let t = try await app.apiToken(role)
                let res = try await app.send(.POST, "/api/v1/campaigns/\(sid)/carry-over", headers: .bearer(t), json: [String: AnyJSON]())
                #expect(res.status == .forbidden, "\(role): \(res.status)")
            }
            let token = try await app.apiToken("coordinator")
            let past = try await app.send(.POST, "/api/v1/campaigns/\(sid)/carry-over", headers: .bearer(token), json: ["year": AnyJSON.int(2021)])
            #expect(past.status == .unprocessableEntity)
            #expect(past.apiError?.fields?["year"]?.contains("应晚于 2022 年") == true)
            let letters = try await app.send(.POST, "/api/v1/campaigns/\(sid)/carry-over", headers: .bearer(token), json: ["year": AnyJSON.string("明年")])
            #expect(letters.status == .unprocessableEntity)
            #expect(letters.apiError?.fields?["year"]?.contains("“明年”不是数字") == true)
            #expect(try await Campaign.query(on: app.db).count() == before)

            let res = try await app.send(.POST, "/api/v1/campaigns/\(sid)/carry-over", headers: .bearer(token), json: [String: AnyJSON]())
            #expect(res.status == .created, "\(res.text)")
            let new = try res.decode(CampaignDTO.self)
            #expect(new.year == 2023)
            // Sent again (a double click): refused, no second 2023 campaign.
            let twice = try await app.send(.POST, "/api/v1/campaigns/\(sid)/carry-over", headers: .bearer(token), json: [String: AnyJSON]())
            #expect(twice.status == .conflict && twice.apiError?.message.contains("未再复制") == true)
            #expect(try await Campaign.query(on: app.db).filter(\.$previousCampaignID == sid).count() == 1)
            #expect(new.name == "2023 年度县域营商环境评价（示例）")
            #expect(new.status == "draft")
            #expect(new.previousCampaignID == sid)
            let old = try await CampaignService.dto(source, on: app.db)
            #expect(new.indicatorCodes == old.indicatorCodes)
            #expect(new.regionIDs == old.regionIDs)
            // Same month and day a year later (the demo has no 29 February).
            func later(_ s: String) -> String { "2023" + s.dropFirst(4) }
            #expect(new.startDate == later(old.startDate) && new.endDate == later(old.endDate))
            #expect(new.phases.map(\.start) == old.phases.map { later($0.start) })
            #expect(new.phases.map(\.end) == old.phases.map { later($0.end) })

            // The matrix: same lead units, leaders, cooperators and teams; nothing confirmed yet.
            let oldRows = try await Assignment.query(on: app.db).filter(\.$campaign.$id == sid).with(\.$cooperators).with(\.$members).all()
            let newRows = try await Assignment.query(on: app.db).filter(\.$campaign.$id == new.id).with(\.$cooperators).with(\.$members).all()
            #expect(newRows.count == oldRows.count && !newRows.isEmpty)
            #expect(oldRows.contains { !$0.cooperators.isEmpty }, "the demo has cooperating units to carry")
            for o in oldRows {
                let n = try #require(newRows.first { $0.$region.id == o.$region.id && $0.indicatorCode == o.indicatorCode })
                #expect(n.$leadUnit.id == o.$leadUnit.id && n.$leader.id == o.$leader.id)
                #expect(n.leadConfirmedAt == nil)
                #expect(Set(n.cooperators.map { $0.$unit.id }) == Set(o.cooperators.map { $0.$unit.id }))
                #expect(n.cooperators.allSatisfy { $0.confirmedAt == nil })
                #expect(Set(n.members.map { $0.$user.id }) == Set(o.members.map { $0.$user.id }))
            }
            let oldRules = try await ScoreRuleSet.query(on: app.db).filter(\.$campaign.$id == sid).first()?.rulesJSON
            #expect(oldRules != nil)
            #expect(try await ScoreRuleSet.query(on: app.db).filter(\.$campaign.$id == new.id).first()?.rulesJSON == oldRules)
            #expect(try await ThresholdService.lines(new.id, on: app.db) == ThresholdService.lines(sid, on: app.db))
            // What belongs to its year is not copied.
            #expect(try await Filing.query(on: app.db).filter(\.$campaign.$id == new.id).count() == 0)
            #expect(try await ScheduleEntry.query(on: app.db).filter(\.$campaign.$id == new.id).count() == 0)
            #expect(try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == new.id).count() == 0)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "carry_over").all()
            #expect(audit.count == 1 && audit.first?.entityID == new.id.uuidString && audit.first?.actorUsername == "coordinator")

            // The web form: a bad year is named beside the field and kept; a good one opens the new campaign.
            let s = try await app.webSession("coordinator")
            let form = try await app.send(.GET, "/campaigns/\(new.id)/carry-over", headers: s.headers)
            #expect(form.status == .ok && form.text.contains("value=\"2024 年度县域营商环境评价（示例）\""))
            let bad = try await app.send(
                .POST, "/campaigns/\(new.id)/carry-over", headers: s.headers, form: ["_csrf": s.csrf, "name": "下一轮", "year": "二〇二四"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("“二〇二四”不是数字") && bad.text.contains("value=\"二〇二四\"") && bad.text.contains("value=\"下一轮\""))
            let good = try await app.send(
                .POST, "/campaigns/\(new.id)/carry-over", headers: s.headers, form: ["_csrf": s.csrf, "name": "", "year": "2024"])
            #expect(good.status == .seeOther)
            let third = try #require(try await Campaign.query(on: app.db).filter(\.$previousCampaignID == new.id).first())
            #expect(good.headers.first(name: .location) == "/campaigns/\(try third.requireID())")
            #expect(third.name == "2024 年度县域营商环境评价（示例）" && third.year == 2024)
            let page = try await app.send(.GET, "/campaigns/\(try third.requireID())", headers: s.headers)
            #expect(page.text.contains("复制自上一年度") && page.text.contains("2023 年度县域营商环境评价（示例）"))
            let unit = try await app.webSession("unithead")
            #expect(try await app.send(.GET, "/campaigns/\(sid)/carry-over", headers: unit.headers).status == .forbidden)
        }
    }

    @Test("the report compares with last year by default: per-indicator and overall change, ranks, a moved frontier named; ?compare= picks another, none hides it", arguments: TestDatabase.available)
    func reportComparison(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let source = try await CampaignTests.demoCampaign(app)
            let sid = try source.requireID()
            let s = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(sid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let token = try await app.apiToken("coordinator")
            let new = try await app.send(.POST, "/api/v1/campaigns/\(sid)/carry-over", headers: .bearer(token), json: [String: AnyJSON]())
                .decode(CampaignDTO.self)

            // Next year's run, as a fixture: last year's result with one indicator 3.5 points up, one with a moved
            // frontier, and the overall 1.25 down. The expected changes are those numbers, not the code's output.
            let lastRun = try await ScoringService.requireLatest(source, on: app.db)
            var result = try lastRun.result()
            let ri = try #require(result.regions.firstIndex { !$0.isBenchmark })
            let scored = result.regions[ri].indicators.indices.filter { result.regions[ri].indicators[$0].score != nil }
            #expect(scored.count >= 2)
            let up = scored[0], moved = scored[1]
            let upName = result.regions[ri].indicators[up].nameZh, movedName = result.regions[ri].indicators[moved].nameZh
            result.regions[ri].indicators[up].score = (result.regions[ri].indicators[up].score ?? 0) + 3.5
            let si = try #require(result.regions[ri].indicators[moved].subScores.firstIndex { $0.best != nil })
            result.regions[ri].indicators[moved].subScores[si].best = (result.regions[ri].indicators[moved].subScores[si].best ?? 0) + 1
            let lastOverall = try #require(result.regions[ri].overall)
            result.regions[ri].overall = lastOverall - 1.25
            try await ScoringRun(campaignID: new.id, number: 1, inputs: try lastRun.inputs(), result: result, by: "assessor").create(on: app.db)

            let report = try await app.send(.GET, "/campaigns/\(new.id)/report", headers: s.headers)
            #expect(report.status == .ok)
            let html = report.text
            #expect(html.contains("与\(source.name)对比"))
            #expect(html.contains(">\(upName)</td>"))
            #expect(row(html, upName)?.contains("+3.50") == true, "\(row(html, upName) ?? "no row")")
            #expect(row(html, "综合得分")?.contains("-1.25") == true)
            #expect(row(html, movedName)?.contains("前沿值或最差值已变化") == true)
            #expect(row(html, upName)?.contains("前沿值或最差值已变化") == false)
            // The same comparison in the PDF and XLSX links when chosen explicitly; none hides it; unknown is 404.
            let chosen = try await app.send(.GET, "/campaigns/\(new.id)/report?compare=\(sid)", headers: s.headers)
            #expect(chosen.text.contains("&amp;compare=\(sid)\" data-busy"), "the PDF link keeps the comparison")
            let none = try await app.send(.GET, "/campaigns/\(new.id)/report?compare=none", headers: s.headers)
            #expect(none.status == .ok && !none.text.contains("与\(source.name)对比"))
            #expect(try await app.send(.GET, "/campaigns/\(new.id)/report?compare=\(UUID())", headers: s.headers).status == .notFound)
            // Last year's report compares with the demo's 2021 campaign, and offers next year's too.
            let lastYear = try await app.send(.GET, "/campaigns/\(sid)/report", headers: s.headers)
            #expect(lastYear.text.contains("与\(DemoScoring.previousYearName)对比"))
            #expect(lastYear.text.contains("<option value=\"\(new.id)\">"))
            // A single county has no rank to compare.
            #expect(!html.contains("排名（对比 → 本次）"))
            // A role without scores is refused.
            let filer = try await app.webSession("filer")
            #expect(try await app.send(.GET, "/campaigns/\(new.id)/report?compare=\(sid)", headers: filer.headers).status == .forbidden)
        }
    }

    /// The table row whose first cell is `name`.
    func row(_ html: String, _ name: String) -> String? {
        guard let start = html.range(of: "<td>\(name)</td>") else { return nil }
        guard let end = html[start.upperBound...].range(of: "</tr>") else { return nil }
        return String(html[start.lowerBound..<end.lowerBound])
    }
}
