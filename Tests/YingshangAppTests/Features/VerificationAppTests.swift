import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp
import YingshangOffice

@Suite("Verification: business records, flags, responses and verified values")
struct VerificationAppTests {
    static func upload(_ app: Application, _ session: WebSession, _ path: String, csv: String, filename: String = "records.csv") async throws -> TestingHTTPResponse {
        let boundary = "----yingshang\(UUID().uuidString.prefix(8))"
        var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(session.csrf)\r\n"
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n"
        var headers = session.headers
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        return try await app.testing().sendRequest(.POST, path, headers: headers) { req in req.body = ByteBuffer(string: body) }
    }

    @Test("survey checks name the right response and enterprises: one answered every item alike, three share a phone", arguments: TestDatabase.available)
    func surveyFlags(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let p = DrawParameters(
                size: 30, strata: ["township"], allocation: .proportional, minPerStratum: 1, reserveRatio: 0, seed: 3,
                statuses: EnterpriseRegister.defaultSamplingStatuses, foundedBefore: nil, excludeDrawn: false, sd: [:])
            let draw = try await SampleService.draw(cid, p, by: nil, clock: app.clock, on: app.db)
            #expect(try await SurveyService.issue(draw, by: nil, clock: app.clock, on: app.db) >= 4)
            let responses = try await SurveyResponse.query(on: app.db).filter(\.$draw.$id == (try draw.requireID())).all()
            let template = try #require(try await SurveyService.currentTemplate(c, on: app.db).template)
            // Five indicators answered 是 / satisfaction 3 / 2 working days each: every answer alike.
            let indicators = Array(Set(template.items.filter { $0.code.hasSuffix(".days") }.map(\.indicatorCode)).sorted().prefix(5))
            #expect(indicators.count == 5)
            var alike: [String: String] = [:]
            for code in indicators { alike["\(code).used"] = "是"; alike["\(code).satisfaction"] = "3"; alike["\(code).days"] = "2" }
            var sharing: [String] = []
            for (i, r) in responses.prefix(4).enumerated() {
                r.answersJSON = JSONText.object(i == 0 ? alike : [indicators[0] + ".used": "否"])
                r.status = "submitted"
                try await r.save(on: app.db)
                guard i > 0 else { continue }
                let e = try await r.$enterprise.get(on: app.db)
                e.phone = "13912345678"
                try await e.save(on: app.db)
                sharing.append(e.name)
            }
            let assessor = try await app.webSession("assessor")
            #expect(try await app.send(.POST, "/campaigns/\(cid)/flags/run", headers: assessor.headers, form: ["_csrf": assessor.csrf]).status == .seeOther)
            let flags = try await VerificationFlag.query(on: app.db).all()
            let first = try await responses[0].$enterprise.get(on: app.db)
            let straight = try #require(flags.first { $0.key == "straight_lining|\(responses[0].id?.uuidString ?? "")" })
            #expect(straight.evidence.contains(first.name))
            let shared = try #require(flags.first { $0.key == "duplicate_contact|13912345678" })
            #expect(shared.evidence == "3 份问卷的企业联系电话均为 13912345678：" + sharing.sorted().joined(separator: "、"))
            #expect(!flags.contains { $0.key.hasPrefix("straight_lining|") && $0.key != straight.key })
        }
    }

    @Test("the assessor imports records for three indicators, gets flags, confirms and dismisses; the unit answers; verified values feed scoring", arguments: TestDatabase.available)
    func flow(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let assessor = try await app.webSession("assessor")
            let filerWeb = try await app.webSession("filer")
            // Only the assessor imports.
            #expect(try await Self.upload(app, filerWeb, "/campaigns/\(cid)/records/import?indicator=starting_business", csv: "x").status == .forbidden)

            // A bad file is rejected whole, naming row and column.
            let bad = try await Self.upload(
                app, assessor, "/campaigns/\(cid)/records/import?indicator=starting_business",
                csv: "办件编号,统一社会信用代码,申请日期,办结日期\nA1,91350100M000100Y43,2022-03-01,2022-03-02\nA2,911100001000013796,2022-03-01,2022-02-01\n")
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("第 3 行“统一社会信用代码”") && bad.text.contains("第 3 行“办结日期”"))
            #expect(try await BusinessRecord.query(on: app.db).count() == 0)

            for indicator in ["starting_business", "construction_permits", "getting_electricity"] {
                let csv = try await app.send(.GET, "/campaigns/\(cid)/records/demo.csv?indicator=\(indicator)", headers: assessor.headers)
                #expect(csv.status == .ok)
                let res = try await Self.upload(app, assessor, "/campaigns/\(cid)/records/import?indicator=\(indicator)", csv: csv.text)
                #expect(res.status == .seeOther, "\(indicator): \(res.text.prefix(300))")
            }
            #expect(try await BusinessRecord.query(on: app.db).count() == 240)
            let page = try await app.send(.GET, "/campaigns/\(cid)/records?indicator=starting_business&seed=7&size=5", headers: assessor.headers)
            #expect(page.status == .ok && page.text.contains("80 件办件") && page.text.contains("超出容差"))
            let again = try await app.send(.GET, "/campaigns/\(cid)/records?indicator=starting_business&seed=7&size=5", headers: assessor.headers)
            let ids = { (t: String) in t.components(separatedBy: "ST2022").dropFirst().map { String($0.prefix(5)) } }
            #expect(ids(page.text) == ids(again.text) && ids(page.text).count >= 5)

            // Checks: the understated company-registration time is caught; re-running adds nothing new.
            #expect(try await app.send(.POST, "/campaigns/\(cid)/flags/run", headers: filerWeb.headers, form: ["_csrf": filerWeb.csrf]).status == .forbidden)
            #expect(try await app.send(.POST, "/campaigns/\(cid)/flags/run", headers: assessor.headers, form: ["_csrf": assessor.csrf]).status == .seeOther)
            let flags = try await VerificationFlag.query(on: app.db).all()
            let mismatch = try #require(flags.first { $0.key == "record_mismatch|starting_business|time" })
            #expect(!flags.contains { $0.key.hasPrefix("record_mismatch|construction_permits") })
            #expect(flags.contains { $0.rule == FlagRule.evidenceMissing.rawValue })
            _ = try await app.send(.POST, "/campaigns/\(cid)/flags/run", headers: assessor.headers, form: ["_csrf": assessor.csrf])
            #expect(try await VerificationFlag.query(on: app.db).count() == flags.count)

            // The unit sees only its own flags and answers before the deadline; another unit cannot.
            let filer = try await app.apiToken("filer")
            let mine = try await app.send(.GET, "/api/v1/campaigns/\(cid)/flags", headers: .bearer(filer)).decode([FlagsAPIController.FlagDTO].self)
            let scjg = try await app.unitID("SCJG")
            #expect(!mine.isEmpty && mine.allSatisfy { $0.unitID == scjg })
            // The unit finds them from its home page, and the flags page shows it no assessor-only links.
            let home = try await app.send(.GET, "/", headers: filerWeb.headers)
            #expect(home.text.contains("待答复的核验问题") && home.text.contains("/campaigns/\(cid)/flags"))
            let unitFlags = try await app.send(.GET, "/campaigns/\(cid)/flags", headers: filerWeb.headers)
            #expect(unitFlags.status == .ok && !unitFlags.text.contains("/records\""))
            #expect(!unitFlags.text.contains("待核实 \(flags.count)"))  // counts cover only the unit's own flags
            // The list as a workbook: the unit's own flags only, as many as the API gives it.
            let unitSheet = try XLSX.read(Data(buffer: try await app.send(.GET, "/campaigns/\(cid)/flags.xlsx", headers: filerWeb.headers).body))
            #expect(unitSheet.first?.rows.first?.first == .text("规则"))
            #expect((unitSheet.first?.rows.count ?? 0) - 1 == mine.count)
            let allSheet = try XLSX.read(Data(buffer: try await app.send(.GET, "/campaigns/\(cid)/flags.xlsx", headers: assessor.headers).body))
            #expect((allSheet.first?.rows.count ?? 0) - 1 == flags.count)
            let mid = try mismatch.requireID()
            let tax = try await app.apiToken("filer_tax")
            #expect(try await app.send(.POST, "/api/v1/flags/\(mid)/response", headers: .bearer(tax), json: ["response": "x"]).status == .forbidden)
            let empty = try await app.send(.POST, "/api/v1/flags/\(mid)/response", headers: .bearer(filer), json: ["response": " "])
            #expect(empty.status == .unprocessableEntity)
            let answered = try await app.send(.POST, "/api/v1/flags/\(mid)/response", headers: .bearer(filer), json: ["response": "填报时按承诺时限填写，已核对系统数据。"])
            #expect(answered.status == .ok)

            // Confirm the mismatch, dismiss an evidence flag; a decision needs a reason.
            let token = try await app.apiToken("assessor")
            #expect(try await app.send(.POST, "/api/v1/flags/\(mid)/decision", headers: .bearer(token), json: ["status": "confirmed", "note": ""]).status == .unprocessableEntity)
            #expect(try await app.send(.POST, "/api/v1/flags/\(mid)/decision", headers: .bearer(filer), json: ["status": "dismissed", "note": "x"]).status == .forbidden)
            let confirmed = try await app.send(.POST, "/api/v1/flags/\(mid)/decision", headers: .bearer(token), json: ["status": "confirmed", "note": "系统数据显示中位数明显高于填报值"])
            #expect(try confirmed.decode(FlagsAPIController.FlagDTO.self).status == "confirmed")
            let other = try #require(flags.first { $0.rule == FlagRule.evidenceMissing.rawValue })
            let dismissed = try await app.send(.POST, "/api/v1/flags/\(try other.requireID())/decision", headers: .bearer(token), json: ["status": "dismissed", "note": "纸质材料已现场核验"])
            #expect(try dismissed.decode(FlagsAPIController.FlagDTO.self).status == "dismissed")
            // Decided flags take no more answers; an expired deadline refuses too.
            #expect(try await app.send(.POST, "/api/v1/flags/\(mid)/response", headers: .bearer(filer), json: ["response": "补充"]).status == .conflict)
            let open = try #require(try await VerificationFlag.query(on: app.db).filter(\.$status == "open").filter(\.$unit.$id == scjg).first())
            open.responseDeadline = "2020-01-01"
            try await open.update(on: app.db)
            let late = try await app.send(.POST, "/api/v1/flags/\(try open.requireID())/response", headers: .bearer(filer), json: ["response": "迟到的说明"])
            #expect(late.status == .conflict && late.apiError?.message.contains("已过答复期限") == true)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "verification_flag").count() >= 4)

            // The assessor adopts the record-derived value; scoring shows it with its source; the confirmed flag deducts.
            let region = try #require(try await Region.query(on: app.db).filter(\.$code == DemoCounty.countyCode).first())
            let chose = try await app.send(
                .POST, "/campaigns/\(cid)/verified-values", headers: assessor.headers,
                form: ["_csrf": assessor.csrf, "regionID": try region.requireID().uuidString, "indicator": "starting_business", "sub": "time", "choice": "records", "reason": "以系统办件数据为准"])
            #expect(chose.status == .seeOther)
            let vv = try #require(
                try await VerifiedValue.query(on: app.db).filter(\.$campaign.$id == c.requireID()).filter(\.$subCode == "time").first())
            #expect(vv.source == "records")
            let coord = try await app.apiToken("coordinator")
            let run = try await app.send(.POST, "/api/v1/campaigns/\(cid)/scoring-runs", headers: .bearer(coord)).decode(ScoresAPIController.RunDTO.self)
            let time = try #require(run.regions[0].indicators.first { $0.code == "starting_business" }?.subScores.first { $0.code == "time" })
            #expect(time.source == .records && time.value == vv.value)
            let table = try await ScoringService.unitTable(c, run: try await ScoringService.requireLatest(c, on: app.db), today: app.clock.today, on: app.db)
            let scjgRow = try #require(table.first { $0.unitID == scjg.uuidString })
            #expect(scjgRow.items.contains { $0.rule == AdjustmentRuleKind.falsificationPerFlag.rawValue && $0.points == -3 })
        }
    }

    @Test("field work: a visit can raise a flag; the assessor records, others only read", arguments: TestDatabase.available)
    func visits(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let assessor = try await app.webSession("assessor")
            let bad = try await app.send(
                .POST, "/campaigns/\(cid)/visits", headers: assessor.headers,
                form: ["_csrf": assessor.csrf, "visitedOn": "2022-13-01", "participants": "税务局 2 人", "notes": "", "raiseFlag": "1"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("日期格式应为 YYYY-MM-DD"))
            #expect(bad.text.contains("请填写核查记录"))
            #expect(bad.text.contains("登记问题须选择指标"))
            // What was typed is still in the form.
            #expect(bad.text.contains("value=\"税务局 2 人\""))
            #expect(bad.text.contains("value=\"2022-13-01\""))
            #expect(try await FieldVisit.query(on: app.db).count() == 0)
            let ok = try await app.send(
                .POST, "/campaigns/\(cid)/visits", headers: assessor.headers,
                form: ["_csrf": assessor.csrf, "kind": "interview", "visitedOn": "2022-11-10", "indicatorCode": "starting_business", "participants": "市场监管局、企业代表 5 人",
                       "notes": "企业反映银行开户仍需到柜台", "raiseFlag": "1"])
            #expect(ok.status == .seeOther)
            #expect(try await FieldVisit.query(on: app.db).count() == 1)
            let flag = try #require(try await VerificationFlag.query(on: app.db).filter(\.$rule == FlagRule.fieldWork.rawValue).first())
            let scjg = try await app.unitID("SCJG")
            #expect(flag.indicatorCode == "starting_business" && flag.$unit.id == scjg)
            let coord = try await app.webSession("coordinator")
            #expect(try await app.send(.POST, "/campaigns/\(cid)/visits", headers: coord.headers, form: ["_csrf": coord.csrf, "notes": "x"]).status == .forbidden)
            #expect(try await app.send(.GET, "/campaigns/\(cid)/visits", headers: coord.headers).text.contains("银行开户仍需到柜台"))

            // The record's file: uploaded, replaced (the audit entry names the file it replaced), refused to others.
            let visit = try #require(try await FieldVisit.query(on: app.db).first())
            func put(_ s: WebSession, _ name: String, _ bytes: String) async throws -> TestingHTTPResponse {
                var headers = s.headers
                headers.add(name: "X-CSRF-Token", value: s.csrf)
                return try await app.testing().sendRequest(.PUT, "/visits/\(try visit.requireID())/file?name=\(name)", headers: headers) { req in
                    req.body = ByteBuffer(string: bytes)
                }
            }
            #expect(try await put(assessor, "minutes1.pdf", "%PDF-1.4\nfirst\n%%EOF").status == .created)
            #expect(try await put(assessor, "minutes2.pdf", "%PDF-1.4\nsecond\n%%EOF").status == .created)
            #expect(try await put(assessor, "minutes3.pdf", "not a pdf").status == .unprocessableEntity)
            #expect(try await put(coord, "minutes4.pdf", "%PDF-1.4\nthird\n%%EOF").status == .forbidden)
            let file = try await app.send(.GET, "/visits/\(try visit.requireID())/file", headers: coord.headers)
            #expect(file.text.contains("second"))
            let replaced = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$entityType == "field_visit").filter(\.$action == "attach").sort(\.$at, .descending).first())
            #expect(replaced.beforeJSON?.contains("minutes1.pdf") == true)
            #expect(replaced.afterJSON?.contains("minutes2.pdf") == true)
        }
    }

    @Test("policy documents: the issued date is validated on upload and a date after the evaluation period raises a flag", arguments: TestDatabase.available)
    func policyDate(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, token, cid) = try await FilingTests.open(app)
            struct Save: Encodable, Sendable { let version: Int; let answers: [String: String] }
            #expect(try await app.send(.PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(token), json: Save(version: filing.version, answers: FilingTests.fullAnswers())).status == .ok)
            func upload(_ issued: String) async throws -> TestingHTTPResponse {
                try await app.testing().sendRequest(.PUT, "/api/v1/filings/\(filing.id)/evidence?name=policy.pdf&issued=\(issued)", headers: .bearer(token)) { req in
                    req.headers.contentType = .binary
                    req.body = ByteBuffer(data: FilingTests.pdf)
                }
            }
            let bad = try await upload("2022-02-30")
            #expect(bad.status == .unprocessableEntity && bad.apiError?.fields?["issued"] != nil)
            #expect(try await FilingAttachment.query(on: app.db).count() == 0)
            #expect(try await upload("2022-10-15").status == .created)
            #expect(try await FilingAttachment.query(on: app.db).first()?.issuedOn == "2022-10-15")
            #expect(try await FilingTests.act(app, filing.id, token, "submit").status == .ok)
            let assessor = try await app.webSession("assessor")
            _ = try await app.send(.POST, "/campaigns/\(cid)/flags/run", headers: assessor.headers, form: ["_csrf": assessor.csrf])
            let flag = try #require(try await VerificationFlag.query(on: app.db).filter(\.$rule == FlagRule.policyAfterCutoff.rawValue).first())
            // The demo's filing phase starts on 2022-10-01, so the period ends on 30 September.
            #expect(flag.observedValue == "截止 2022-09-30" && flag.indicatorCode == "starting_business")
        }
    }
}
