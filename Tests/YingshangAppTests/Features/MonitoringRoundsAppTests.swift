import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 19 item 2: monitoring rounds (常态化监测) between annual evaluations.
@Suite("Monitoring rounds")
struct MonitoringRoundsAppTests {
    static func body(_ period: String, _ year: Int, _ number: Int, _ codes: [String], start: String? = nil, end: String? = nil) -> [String: AnyJSON] {
        var b: [String: AnyJSON] = [
            "period": .string(period), "year": .int(year), "number": .int(number), "indicatorCodes": .array(codes.map { .string($0) }),
        ]
        if let start { b["filingStart"] = .string(start) }
        if let end { b["filingEnd"] = .string(end) }
        return b
    }

    @Test("a round through the API and the form: its dates, the matrix and thresholds of its indicators; bad input, a second round of the same quarter, other roles and another county refused with nothing stored", arguments: TestDatabase.available)
    func create(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let parent = try await CampaignTests.demoCampaign(app)
            let pid = try parent.requireID()
            let codes = ["starting_business", "paying_taxes"]
            let before = try await Campaign.query(on: app.db).count()

            for role in ["unithead", "filer", "leader", "assessor"] {
                let t = try await app.apiToken(role)
                let res = try await app.send(.POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(t), json: Self.body("quarterly", 2023, 1, codes))
                #expect(res.status == .forbidden, "\(role): \(res.status)")
            }
            // Another county's coordinator does not find the campaign at all.
            let neighbour = try #require(try await Region.query(on: app.db).filter(\.$code == "370791").first())
            try await RegionScopeAppTests.account(app, "donghu", unitRegion: neighbour, regions: [neighbour])
            let other = try await app.apiToken("donghu")
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(other), json: Self.body("quarterly", 2023, 1, codes)).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(other)).status == .notFound)

            let token = try await app.apiToken("coordinator")
            func refused(_ body: [String: AnyJSON], _ field: String, _ text: String) async throws {
                let res = try await app.send(.POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(token), json: body)
                #expect(res.status == .unprocessableEntity, "\(body): \(res.status)")
                #expect(res.apiError?.fields?[field]?.contains(text) == true, "\(field): \(res.text)")
            }
            try await refused(Self.body("weekly", 2023, 1, codes), "period", "月度或季度")
            try await refused(Self.body("quarterly", 2023, 5, codes), "number", "1–4")
            try await refused(Self.body("monthly", 2023, 13, codes), "number", "1–12")
            try await refused(Self.body("quarterly", 2023, 1, ["no_such_indicator"]), "indicatorCodes", "不在本评价任务中")
            try await refused(Self.body("quarterly", 2023, 1, []), "indicatorCodes", "至少选择 1 项")
            try await refused(Self.body("quarterly", 2023, 1, codes, start: "2023-03-20", end: "2023-04-10"), "filingStart", "晚于监测期末（2023-03-31）")
            try await refused(Self.body("quarterly", 2023, 1, codes, start: "2023-04-10"), "filingEnd", "同时填写")
            try await refused(Self.body("quarterly", 2031, 1, codes), "number", "缺少 2031 年的节假日安排")
            var letters = Self.body("quarterly", 2023, 1, codes)
            letters["year"] = .string("明年")
            try await refused(letters, "year", "“明年”不是数字")
            // Another JSON type is refused too, not read as "absent" (schemathesis found an object taken as the default).
            var object = Self.body("quarterly", 2023, 1, codes)
            object["year"] = .object([:])
            try await refused(object, "year", "不是数字")
            #expect(try await Campaign.query(on: app.db).count() == before)

            let res = try await app.send(.POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(token), json: Self.body("quarterly", 2023, 1, codes))
            #expect(res.status == .created, "\(res.text)")
            let round = try res.decode(RoundDTO.self)
            #expect(round.label == "2023年第1季度" && round.name == "\(parent.name) · 2023年第1季度监测")
            // Counted by hand: 3 April 2023 is the first working day after the quarter; 5 April (清明) is off, so the
            // tenth working day is 17 April.
            #expect(round.filingStart == "2023-04-03" && round.filingEnd == "2023-04-17")
            #expect(round.indicatorCodes == codes)
            #expect(round.status == "active", "every row has a lead unit, so the round runs at once")
            #expect(round.total == 2 && round.handedIn == 0 && !round.scored)
            let twice = try await app.send(.POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(token), json: Self.body("quarterly", 2023, 1, codes))
            #expect(twice.status == .conflict && twice.apiError?.message.contains("未再创建") == true)
            // A round of a round is refused.
            let nested = try await app.send(.POST, "/api/v1/campaigns/\(round.id)/rounds", headers: .bearer(token), json: Self.body("monthly", 2023, 4, codes))
            #expect(nested.status == .unprocessableEntity && nested.apiError?.fields?["period"]?.contains("不能再设监测轮次") == true)
            #expect(try await Campaign.query(on: app.db).count() == before + 1)

            // The round carries the parent's matrix, rules and thresholds for its indicators only.
            let parentRows = try await Assignment.query(on: app.db).filter(\.$campaign.$id == pid).filter(\.$indicatorCode ~~ codes).all()
            let roundRows = try await Assignment.query(on: app.db).filter(\.$campaign.$id == round.id).all()
            #expect(roundRows.count == parentRows.count && !roundRows.isEmpty)
            for o in parentRows {
                #expect(roundRows.first { $0.$region.id == o.$region.id && $0.indicatorCode == o.indicatorCode }?.$leadUnit.id == o.$leadUnit.id)
            }
            #expect(try await ThresholdService.lines(round.id, on: app.db).map(\.indicatorCode).sorted() == codes.sorted())
            // The daily schedule fills the window from its first working day (two a day, as the parent files).
            let schedule = try await ScheduleEntry.query(on: app.db).filter(\.$campaign.$id == round.id).all()
            #expect(Set(schedule.map(\.indicatorCode)) == Set(codes) && schedule.count == roundRows.count)
            #expect(schedule.allSatisfy { $0.day == "2023-04-03" }, "\(schedule.map(\.day))")
            let dto = try await app.send(.GET, "/api/v1/campaigns/\(round.id)", headers: .bearer(token)).decode(CampaignDTO.self)
            #expect(dto.parentCampaignID == pid && dto.round == "2023年第1季度")
            // Verification 18–23 April: Sunday 23 April 2023 was a 劳动节 调休 working day, so the report starts on the 24th.
            #expect(dto.phases.map(\.start) == ["2023-01-01", "2023-04-03", "2023-04-18", "2023-04-24"])
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "create_round").all()
            #expect(audit.count == 1 && audit.first?.entityID == round.id.uuidString && audit.first?.actorUsername == "coordinator")

            // The form: a window inside the quarter is named beside its field with the input kept; a good one opens
            // the round, whose page names its period and its campaign; the campaign page lists it.
            let s = try await app.webSession("coordinator")
            let form = try await app.send(.GET, "/campaigns/\(pid)/rounds/new", headers: s.headers)
            #expect(form.status == .ok && form.text.contains("name=\"indicatorCodes[]\" value=\"starting_business\" checked"))
            let bad = try await app.send(
                .POST, "/campaigns/\(pid)/rounds", headers: s.headers,
                formBody: "_csrf=\(s.csrf)&period=monthly&year=2023&number=3&filingStart=2023-03-15&filingEnd=2023-04-07&indicatorCodes%5B%5D=paying_taxes")
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("晚于监测期末（2023-03-31）") && bad.text.contains("value=\"2023-03-15\"") && bad.text.contains("value=\"3\""))
            #expect(bad.text.contains("value=\"paying_taxes\" checked") && !bad.text.contains("value=\"starting_business\" checked"))
            let good = try await app.send(
                .POST, "/campaigns/\(pid)/rounds", headers: s.headers,
                formBody: "_csrf=\(s.csrf)&period=monthly&year=2023&number=3&filingStart=&filingEnd=&indicatorCodes%5B%5D=paying_taxes")
            #expect(good.status == .seeOther)
            let march = try #require(try await Campaign.query(on: app.db).filter(\.$parentCampaignID == pid).filter(\.$roundPeriod == "monthly").first())
            #expect(good.headers.first(name: .location) == "/campaigns/\(try march.requireID())")
            let page = try await app.send(.GET, "/campaigns/\(try march.requireID())", headers: s.headers)
            #expect(page.text.contains("监测期") && page.text.contains("2023年3月监测轮次"))
            let list = try await app.send(.GET, "/campaigns/\(pid)", headers: s.headers)
            #expect(list.text.contains("常态化监测（2 轮）") && list.text.contains("2023年3月") && list.text.contains("2023年第1季度"))
            // The round's own dispatch board, on a day of its window, lists its two indicators due that day.
            app.settings.clock = .fixed(AppClock.noon(try #require(Day("2023-04-03"))))
            let board = try await app.send(.GET, "/api/v1/campaigns/\(round.id)/dispatch", headers: .bearer(token))
            #expect(board.status == .ok && board.text.contains("starting_business") && board.text.contains("paying_taxes"), "\(board.text.prefix(300))")
            let unit = try await app.webSession("unithead")
            #expect(try await app.send(.GET, "/campaigns/\(pid)/rounds/new", headers: unit.headers).status == .forbidden)
        }
    }

    @Test("a city's rounds: the city office opens one, a county office may not (403) and sees only its county's progress and scores", arguments: TestDatabase.available)
    func cityRounds(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await RegionScopeAppTests.province(app)
            try await RegionScopeAppTests.account(app, "qscity", unitRegion: p.city, regions: [p.city])
            try await RegionScopeAppTests.account(app, "donghu", unitRegion: p.neighbour, regions: [p.neighbour])
            let cid = try p.cityCampaign.requireID()
            let codes = ["starting_business", "paying_taxes"]
            let county = try await app.apiToken("donghu")
            let refused = try await app.send(.POST, "/api/v1/campaigns/\(cid)/rounds", headers: .bearer(county), json: Self.body("quarterly", 2023, 1, codes))
            #expect(refused.status == .forbidden)
            let city = try await app.apiToken("qscity")
            let made = try await app.send(.POST, "/api/v1/campaigns/\(cid)/rounds", headers: .bearer(city), json: Self.body("quarterly", 2023, 1, codes))
            #expect(made.status == .created, "\(made.text)")
            let round = try made.decode(RoundDTO.self)
            let regions = try await CampaignRegion.query(on: app.db).filter(\.$campaign.$id == cid).count()
            #expect(round.total == regions * 2 && regions == 8)
            // Every county's 开办企业 accepted with the same answers, then scored by the city.
            for a in try await Assignment.query(on: app.db).filter(\.$campaign.$id == round.id).filter(\.$indicatorCode == "starting_business").all() {
                let f = Filing(campaignID: round.id, regionID: a.$region.id, indicatorCode: "starting_business", leadUnitID: try #require(try await Unit.query(on: app.db).first()?.id), by: "filer")
                f.state = FilingState.accepted.rawValue
                f.answers = ["q1": "4", "q2": "8.5", "q3": "5.25", "q4": "500", "q5": "否"]
                try await f.create(on: app.db)
            }
            let s = try await app.webSession("qscity")
            #expect(try await app.send(.POST, "/campaigns/\(round.id)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let seen = try await app.send(.GET, "/api/v1/campaigns/\(cid)/rounds", headers: .bearer(county)).decode(RoundList.self)
            #expect(seen.rounds.first?.total == 2 && seen.rounds.first?.handedIn == 1)
            #expect(seen.trend.overall.map(\.regionName) == [p.neighbour.name])
            let all = try await app.send(.GET, "/api/v1/campaigns/\(cid)/rounds", headers: .bearer(city)).decode(RoundList.self)
            #expect(all.rounds.first?.handedIn == regions && all.trend.overall.count == regions)
        }
    }

    @Test("a unit sees the rounds it owes on its home page: filing with the deadline, overdue, and done once handed in", arguments: TestDatabase.available)
    func owed(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let parent = try await CampaignTests.demoCampaign(app)
            let pid = try parent.requireID()
            let lead = try #require(try await Assignment.query(on: app.db).filter(\.$campaign.$id == pid)
                .filter(\.$indicatorCode == "starting_business").first()?.$leadUnit.id)
            let filer = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            try #require(filer.$unit.id == lead, "the demo's filer is in the unit leading 开办企业")
            let token = try await app.apiToken("coordinator")
            let round = try await app.send(
                .POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(token), json: Self.body("quarterly", 2023, 1, ["starting_business", "paying_taxes"])
            ).decode(RoundDTO.self)

            func home(_ user: String) async throws -> String {
                let s = try await app.webSession(user)
                let html = try await app.send(.GET, "/", headers: s.headers).text
                guard let start = html.range(of: "id=\"rounds\"") else { return "" }
                return String(html[start.lowerBound...].prefix(1500))
            }
            app.settings.clock = .fixed(AppClock.noon(try #require(Day("2023-04-10"))))
            var section = try await home("filer")
            #expect(section.contains("\(parent.name) · 2023年第1季度监测") && section.contains("填报中，2023-04-17 截止，1 项未报送"), "\(section)")
            // The tax bureau's filer owes its own indicator, not 开办企业; the bureau (not a unit) gets no such list.
            #expect(try await home("filer_tax").contains("1 项未报送"))
            #expect(try await home("coordinator").isEmpty)
            app.settings.clock = .fixed(AppClock.noon(try #require(Day("2023-04-20"))))
            section = try await home("filer")
            #expect(section.contains("已过截止日期（2023-04-17），1 项未报送") && section.contains("class=\"urgent\""))
            // …and at the top of the page, among today's to-dos.
            let s = try await app.webSession("filer")
            let page = try await app.send(.GET, "/", headers: s.headers).text
            #expect(page.contains("<li class=\"urgent\"><a href=\"/#rounds\"><strong>1</strong> 监测轮次中尚未报送的指标</a></li>"))

            // Handed in (submitted through the filing workflow, as the filer does): done for this unit.
            let filerToken = try await app.apiToken("filer")
            let opened = try await app.send(.POST, "/api/v1/campaigns/\(round.id)/filings/starting_business", headers: .bearer(filerToken))
            try #require(opened.status == .ok, "\(opened.text)")
            let fid = try opened.decode(FilingDTO.self).id
            let saved = try await app.send(
                .PUT, "/api/v1/filings/\(fid)", headers: .bearer(filerToken), json: FilingTests.FilingBody(version: 1, answers: FilingTests.fullAnswers()))
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(try await FilingTests.upload(app, fid, token: filerToken, name: "实施方案.pdf").status == .created)
            #expect(try await FilingTests.act(app, fid, filerToken, "submit").status == .ok)
            #expect(try await home("filer").contains("已全部报送"))
        }
    }

    @Test("the trend: each round's latest scores side by side, equal to the distance-to-frontier scores of what was filed; in the API, the trend page and the report", arguments: TestDatabase.available)
    func trend(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let parent = try await CampaignTests.demoCampaign(app)
            let pid = try parent.requireID()
            let token = try await app.apiToken("coordinator")
            let s = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(pid)/scores/run", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            // 开办企业: steps 1–7, time 0.5–10 working days, cost 0–1000 yuan, documents 2–15 (best–worst), one-stop yes/no.
            // Q1 filed at the midpoints and "否": (50 + 50 + 50 + 50 + 0) / 5 = 40. Q2 filed at the best values and
            // "是": 100. Q3 is not scored: a gap, not a zero.
            let answers: [[String: String]] = [
                ["q1": "4", "q2": "8.5", "q3": "5.25", "q4": "500", "q5": "否"],
                ["q1": "1", "q2": "2", "q3": "0.5", "q4": "0", "q5": "是"],
            ]
            var ids: [UUID] = []
            for number in 1...3 {
                let round = try await app.send(
                    .POST, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(token), json: Self.body("quarterly", 2023, number, ["starting_business"])
                ).decode(RoundDTO.self)
                ids.append(round.id)
                guard number <= 2 else { continue }
                let row = try #require(try await Assignment.query(on: app.db).filter(\.$campaign.$id == round.id).first())
                let f = Filing(campaignID: round.id, regionID: row.$region.id, indicatorCode: "starting_business", leadUnitID: try #require(row.$leadUnit.id), by: "filer")
                f.state = FilingState.accepted.rawValue
                f.answers = answers[number - 1]
                try await f.create(on: app.db)
                let run = try await app.send(.POST, "/campaigns/\(round.id)/scores/run", headers: s.headers, form: ["_csrf": s.csrf])
                #expect(run.status == .seeOther)
            }
            let list = try await app.send(.GET, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(token)).decode(RoundList.self)
            #expect(list.rounds.map(\.id) == ids)
            #expect(list.rounds.map(\.scored) == [true, true, false])
            #expect(list.trend.labels == ["2023年第1季度", "2023年第2季度", "2023年第3季度"])
            #expect(list.trend.overall.map(\.regionName) == ["青山县"])
            #expect(list.trend.indicators.map(\.code) == ["starting_business"])
            let values = try #require(list.trend.indicators.first?.lines.first?.values)
            #expect(values.count == 3 && values[2] == nil)
            #expect(abs((values[0] ?? -1) - 40) < 1e-9 && abs((values[1] ?? -1) - 100) < 1e-9, "\(values)")

            let page = try await app.send(.GET, "/campaigns/\(pid)/scores/trend", headers: s.headers)
            #expect(page.status == .ok)
            #expect(page.text.contains("<td>40.00</td><td>100.00</td><td>—</td>"), "the table lists the rounds' scores")
            #expect(page.text.components(separatedBy: "<svg").count - 1 == 2, "one chart for the overall score, one for 开办企业")
            let report = try await app.send(.GET, "/campaigns/\(pid)/report", headers: s.headers)
            #expect(report.status == .ok && report.text.contains("常态化监测：青山县各监测轮次得分"))
            #expect(report.text.contains("<td>开办企业</td><td>40.00</td><td>100.00</td><td>—</td>"))
            // A unit user lists the rounds but gets no scores through this route.
            let filer = try await app.apiToken("filer")
            let seen = try await app.send(.GET, "/api/v1/campaigns/\(pid)/rounds", headers: .bearer(filer)).decode(RoundList.self)
            #expect(seen.rounds.count == 3 && seen.trend.overall.isEmpty && seen.trend.indicators.isEmpty)
        }
    }
}
