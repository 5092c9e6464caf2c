import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
import YingshangOffice
@testable import YingshangApp

@Suite("Scoring, report and unit assessment")
struct ScoringAppTests {
    static func city(_ app: Application) async throws -> Campaign {
        _ = try await DemoScoring.load(app: app)
        return try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoScoring.cityCampaignName).first())
    }

    @Test("survey satisfaction counts for the county of each enterprise's township in a city-wide campaign", arguments: TestDatabase.available)
    func satisfactionByRegion(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await Self.city(app)
            let cid = try c.requireID()
            let regionIDs = try await CampaignRegion.query(on: app.db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
            let regions = try await Region.query(on: app.db).filter(\.$id ~~ regionIDs).sort(\.$code).all()
            let home = try #require(regions.first { $0.code == DemoCounty.countyCode })
            let other = try #require(regions.first { $0.code != DemoCounty.countyCode })
            let code = try #require(try await CampaignIndicator.query(on: app.db).filter(\.$campaign.$id == cid).sort(\.$position).first()).code
            let template = try await SurveyService.currentTemplate(c, on: app.db)
            let draw = SampleDraw()
            draw.$campaign.id = cid
            draw.parametersJSON = "{}"
            draw.allocationJSON = "[]"
            draw.drawnBy = "assessor"
            draw.locked = true
            try await draw.create(on: app.db)
            // Two answers in 青山县 (5 → 100, 3 → 50), one in another county (1 → 0), one without a township (not counted).
            for (i, (township, likert)) in [("\(home.code)001", 5), ("\(home.code)101", 3), ("\(other.code)001", 1), (nil, 5)].enumerated() {
                let e = Enterprise()
                e.$snapshot.id = try await RegisterSnapshot.ensure(cid, on: app.db)
                e.uscc = USCC.synthetic(i, prefix: "913708")
                e.name = "问卷企业\(i)"
                e.townshipCode = township
                e.extraJSON = "{}"
                try await e.create(on: app.db)
                let r = SurveyResponse()
                r.$draw.id = try draw.requireID()
                r.$enterprise.id = try e.requireID()
                r.$template.id = try template.requireID()
                r.token = "t\(i)-" + UUID().uuidString
                r.status = "submitted"
                r.answersJSON = "{\"\(code).satisfaction\":\"\(likert)\"}"
                try await r.create(on: app.db)
            }
            let inputs = try await ScoringService.collectInputs(c, on: app.db)
            func satisfaction(_ region: Region) -> String? {
                inputs.regions.first { $0.id == region.id?.uuidString }?.indicators.first { $0.code == code }?
                    .subIndicators.first { $0.code == "satisfaction" }?.value
            }
            #expect(satisfaction(home).flatMap(Double.init) == 75)
            #expect(satisfaction(other).flatMap(Double.init) == 0)
            let elsewhere = regions.filter { $0.code != home.code && $0.code != other.code }
            #expect(!elsewhere.isEmpty && elsewhere.allSatisfy { satisfaction($0) == nil })
        }
    }

    @Test("county: nothing scored before data, verified values import all-or-nothing, explanation shows source and formula", arguments: TestDatabase.available)
    func county(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let coord = try await app.apiToken("coordinator")
            // No run yet: the report and the API say so instead of showing zeros.
            let none = try await app.send(.GET, "/api/v1/campaigns/\(cid)/scores", headers: .bearer(coord))
            #expect(none.status == .conflict && none.apiError?.message.contains("尚未评分") == true)
            let s = try await app.webSession("coordinator")
            // The report link explains what is missing (a page, not an error) and where to go.
            let report = try await app.send(.GET, "/campaigns/\(cid)/report", headers: s.headers)
            #expect(report.status == .ok && report.text.contains("尚未评分") && report.text.contains("/campaigns/\(cid)/scores"))

            // Roles: filers cannot see scores; leaders see but cannot run.
            let filer = try await app.apiToken("filer")
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(filer)).status == .forbidden)
            let leader = try await app.apiToken("leader")
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(leader)).status == .forbidden)

            // First run with no accepted filing: every indicator is 未填报, none scored as zero.
            let first = try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(coord))
            #expect(first.status == .created)
            let r1 = try first.decode(ScoresAPIController.RunDTO.self)
            #expect(r1.regions.count == 1 && r1.regions[0].overall == nil)
            #expect(r1.warnings.count == r1.regions[0].indicators.count)

            // A bad row rejects the whole import and stores nothing.
            let assessor = try await app.webSession("assessor")
            let bad = try await app.send(
                .POST, "/campaigns/\(cid)/scores/verified", headers: assessor.headers,
                form: ["_csrf": assessor.csrf, "csv": "地区编码,指标代码,二级指标代码,核验值,来源,理由\n370799,starting_business,time,2,records,办件数据中位数\n370799,starting_business,steps,三,verified,核验\n999999,paying_taxes,time,1,,x\n370799,starting_business,time,1,,"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("第 3 行") && bad.text.contains("第 4 行") && bad.text.contains("第 5 行"))
            #expect(try await VerifiedValue.query(on: app.db).count() == 0)
            let good = try await app.send(
                .POST, "/campaigns/\(cid)/scores/verified", headers: assessor.headers,
                form: ["_csrf": assessor.csrf, "csv": "370799,starting_business,time,2,records,办件数据中位数\n370799,starting_business,steps,4,verified,实地核验\n370799,starting_business,one_stop,是,verified,系统演示"])
            #expect(good.status == .seeOther)
            #expect(try await VerifiedValue.query(on: app.db).count() == 3)

            let second = try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(coord)).decode(ScoresAPIController.RunDTO.self)
            #expect(second.number == 2)
            let sb = try #require(second.regions[0].indicators.first { $0.code == "starting_business" })
            let time = try #require(sb.subScores.first { $0.code == "time" })
            #expect(time.source == .records && time.status == .scored)
            #expect(abs((time.score ?? 0) - (10 - 2) / 9.5 * 100) < 1e-9)
            #expect(sb.subScores.first { $0.code == "cost" }?.status == .missing)
            #expect(second.regions[0].overall == sb.score)
            #expect(second.warnings.contains { $0.contains("开办成本") })
            let rid = second.regions[0].id
            let explain = try await app.send(.GET, "/campaigns/\(cid)/scores/explain?region=\(rid)&indicator=starting_business", headers: s.headers)
            #expect(explain.status == .ok)
            #expect(explain.text.contains("业务数据") && explain.text.contains("(10 − 2) ÷ (10 − 0.5) × 100 = 84.21"))
            // The run is audited.
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "scoring_run").count() == 2)
        }
    }

    @Test("city of 8 counties: ranks with the benchmark unranked, rules validated against K, re-run reproduces the numbers", arguments: TestDatabase.available)
    func city(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await Self.city(app)
            let cid = try c.requireID().uuidString
            let coord = try await app.apiToken("coordinator")
            let run = try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(coord)).decode(ScoresAPIController.RunDTO.self)
            let assessed = run.regions.filter { !$0.isBenchmark }
            #expect(assessed.count == 8)
            #expect(Set(assessed.compactMap(\.rank)) == Set(1...8))
            let benchmarks = run.regions.filter(\.isBenchmark)
            #expect(!benchmarks.isEmpty && benchmarks.allSatisfy { $0.rank == nil })
            let best = try #require(assessed.first { $0.rank == 1 })
            #expect(assessed.allSatisfy { ($0.overall ?? 0) <= (best.overall ?? 0) })
            let again = try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(coord)).decode(ScoresAPIController.RunDTO.self)
            #expect(again.regions == run.regions)
            // Re-running the stored inputs of a run gives the stored numbers.
            let leader = try await app.webSession("leader")
            let recomputed = try await app.send(.POST, "/campaigns/\(cid)/scores/runs/\(run.id)/recompute", headers: leader.headers, form: ["_csrf": leader.csrf])
            #expect(recomputed.status == .seeOther)
            #expect(try await app.send(.GET, "/campaigns/\(cid)/scores", headers: leader.headers).text.contains("复算一致"))
            // On a phone the table becomes cards: every score cell is labelled with its region.
            #expect(try await app.send(.GET, "/campaigns/\(cid)/scores", headers: leader.headers).text.contains("<td data-label=\"\(best.name)\""))
            // The rank table as a workbook: the best region's total and its rank 1, as the API gives them.
            let book = try XLSX.read(Data(buffer: try await app.send(.GET, "/campaigns/\(cid)/scores.xlsx", headers: leader.headers).body))
            let table = try #require(book.first?.rows)
            let column = try #require(table[0].firstIndex(of: .text("\(best.name) 得分")))
            let total = try #require(table.last)
            #expect(total[1] == .text("总分") && total[column] == .number(Double(Scoring.fmt2(best.overall ?? -1)) ?? -1) && total[column + 1] == .number(1))
            let units = try XLSX.read(Data(buffer: try await app.send(.GET, "/campaigns/\(cid)/scores/units.xlsx", headers: leader.headers).body))
            #expect(units.first?.rows.first == ["单位", "基础分", "加减分", "总分", "加减分明细"].map(Cell.text))

            // K larger than the number of regions is refused with the rule named; nothing saved.
            let s = try await app.webSession("coordinator")
            let before = try await ScoringService.ruleSet(c, on: app.db)
            let tooBig = try await app.send(
                .POST, "/campaigns/\(cid)/scores/rules", headers: s.headers,
                form: ["_csrf": s.csrf, "kind[]": "top_rank_bonus", "k[]": "9", "percent[]": "", "points[]": "2", "indicatorCode[]": "", "cooperatingShare": "0.5"])
            #expect(tooBig.status == .unprocessableEntity && tooBig.text.contains("K = 9 大于被评价地区数 8"))
            #expect(try await ScoringService.ruleSet(c, on: app.db) == before)
            let ok = try await app.send(
                .POST, "/campaigns/\(cid)/scores/rules", headers: s.headers,
                form: ["_csrf": s.csrf, "kind[]": "top_rank_bonus", "k[]": "3", "percent[]": "", "points[]": "2", "indicatorCode[]": "", "cooperatingShare": "0.5"])
            #expect(ok.status == .seeOther)
            #expect(try await ScoringService.ruleSet(c, on: app.db).rules == [AdjustmentRule(kind: .topRankBonus, k: 3, points: 2)])
            let assessor = try await app.webSession("assessor")
            let forbidden = try await app.send(.POST, "/campaigns/\(cid)/scores/rules", headers: assessor.headers, form: ["_csrf": assessor.csrf, "kind[]": "top_rank_bonus"])
            #expect(forbidden.status == .forbidden)

            // Report for a chosen county: HTML names it, XLSX is a workbook with the five sheets.
            let page = try await app.send(.GET, "/campaigns/\(cid)/report?region=\(best.id)", headers: s.headers)
            #expect(page.status == .ok && page.text.contains("\(best.name)<br>营商环境评价报告") && page.text.contains("<svg"))
            // The appendix states the weights and bounds in force, from the national catalog (开办时间: 0.5 to 10
            // working days, lower is better), and the survey's response.
            #expect(page.text.contains("<td>开办时间（工作日）</td><td>1</td><td>0.5</td><td>10</td><td>越低越好</td>"))
            #expect(page.text.contains("企业问卷回收与满意度"))
            let xlsx = try await app.send(.GET, "/campaigns/\(cid)/report.xlsx?region=\(best.id)", headers: s.headers)
            #expect(xlsx.status == .ok)
            let sheets = try XLSX.read(Data(buffer: xlsx.body))
            #expect(sheets.map(\.name) == ["总览", "指标得分", "二级指标", "单位考核", "整改台账"])
            #expect(sheets[0].rows.count == 1 + run.regions.count)

            // Findings are saved per indicator and printed in the report.
            let saved = try await app.send(
                .POST, "/campaigns/\(cid)/report/findings?region=\(best.id)", headers: assessor.headers,
                form: ["_csrf": assessor.csrf, "findings[starting_business]": "全程网办率高，但银行开户仍需线下。"])
            #expect(saved.status == .seeOther)
            let withFinding = try await app.send(.GET, "/campaigns/\(cid)/report?region=\(best.id)", headers: s.headers).text
            #expect(withFinding.contains("银行开户仍需线下"))
            // Before printing, the staff page counts the indicators still without findings (one fewer than before).
            let missingBefore = page.text.components(separatedBy: "项指标尚未撰写评价发现")[0].components(separatedBy: "请注意：").last ?? ""
            let missingAfter = withFinding.components(separatedBy: "项指标尚未撰写评价发现")[0].components(separatedBy: "请注意：").last ?? ""
            let countBefore = try #require(Int(missingBefore.trimmingCharacters(in: .whitespaces)))
            #expect(Int(missingAfter.trimmingCharacters(in: .whitespaces)) == countBefore - 1)
            let overview = try await app.send(.GET, "/campaigns/\(cid)/overview", headers: try await app.webSession("leader").headers)
            #expect(overview.status == .ok && overview.text.contains("综合得分"))
        }
    }

    @Test("预警值/先进值: a bad row is named and nothing saved; a score below the warning value is marked and told once to the lead unit and the bureau, one at the advanced value proposed for the library", arguments: TestDatabase.available)
    func thresholds(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            // The demo sets 60/90 for every indicator; this test starts from none.
            #expect(try await ThresholdService.lines(try c.requireID(), on: app.db).count == 16)
            try await ScoreThresholdSet.query(on: app.db).delete()
            let s = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let first = try await ScoringService.requireLatest(c, on: app.db).result()
            let county = try #require(first.assessed.first)
            let scored = county.indicators.filter { ($0.score ?? 100) < 100 && ($0.score ?? 0) > 0 }
            #expect(scored.count >= 2)
            let low = scored[0], high = scored[1]
            let codes = try await CampaignService.details(c, on: app.db).indicators.map(\.code)
            func form(_ values: [String: (String, String)]) -> String {
                var parts = ["_csrf=\(s.csrf)"]
                for code in codes {
                    let (w, a) = values[code] ?? ("", "")
                    parts += ["code[]=\(code)", "warning[]=\(w)", "advanced[]=\(a)"]
                }
                return parts.joined(separator: "&")
            }
            // Bad rows: letters, and a warning value not below the advanced one. Named, input kept, nothing saved.
            let bad = try await app.send(
                .POST, "/campaigns/\(cid)/scores/thresholds", headers: s.headers,
                formBody: form([low.code: ("abc", ""), high.code: ("80", "70")]))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("预警值“abc”不是数字") && bad.text.contains("预警值应低于先进值"))
            #expect(bad.text.contains("有 2 项需要修改"))
            #expect(bad.text.contains("value=\"abc\""))
            #expect(try await ThresholdService.lines(try c.requireID(), on: app.db).isEmpty)
            // The leader may look but not change.
            let leader = try await app.webSession("leader")
            #expect(try await app.send(.GET, "/campaigns/\(cid)/scores/thresholds", headers: leader.headers).status == .ok)
            #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/thresholds", headers: leader.headers, formBody: form([:])).status == .forbidden)

            let lowScore = try #require(low.score), highScore = try #require(high.score)
            let good = try await app.send(
                .POST, "/campaigns/\(cid)/scores/thresholds", headers: s.headers,
                formBody: form([low.code: (String(format: "%.2f", lowScore + 0.01), ""), high.code: ("", String(format: "%.2f", highScore - 0.01))]))
            #expect(good.status == .seeOther)
            let lead = try #require(try await Assignment.query(on: app.db).filter(\.$campaign.$id == c.requireID())
                .filter(\.$indicatorCode == low.code).first()?.$leadUnit.id)
            func notices(_ text: String) async throws -> [InAppNotification] {
                try await InAppNotification.query(on: app.db).all().filter { $0.message.contains(text) }
            }
            for _ in 0..<2 {
                #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            }
            let page = try await app.send(.GET, "/campaigns/\(cid)/scores", headers: s.headers).text
            #expect(page.contains("class=\"mark-warning\"") && page.contains("低于预警值 \(String(format: "%.2f", lowScore + 0.01))"))
            #expect(page.contains("class=\"mark-advanced\"") && page.contains("达到先进值"))
            // Told once over two runs: each coordinator once, each user of the lead unit who can open filings once.
            let warned = try await notices("“\(low.nameZh)”得分 \(Scoring.fmt2(lowScore))，低于预警值")
            let coordinators = try await User.query(on: app.db).filter(\.$role == "coordinator").count()
            let leadUsers = try await User.query(on: app.db).filter(\.$unit.$id == lead).count()
            #expect(warned.count == coordinators + leadUsers)
            let praised = try await notices("“\(high.nameZh)”得分 \(Scoring.fmt2(highScore))，达到先进值")
            #expect(praised.count == coordinators)
            // The proposal opens the best-practice form filled in from the score, with a link back to the scores.
            #expect(!praised.isEmpty && praised.allSatisfy { $0.link.hasPrefix("/library/practices/new?indicatorCode=\(high.code)&") })
            if let link = praised.first?.link {
                let form = try await app.send(.GET, link, headers: s.headers).text
                #expect(form.contains("<option value=\"\(high.code)\" selected>"))
                #expect(form.contains("达到先进值 \(String(format: "%.2f", highScore - 0.01))"))
                #expect(form.contains("href=\"/campaigns/\(cid)/scores\""))
            }
            // Hostile prefill: an unknown code and an over-long region name are dropped.
            let hostile = try await app.send(.GET, "/library/practices/new?indicatorCode=x%22%3E&regionName=\(String(repeating: "a", count: 60))", headers: s.headers)
            #expect(hostile.status == .ok)
            #expect(!hostile.text.contains("name=\"regionName\" value=\"aaaa") && !hostile.text.contains("x\">"))
            #expect(!hostile.text.contains("\" selected>"), "no indicator preselected from an unknown code")
            // The dispatch board marks them beside the indicator.
            let board = try await app.send(.GET, "/campaigns/\(cid)/dispatch", headers: s.headers).text
            #expect(board.contains("\(low.nameZh) <span class=\"dispatch-mark dispatch-mark-warning\">得分 \(Scoring.fmt2(lowScore))，低于预警值"))
            #expect(board.contains("\(high.nameZh) <span class=\"dispatch-mark dispatch-mark-advanced\">"))
            // The leaders' overview marks both.
            let overview = try await app.send(.GET, "/campaigns/\(cid)/overview", headers: s.headers).text
            #expect(overview.contains("<span class=\"badge badge-red\">\(low.nameZh) \(Scoring.fmt2(lowScore))</span>"))
            #expect(overview.contains("<span class=\"badge badge-good\">\(high.nameZh) \(Scoring.fmt2(highScore))</span>"))
            #expect(try await ThresholdAlert.query(on: app.db).count() == 2)
            // The report's overview names both, with the values in force.
            let report = try await app.send(.GET, "/campaigns/\(cid)/report", headers: s.headers).text
            #expect(report.contains("低于预警值的指标：\(low.nameZh)（\(Scoring.fmt2(lowScore))，预警值 \(String(format: "%.2f", lowScore + 0.01))）"))
            #expect(report.contains("达到先进值的指标：\(high.nameZh)"))
        }
    }

    @Test("unit assessment: late filing deducted from the lead unit, cooperating share, manual deduction needs a reason", arguments: TestDatabase.available)
    func units(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let s = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let run = try await ScoringService.requireLatest(c, on: app.db)
            let table = try await ScoringService.unitTable(c, run: run, today: app.clock.today, on: app.db)
            let late = table.flatMap(\.items).filter { $0.rule == AdjustmentRuleKind.lateFilingPerDay.rawValue }
            #expect(!late.isEmpty)
            // Leads lose 0.5 per working day, cooperators half of what their lead loses.
            var shared = 0
            for item in late where item.description.contains("牵头") {
                #expect(item.points < 0 && (item.points * 2).rounded() == item.points * 2)
                let coops = late.filter { $0.indicatorCode == item.indicatorCode && $0.description.contains("配合") }
                #expect(coops.allSatisfy { $0.points == item.points / 2 })
                shared += coops.count
            }
            #expect(shared > 0, "no late indicator with a cooperating unit: the half share was never checked")
            // The two demo indicators handed in three days late are among them.
            #expect(late.filter { $0.description.contains("牵头") }.count >= 2)
            let scjg = try await app.unitID("SCJG")
            let noReason = try await app.send(
                .POST, "/campaigns/\(cid)/scores/adjustments", headers: s.headers,
                form: ["_csrf": s.csrf, "unitID": scjg.uuidString, "points": "-2", "reason": " "])
            #expect(noReason.status == .unprocessableEntity && noReason.text.contains("请填写加减分理由"))
            #expect(try await ManualScoreAdjustment.query(on: app.db).count() == 0)
            let added = try await app.send(
                .POST, "/campaigns/\(cid)/scores/adjustments", headers: s.headers,
                form: ["_csrf": s.csrf, "unitID": scjg.uuidString, "points": "-2", "reason": "推动不力，多次催办未果"])
            #expect(added.status == .seeOther)
            let applied = try await app.send(.POST, "/campaigns/\(cid)/scores/units/apply", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(applied.status == .seeOther)
            let record = try #require(try await UnitAssessmentRecord.query(on: app.db).first())
            let mine = try #require(try record.table().first { $0.unitID == scjg.uuidString })
            #expect(mine.items.contains { $0.rule == "manual" && $0.points == -2 && $0.description.contains("推动不力") })
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "unit_assessment").count() == 1)
            let page = try await app.send(.GET, "/campaigns/\(cid)/scores/units", headers: s.headers)
            #expect(page.text.contains("多次催办未果"))
        }
    }
}

@Suite("预警值/先进值 as a table")
struct ThresholdTableAppTests {
    static func upload(_ app: Application, _ session: WebSession, _ path: String, xlsx: Data) async throws -> TestingHTTPResponse {
        let boundary = "----yingshang\(UUID().uuidString.prefix(8))"
        var body = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(session.csrf)\r\n")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n")
        body.writeBytes(xlsx)
        body.writeString("\r\n--\(boundary)--\r\n")
        var headers = session.headers
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        let payload = body
        return try await app.testing().sendRequest(.POST, path, headers: headers) { req in req.body = payload }
    }

    @Test("export every line; an imported table replaces them, per region too; a bad row is named and nothing changes; a leader may export, not import", arguments: TestDatabase.available)
    func roundTrip(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let county = try #require(try await CampaignService.details(c, on: app.db).regions.first)
            let s = try await app.webSession("coordinator")
            let exported = try await app.send(.GET, "/campaigns/\(cid)/scores/thresholds.xlsx", headers: s.headers)
            #expect(exported.status == .ok)
            let rows = try #require(try XLSX.read(Data(buffer: exported.body)).first).rows.map { $0.map(\.string) }
            #expect(rows.first == ThresholdTable.header)
            // The demo sets 60 and 90 for each of the 16 indicators, campaign-wide.
            #expect(rows.count == 17 && rows.dropFirst().allSatisfy { $0[2].isEmpty && $0[4] == "60" && $0[5] == "90" })

            let bad = try XLSX.write([Sheet(name: "t", rows: [
                ThresholdTable.header.map { .text($0) },
                [.text("starting_business"), .text(""), .text(""), .text(""), .text("abc"), .number(90)],
            ])])
            let refused = try await Self.upload(app, s, "/campaigns/\(cid)/scores/thresholds/import", xlsx: bad)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("第 2 行：预警值“abc”不是数字"))
            #expect(try await ThresholdService.lines(cid, on: app.db).count == 16)

            let good = try XLSX.write([Sheet(name: "t", rows: [
                ThresholdTable.header.map { .text($0) },
                [.text("starting_business"), .text("开办企业"), .text(""), .text(""), .number(55), .number(85)],
                [.text("starting_business"), .text("开办企业"), .text(county.code), .text(county.name), .number(70), .empty],
            ])])
            let leader = try await app.webSession("leader")
            #expect(try await Self.upload(app, leader, "/campaigns/\(cid)/scores/thresholds/import", xlsx: good).status == .forbidden)
            #expect(try await app.send(.GET, "/campaigns/\(cid)/scores/thresholds.xlsx", headers: leader.headers).status == .ok)
            let ok = try await Self.upload(app, s, "/campaigns/\(cid)/scores/thresholds/import", xlsx: good)
            #expect(ok.status == .seeOther)
            let lines = try await ThresholdService.lines(cid, on: app.db)
            #expect(lines == [
                ScoreThreshold(indicatorCode: "starting_business", warning: 55, advanced: 85),
                ScoreThreshold(indicatorCode: "starting_business", regionID: try county.requireID().uuidString, warning: 70, advanced: nil),
            ])
            // The region's own line wins for that region (Thresholds.resolve) and the page lists it.
            let page = try await app.send(.GET, "/campaigns/\(cid)/scores/thresholds", headers: s.headers).text
            #expect(page.contains("\(county.name)·开办企业：预警值 70.00，先进值 —"))
        }
    }
}
