import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// The application has one clock (`AppClock`); a test sets "today" and the 2022 demo campaign runs on its own dates.
@Suite("One clock")
struct ClockTests {
    static func day(_ s: String) throws -> Day { try #require(Day(s)) }

    @Test("a filing's events and versions are timed by the application's clock, not the machine's (scoring counts late days from them)", arguments: TestDatabase.available)
    func filingTimes(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let f = try #require(try await Filing.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$indicatorCode == "starting_business").first())
            let fid = try f.requireID()
            let replayed = AppClock.noon(try Self.day("2022-11-20"))
            app.settings.clock = .fixed(replayed)
            let coord = try await app.apiToken("coordinator")
            let reopened = try await app.send(
                .POST, "/api/v1/filings/\(fid)/transitions", headers: .bearer(coord), json: ["action": "reopen", "reason": "补充印证材料"])
            #expect(reopened.status == .ok, "\(reopened.text)")
            let event = try #require(try await FilingEvent.query(on: app.db).filter(\.$filing.$id == fid).filter(\.$action == "reopen").first())
            #expect(event.at == replayed)
            let filer = try await app.apiToken("filer")
            let fresh = try #require(try await Filing.find(fid, on: app.db))
            let saved = try await app.send(
                .PUT, "/api/v1/filings/\(fid)", headers: .bearer(filer), json: FilingSaveInput(answers: fresh.answers, version: fresh.version))
            #expect(saved.status == .ok, "\(saved.text)")
            let version = try #require(try await FilingVersion.query(on: app.db).filter(\.$filing.$id == fid).sort(\.$version, .descending).first())
            #expect(version.savedAt == replayed)
        }
    }

    @Test("答疑 threads, replies, read marks and the notifications they send are timed by the application's clock", arguments: TestDatabase.available)
    func questionTimes(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID().uuidString
            let asked = AppClock.noon(try Self.day("2022-10-12"))
            app.settings.clock = .fixed(asked)
            let filer = try await app.apiToken("filer")
            let q = try await app.send(
                .POST, "/api/v1/questions", headers: .bearer(filer),
                json: ["campaignID": cid, "indicatorCode": "starting_business", "title": "回放日期的问题", "body": "按哪天算？"]
            ).decode(QuestionDTO.self)
            let qid = q.id
            #expect(try await Question.find(qid, on: app.db)?.lastActivityAt == asked)
            let answered = AppClock.noon(try Self.day("2022-10-13"))
            app.settings.clock = .fixed(answered)
            let coord = try await app.apiToken("coordinator")
            #expect(try await app.send(.POST, "/api/v1/questions/\(qid)/replies", headers: .bearer(coord), json: ["body": "按受理日算。"]).status == .ok)
            #expect(try await QuestionReply.query(on: app.db).filter(\.$question.$id == qid).first()?.createdAt == answered)
            #expect(try await Question.find(qid, on: app.db)?.lastActivityAt == answered)
            let filerUser = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            let notice = try #require(
                try await InAppNotification.query(on: app.db).filter(\.$user.$id == filerUser.requireID()).filter(\.$message ~~ "回放日期的问题").first())
            #expect(notice.createdAt == answered)
            let read = AppClock.noon(try Self.day("2022-10-14"))
            app.settings.clock = .fixed(read)
            let s = try await app.webSession("filer")
            #expect(try await app.send(.GET, "/questions/\(qid)", headers: s.headers).status == .ok)
            #expect(try await QuestionRead.query(on: app.db).filter(\.$question.$id == qid).first()?.readAt == read)
        }
    }

    @Test("a 2022 campaign on its dates: the board's today, overdue filings, survey expiry and past deadlines follow the clock", arguments: TestDatabase.available)
    func campaignOnItsDates(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let coord = try await app.apiToken("coordinator")

            // 2022-10-14, mid-campaign: the board is of that day, and what was due before it is overdue.
            app.settings.clock = .fixed(AppClock.noon(try Self.day("2022-10-14")))
            let mid = try await app.send(.GET, "/api/v1/campaigns/\(cid)/dispatch", headers: .bearer(coord)).decode(DispatchDTO.self)
            #expect(mid.date == "2022-10-14")
            #expect(!mid.overdue.isEmpty && mid.overdue.allSatisfy { ($0.due ?? "9999") < "2022-10-14" })
            // 2022-09-01, the first day: nothing can be overdue yet.
            app.settings.clock = .fixed(AppClock.noon(try Self.day("2022-09-01")))
            let first = try await app.send(.GET, "/api/v1/campaigns/\(cid)/dispatch", headers: .bearer(coord)).decode(DispatchDTO.self)
            #expect(first.date == "2022-09-01" && first.overdue.isEmpty)

            // Survey links issued on 2022-10-14 last 30 days: open on 11-12, expired on 11-15.
            app.settings.clock = .fixed(AppClock.noon(try Self.day("2022-10-14")))
            let s = try await app.webSession("assessor")
            let drawn = try await app.send(
                .POST, "/campaigns/\(cid)/samples", headers: s.headers,
                form: ["_csrf": s.csrf, "size": "5", "seed": "1", "strata[]": "township", "allocation": "proportional", "statuses[]": "在业"])
            let drawPath = try #require(drawn.headers.first(name: .location))
            #expect(try await app.send(.POST, "\(drawPath)/surveys", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let response = try #require(try await SurveyResponse.query(on: app.db).first())
            #expect(response.expiresAt.map(AppClock.chinaDay(of:)) == (try Self.day("2022-11-13")))
            app.settings.clock = .fixed(AppClock.noon(try Self.day("2022-11-12")))
            #expect(!(try await app.send(.GET, "/s/\(response.token)").text.contains("问卷已过期")))
            app.settings.clock = .fixed(AppClock.noon(try Self.day("2022-11-15")))
            #expect(try await app.send(.GET, "/s/\(response.token)").text.contains("问卷已过期"))

            // A rectification deadline is "in the past" by the clock, not by the machine's date.
            let filer = try await app.apiToken("filer")
            let scjg = try await app.unitID("SCJG")
            var body = ["campaignID": cid.uuidString, "indicatorCode": "starting_business", "problem": "银行开户仍需线下办理",
                        "measures": "推动银行开户预约接入一网通办", "unitID": scjg.uuidString, "leader": "王局长", "deadline": "2022-11-14"]
            let past = try await app.send(.POST, "/api/v1/rectifications", headers: .bearer(filer), json: body)
            #expect(past.status == .unprocessableEntity)
            body["deadline"] = "2022-12-31"
            #expect(try await app.send(.POST, "/api/v1/rectifications", headers: .bearer(filer), json: body).status == .created)
        }
    }

    @Test("a cooperating unit is reminded of the filing dates of the indicators it sees on the dispatch board", arguments: TestDatabase.available)
    func cooperatingUnitsDigest(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            // An indicator the tax bureau cooperates on (does not lead), not yet handed in, with a filing date.
            let swj = try await app.unitID("SWJ")
            let handedIn = Set(try await Filing.query(on: app.db).filter(\.$campaign.$id == cid).all().filter { $0.workStatus.isHandedIn }.map(\.indicatorCode))
            var found: (code: String, day: String)?
            for a in try await Assignment.query(on: app.db).filter(\.$campaign.$id == cid).with(\.$cooperators).all()
            where a.$leadUnit.id != swj && a.cooperators.contains(where: { $0.$unit.id == swj }) && !handedIn.contains(a.indicatorCode) {
                if let e = try await ScheduleEntry.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$indicatorCode == a.indicatorCode).first() {
                    found = (a.indicatorCode, e.day)
                    break
                }
            }
            let (code, day) = try #require(found, "the demo has an indicator the tax bureau cooperates on")
            let name = try #require(try await CampaignIndicator.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$code == code).first()?.name)
            app.settings.clock = .fixed(AppClock.noon(try Self.day(day)))
            let tax = try await app.webSession("filer_tax")
            let notices = try await app.send(.GET, "/notifications", headers: tax.headers)
            #expect(notices.text.contains("【今日应报】\(name)"))
        }
    }

    @Test("shifted: time runs, but today is the chosen day, in China time")
    func shifted() throws {
        let clock = AppClock.system.shifted(to: try Self.day("2023-03-01"))
        #expect(clock.today == (try Self.day("2023-03-01")))
        // 23:30 UTC on 2022-12-31 is already 2023-01-01 in China.
        let lateUTC = try #require(ISO8601DateFormatter().date(from: "2022-12-31T23:30:00Z"))
        #expect(AppClock.chinaDay(of: lateUTC) == (try Self.day("2023-01-01")))
        #expect(AppClock.chinaDay(of: AppClock.noon(try Self.day("2024-02-29"))) == (try Self.day("2024-02-29")))
    }
}
