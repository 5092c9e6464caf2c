import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 19 item 3: a B-READY-style topic scored end to end — points-based answers filed by the lead unit, a filed
/// number, and survey-derived values from enterprises' answers, each pillar and the topic computed by hand.
@Suite("B-READY-style topics")
struct BReadyAppTests {
    @Test("add the template in the catalog page; a campaign on 市场准入 scores pillars from filed points, a filed number and the survey's share and median", arguments: TestDatabase.available)
    func topic(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let unit = try await app.webSession("unithead")
            #expect(try await app.send(.POST, "/catalog/add-bready", headers: unit.headers, form: ["_csrf": unit.csrf]).status == .forbidden)
            let s = try await app.webSession("coordinator")
            let added = try await app.send(.POST, "/catalog/add-bready", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(added.status == .seeOther)
            let current = try #require(try await CatalogService.current(on: app.db)).catalog()
            #expect(current.indicators.count == 28 && current.indicator("starting_business") != nil && current.indicator("br_business_entry") != nil)
            // A second time adds nothing.
            let before = try await CatalogVersion.query(on: app.db).count()
            _ = try await app.send(.POST, "/catalog/add-bready", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(try await CatalogVersion.query(on: app.db).count() == before)

            let token = try await app.apiToken("coordinator")
            let made = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(token),
                json: try await CampaignTests.body(app, name: "B-READY 式评价", codes: ["br_business_entry"]))
            #expect(made.status == .created, "\(made.text)")
            let campaign = try made.decode(CampaignDTO.self)
            let cid = campaign.id
            let region = try #require(campaign.regionIDs.first)
            try await ScoreRuleSet(campaignID: cid, rules: RuleSet(minimumSurveyRespondents: 10), by: "coordinator").create(on: app.db)

            // The lead unit's answers: I 是 + 部分, II 否 + 是, III 5.25 working days.
            let lead = try #require(try await Unit.query(on: app.db).first()?.id)
            let f = Filing(campaignID: cid, regionID: region, indicatorCode: "br_business_entry", leadUnitID: lead, by: "filer")
            f.state = FilingState.accepted.rawValue
            f.answers = ["q1": "是", "q2": "部分", "q3": "否", "q4": "是", "q5": "5.25"]
            try await f.create(on: app.db)

            // Ten sampled enterprises answer the survey: two report an informal payment; days reported 2…11.
            let csv = "统一社会信用代码,企业名称,企业规模,登记状态\n" + (1...10).map { "\(USCC.synthetic($0, prefix: "923707")),企业\($0),小型,存续" }.joined(separator: "\n") + "\n"
            let imported = try await RegisterImporter.run(campaignID: cid, data: Data(csv.utf8), filename: "r.csv", skipInvalid: false, db: app.db)
            #expect(imported.stored && imported.imported == 10)
            let a = try await app.webSession("assessor")
            let drawn = try await app.send(
                .POST, "/campaigns/\(cid)/samples", headers: a.headers,
                form: ["_csrf": a.csrf, "size": "10", "seed": "3", "strata[]": "size", "allocation": "equal", "statuses[]": "存续"])
            let path = try #require(drawn.headers.first(name: .location), "\(drawn.text.prefix(300))")
            _ = try await app.send(.POST, "\(path)/surveys", headers: a.headers, form: ["_csrf": a.csrf])
            let tokens = try await SurveyResponse.query(on: app.db).all().sorted { $0.token < $1.token }
            #expect(tokens.count == 10)
            for (i, r) in tokens.enumerated() {
                let answers = [
                    "br_business_entry.used": "是", "br_business_entry.informal_payment": i < 2 ? "是" : "否",
                    "br_business_entry.reported_days": String(i + 2),
                ]
                _ = try await SurveyService.submit(token: r.token, answers: answers, final: true, now: app.clock.now(), on: app.db)
            }

            #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let run = try await ScoringService.requireLatest(try #require(try await Campaign.find(cid, on: app.db)), on: app.db)
            let ind = try #require(try run.result().assessed.first?.indicator("br_business_entry"))
            // By hand: I (2 + 1) / 4 = 75; II (0 + 2) / 4 = 50; III the mean of (10 − 5.25)/(10 − 0.5) = 50,
            // (30 − 20)/30 = 33.33 and (15 − 6.5)/(15 − 1) = 60.71; the topic the mean of the three.
            let p3 = (50.0 + 100.0 / 3 + 8.5 / 14 * 100) / 3
            let pillars = try #require(ind.pillars)
            #expect(pillars.map(\.pillar) == Pillar.allCases)
            #expect(abs(pillars[0].score - 75) < 1e-9 && abs(pillars[1].score - 50) < 1e-9 && abs(pillars[2].score - p3) < 1e-9)
            #expect(abs((ind.score ?? 0) - (75 + 50 + p3) / 3) < 1e-9, "\(ind.score ?? -1)")
            let informal = try #require(ind.subScores.first { $0.code == "informal_payment" })
            #expect(informal.source == .survey && informal.numericValue == 20 && informal.note == "问卷 n = 10，95% 区间 5.67–50.98")
            #expect(ind.subScores.first { $0.code == "reported_days" }?.note == "问卷 n = 10，95% 区间 2.00–11.00")
            let explain = try await app.send(.GET, "/campaigns/\(cid)/scores/explain?region=\(region)&indicator=br_business_entry", headers: s.headers)
            #expect(explain.status == .ok && explain.text.contains("支柱I监管框架 = (100.00 × 2 + 50.00 × 2) ÷ 4 = 75.00"), "\(explain.status)")
            #expect(explain.text.contains("<span class=\"badge\">支柱 II 公共服务 50.00</span>") && explain.text.contains("<td data-label=\"支柱\">III 运行效率</td>"))

            // Below the campaign's minimum the survey values are not scored: pillar III is the filed number alone.
            let rules = try #require(try await ScoreRuleSet.query(on: app.db).filter(\.$campaign.$id == cid).first())
            rules.rulesJSON = try JSONCoding.encode(RuleSet(minimumSurveyRespondents: 11))
            try await rules.update(on: app.db)
            _ = try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf])
            let again = try await ScoringService.requireLatest(try #require(try await Campaign.find(cid, on: app.db)), on: app.db)
            let thin = try #require(try again.result().assessed.first?.indicator("br_business_entry"))
            #expect(abs((thin.pillars?[2].score ?? 0) - 50) < 1e-9 && abs((thin.score ?? 0) - 175.0 / 3) < 1e-9)
        }
    }
}
