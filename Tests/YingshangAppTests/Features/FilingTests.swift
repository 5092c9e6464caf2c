import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
import YingshangOffice
import ZIPFoundation
@testable import YingshangApp

/// The filing workflow end to end: fill, attach, approve, return, resubmit, accept; races, bad files, other units.
@Suite("Filing and review")
struct FilingTests {
    static let pdf = Data("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n".utf8)

    /// Opens the demo campaign's 开办企业 filing as the filer.
    static func open(_ app: Application, as user: String = "filer", indicator: String = "starting_business") async throws
        -> (FilingDTO, String, UUID)
    {
        let c = try await CampaignTests.demoCampaign(app)
        let token = try await app.apiToken(user)
        let res = try await app.send(.POST, "/api/v1/campaigns/\(try c.requireID())/filings/\(indicator)", headers: .bearer(token))
        try #require(res.status == .ok, "\(res.text)")
        return (try res.decode(FilingDTO.self), token, try c.requireID())
    }

    static func fullAnswers() -> [String: String] {
        let ind = NationalCatalog.indicators[0]
        return Dictionary(uniqueKeysWithValues: ind.questionnaire.map { item in
            (item.code, item.subIndicatorCode == "one_stop" ? "是" : item.shape == .list ? "设立登记\n刻制印章" : item.subIndicatorCode == nil ? "已实现免费发放" : "2")
        })
    }

    static func upload(_ app: Application, _ filingID: UUID, token: String, name: String, item: String? = nil, data: Data = pdf)
        async throws -> TestingHTTPResponse
    {
        var path = "/api/v1/filings/\(filingID)/evidence?name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        if let item { path += "&item=\(item)" }
        return try await app.testing().sendRequest(.PUT, path, headers: .bearer(token)) { req in
            req.headers.contentType = .binary
            req.body = ByteBuffer(data: data)
        }
    }

    /// A filer in 供电公司, which neither leads nor cooperates on 开办企业 in the demo.
    static func outsider(_ app: Application) async throws -> String {
        let admin = try await app.apiToken("admin")
        let res = try await app.send(
            .POST, "/api/v1/users", headers: .bearer(admin),
            json: ["username": "filer_gd", "displayName": "供电填报员", "role": "filer", "unitID": try await app.unitID("GD").uuidString, "password": "power2026"])
        try #require(res.status == .created)
        return "filer_gd"
    }

    static func act(_ app: Application, _ id: UUID, _ token: String, _ action: String, reason: String? = nil) async throws
        -> TestingHTTPResponse
    {
        var body = ["action": action]
        if let reason { body["reason"] = reason }
        return try await app.send(.POST, "/api/v1/filings/\(id)/transitions", headers: .bearer(token), json: body)
    }

    @Test("fill, attach, approve, return with a reason, fix, resubmit, accept; dispatch and audit follow", arguments: TestDatabase.available)
    func fullFlow(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, campaignID) = try await Self.open(app)
            #expect(filing.state == "draft")
            #expect(filing.version == 1)

            // Submitting an empty filing names what is missing.
            let early = try await Self.act(app, filing.id, filer, "submit")
            #expect(early.status == .unprocessableEntity)
            #expect(early.apiError?.fields?["q1"]?.contains("未填写") == true)

            let saved = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer),
                json: FilingBody(version: 1, answers: Self.fullAnswers()))
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(try saved.decode(FilingDTO.self).version == 2)

            let noEvidence = try await Self.act(app, filing.id, filer, "submit")
            #expect(noEvidence.status == .unprocessableEntity)
            #expect(noEvidence.apiError?.fields?.values.contains { $0.contains("须上传印证资料") } == true)

            let up = try await Self.upload(app, filing.id, token: filer, name: "开办企业实施方案.pdf")
            #expect(up.status == .created, "\(up.text)")
            let att = try up.decode(FilingDTO.Attachment.self)
            #expect(att.sha256.count == 64)
            #expect(try await Self.act(app, filing.id, filer, "submit").status == .ok)

            let head = try await app.apiToken("unithead")
            #expect(try await Self.act(app, filing.id, head, "approve").status == .ok)

            let coord = try await app.apiToken("coordinator")
            let noReason = try await Self.act(app, filing.id, coord, "return")
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.apiError?.fields?["reason"] == "退回或重新打开必须填写原因")
            let returned = try await Self.act(app, filing.id, coord, "return", reason: "开办时间口径应为工作日")
            #expect(returned.status == .ok)
            let r = try returned.decode(FilingDTO.self)
            #expect(r.state == "draft")
            #expect(r.status == "returned")
            #expect(r.lastReason == "开办时间口径应为工作日")

            let dispatch = try await app.send(.GET, "/api/v1/campaigns/\(campaignID)/dispatch?date=2022-10-14", headers: .bearer(coord))
                .decode(DispatchDTO.self)
            #expect(dispatch.lines.first { $0.indicatorCode == "starting_business" }?.status == "returned")

            var fixed = Self.fullAnswers()
            fixed["q3"] = "1.5"
            let v = r.version
            #expect(try await app.send(.PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingBody(version: v, answers: fixed)).status == .ok)
            #expect(try await Self.act(app, filing.id, filer, "submit").status == .ok)
            #expect(try await Self.act(app, filing.id, head, "approve").status == .ok)
            let accepted = try await Self.act(app, filing.id, coord, "accept")
            #expect(try accepted.decode(FilingDTO.self).state == "accepted")

            // Accepted filings are locked.
            let locked = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingBody(version: 99, answers: fixed))
            #expect(locked.status == .conflict)
            #expect(locked.apiError?.code == "locked")

            let final = try await app.send(.GET, "/api/v1/filings/\(filing.id)", headers: .bearer(coord)).decode(FilingDTO.self)
            #expect(final.events.map(\.action) == ["submit", "approve", "return", "submit", "approve", "accept"])
            #expect(final.events[2].reason == "开办时间口径应为工作日")
            let after = try await app.send(.GET, "/api/v1/campaigns/\(campaignID)/dispatch?date=2022-10-14", headers: .bearer(coord))
                .decode(DispatchDTO.self)
            #expect(after.lines.first { $0.indicatorCode == "starting_business" }?.status == "accepted")
            let audits = try await AuditEntry.query(on: app.db).filter(\.$entityType == "filing").all().map(\.action)
            for a in ["update", "attach", "submit", "approve", "return", "accept"] { #expect(audits.contains(a), "\(a)") }

            // The web page shows the timeline and the diff between the last two saves.
            let s = try await app.webSession("coordinator")
            let page = try await app.send(.GET, "/filings/\(filing.id)", headers: s.headers)
            #expect(page.status == .ok)
            #expect(page.text.contains("开办时间口径应为工作日"))
            let diff = try await app.send(.GET, "/filings/\(filing.id)/diff", headers: s.headers)
            #expect(diff.status == .ok)
            let auditor = try await app.webSession("auditor")
            let auditPage = try await app.send(.GET, "/audit?entityType=filing&action=return", headers: auditor.headers)
            #expect(auditPage.text.contains("退回"))
            #expect(auditPage.text.contains("开办时间口径应为工作日"))
        }
    }

    struct FilingBody: Encodable, Sendable {
        let version: Int
        let answers: [String: String]
    }

    @Test("services take a caller, not a request: the workflow called directly as a job would saves, refuses the unit head's accept and audits without an address", arguments: TestDatabase.available)
    func serviceCalledDirectly(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (dto, _, _) = try await Self.open(app)
            func user(_ name: String) async throws -> User {
                try #require(try await User.query(on: app.db).filter(\.$username == name).first())
            }
            let filing = try #require(try await Filing.find(dto.id, on: app.db))
            try await FilingService.save(filing, answers: Self.fullAnswers(), expectedVersion: filing.version, by: app.caller(user("filer")))
            let saved = try #require(try await Filing.find(dto.id, on: app.db))
            #expect(saved.version == dto.version + 1 && saved.answers == Self.fullAnswers())
            let entry = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$entityID == dto.id.uuidString).filter(\.$action == "update").first())
            #expect(entry.actorUsername == "filer" && entry.ip == nil)
            // Only the bureau accepts: the unit head is refused with 403 and the filing stays a draft.
            do {
                try await FilingService.transition(saved, FilingTransitionInput(action: "accept", reason: nil), by: app.caller(user("unithead")))
                Issue.record("the unit head accepted a filing")
            } catch let e as AppError {
                #expect(e.status == .forbidden, "\(e)")
            }
            #expect(try await Filing.find(dto.id, on: app.db)?.state == "draft")
            // Another unit's filer cannot save into it at all.
            _ = try await Self.outsider(app)
            do {
                try await FilingService.save(saved, answers: [:], expectedVersion: saved.version, by: app.caller(user("filer_gd")))
                Issue.record("another unit's filer saved")
            } catch let e as AppError {
                #expect(e.status == .forbidden)
            }
            #expect(try await Filing.find(dto.id, on: app.db)?.answers == Self.fullAnswers())
        }
    }

    @Test("two saves from the same version: the second gets 409 and nothing is lost", arguments: TestDatabase.available)
    func race(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await Self.open(app)
            let head = try await app.apiToken("unithead")
            let first = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingBody(version: 1, answers: ["q1": "3"]))
            #expect(first.status == .ok)
            let second = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(head), json: FilingBody(version: 1, answers: ["q1": "5"]))
            #expect(second.status == .conflict)
            #expect(second.apiError?.code == "version_conflict")
            #expect(second.apiError?.message.contains("已被他人修改") == true)
            let now = try await app.send(.GET, "/api/v1/filings/\(filing.id)", headers: .bearer(filer)).decode(FilingDTO.self)
            #expect(now.answers["q1"] == "3")
            #expect(now.version == 2)

            // Concurrent saves: exactly one wins.
            async let a = app.send(.PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingBody(version: 2, answers: ["q1": "6"]))
            async let b = app.send(.PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(head), json: FilingBody(version: 2, answers: ["q1": "7"]))
            let statuses = [try await a.status, try await b.status]
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 1)

            // The web form keeps what the user typed and offers to reload.
            let s = try await app.webSession("filer")
            let page = try await app.send(
                .POST, "/filings/\(filing.id)", headers: s.headers,
                form: ["_csrf": s.csrf, "version": "1", "answers[q1]": "8", "answers[q6]": "我的输入"])
            #expect(page.status == .conflict)
            #expect(page.text.contains(">我的输入</textarea>"))
            #expect(page.text.contains("刷新查看最新版本"))
            // The question that asks to list the steps takes a list, beside the number of steps.
            #expect(page.text.contains("name=\"answers[q1a]\"") && page.text.contains("placeholder=\"每行一项\""))
        }
    }

    @Test("bad input: out-of-range answer, disguised executable, traversal name, oversize file — nothing stored", arguments: TestDatabase.available)
    func badInput(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await Self.open(app)
            let range = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingBody(version: 1, answers: ["q3": "-2", "q1": "abc"]))
            #expect(range.status == .unprocessableEntity)
            #expect(range.apiError?.fields?["q3"]?.contains("不能为负数") == true)
            #expect(range.apiError?.fields?["q1"]?.contains("应填写数字") == true)

            let exe = try await Self.upload(app, filing.id, token: filer, name: "方案.pdf", data: Data([0x4D, 0x5A, 0x90, 0x00] + Array(repeating: 0, count: 64)))
            #expect(exe.status == .unprocessableEntity)
            #expect(exe.apiError?.fields?["file"] == "文件是可执行程序，已拒绝")
            // A refused upload closes its connection: a body left partly unread must not stall the next request.
            #expect(exe.headers.first(name: .connection) == "close")
            let fake = try await Self.upload(app, filing.id, token: filer, name: "报表.xlsx")
            #expect(fake.apiError?.fields?["file"]?.contains("与扩展名 .xlsx 不符") == true)
            let traversal = try await Self.upload(app, filing.id, token: filer, name: "../../etc/passwd.pdf")
            #expect(traversal.status == .unprocessableEntity)
            #expect(traversal.apiError?.fields?["name"]?.contains("文件名无效") == true)
            let exeName = try await Self.upload(app, filing.id, token: filer, name: "tool.exe")
            #expect(exeName.apiError?.fields?["name"]?.contains(".exe") == true)

            app.settings.uploadLimitBytes = 1024
            let big = try await Self.upload(app, filing.id, token: filer, name: "大文件.pdf", data: Self.pdf + Data(repeating: 0x20, count: 4096))
            #expect(big.status == .payloadTooLarge)

            #expect(try await FilingAttachment.query(on: app.db).count() == 0)
            #expect(try await Filing.find(filing.id, on: app.db)?.version == 1)
        }
    }

    @Test("another unit's filer and head are refused with 403", arguments: TestDatabase.available)
    func otherUnits(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await Self.open(app)
            // 税务局 cooperates on 开办企业, so its filer may read but not edit.
            let taxFiler = try await app.apiToken("filer_tax")
            #expect(try await app.send(.GET, "/api/v1/filings/\(filing.id)", headers: .bearer(taxFiler)).status == .ok)
            let outsider = try await app.apiToken(try await Self.outsider(app), password: "power2026")
            let view = try await app.send(.GET, "/api/v1/filings/\(filing.id)", headers: .bearer(outsider))
            #expect(view.status == .forbidden)
            let edit = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(taxFiler), json: FilingBody(version: 1, answers: ["q1": "1"]))
            #expect(edit.status == .forbidden)
            let upload = try await Self.upload(app, filing.id, token: taxFiler, name: "x.pdf")
            #expect(upload.status == .forbidden)

            // Submit properly, then a head of another unit (the tax bureau has none in the demo: make one) may not approve.
            _ = try await app.send(.PUT, "/api/v1/filings/\(filing.id)", headers: .bearer(filer), json: FilingBody(version: 1, answers: Self.fullAnswers()))
            _ = try await Self.upload(app, filing.id, token: filer, name: "a.pdf")
            #expect(try await Self.act(app, filing.id, filer, "submit").status == .ok)
            let admin = try await app.apiToken("admin")
            _ = try await app.send(
                .POST, "/api/v1/users", headers: .bearer(admin),
                json: ["username": "head_tax", "displayName": "税务局负责人", "role": "unit_head", "unitID": try await app.unitID("SWJ").uuidString, "password": "taxhead2026"])
            let taxHead = try await app.apiToken("head_tax", password: "taxhead2026")
            let approve = try await Self.act(app, filing.id, taxHead, "approve")
            #expect(approve.status == .forbidden)
            // The filer cannot approve their own filing; the bureau cannot skip the unit head.
            let own = try await Self.act(app, filing.id, filer, "approve")
            #expect(own.status == .forbidden)
            let coord = try await app.apiToken("coordinator")
            let skip = try await Self.act(app, filing.id, coord, "accept")
            #expect(skip.status == .conflict)
            #expect(try await Filing.find(filing.id, on: app.db)?.state == "submitted")
        }
    }

    @Test("over a real connection, evidence over 1 MB and under the upload limit is stored", arguments: TestDatabase.available)
    func largeEvidence(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await Self.open(app)
            // 3 MB: the collected-body default (1 MB) must not apply to a streamed upload (it did, with a 413).
            var big = Self.pdf
            big.append(Data(repeating: 0x20, count: 3 << 20))
            let headers: HTTPHeaders = ["Authorization": "Bearer \(filer)", "Content-Type": "application/octet-stream"]
            let client = try app.testing(method: .running(port: 0))
            let ok = try await client.sendRequest(.PUT, "/api/v1/filings/\(filing.id)/evidence?name=big.pdf", headers: headers, body: ByteBuffer(data: big))
            #expect(ok.status == .created, "\(ok.status) \(ok.body.string)")
            let stored = try ok.content.decode(FilingDTO.Attachment.self)
            #expect(stored.size == big.count)
        }
    }

    @Test("the same file uploaded twice is stored once; downloads need access", arguments: TestDatabase.available)
    func contentAddressed(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await Self.open(app)
            let a = try await Self.upload(app, filing.id, token: filer, name: "一.pdf", item: "q1").decode(FilingDTO.Attachment.self)
            let b = try await Self.upload(app, filing.id, token: filer, name: "二.pdf", item: "q2").decode(FilingDTO.Attachment.self)
            #expect(a.sha256 == b.sha256)
            #expect(try await EvidenceBlob.query(on: app.db).filter(\.$sha256 == a.sha256).count() == 1)
            let stored = EvidenceStore.path(for: a.sha256, config: app.settings)
            #expect(FileManager.default.contents(atPath: stored) == Self.pdf)

            let s = try await app.webSession("filer")
            let dl = try await app.send(.GET, "/filings/\(filing.id)/evidence/\(a.id)", headers: s.headers)
            #expect(dl.status == .ok)
            #expect(Data(buffer: dl.body) == Self.pdf)
            #expect(dl.headers.first(name: .contentDisposition)?.hasPrefix("inline") == true)
            let other = try await app.webSession(try await Self.outsider(app), password: "power2026")
            #expect(try await app.send(.GET, "/filings/\(filing.id)/evidence/\(a.id)", headers: other.headers).status == .forbidden)
            let unknownItem = try await Self.upload(app, filing.id, token: filer, name: "三.pdf", item: "q99")
            #expect(unknownItem.apiError?.fields?["item"] != nil)
        }
    }
}

extension FilingTests {
    @Test("an 8,000-character answer: the limit is stated before submitting, the error names the item beside it, the text is kept, nothing saved", arguments: TestDatabase.available)
    func longAnswer(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, _, _) = try await Self.open(app)
            let s = try await app.webSession("filer")
            let page = try await app.send(.GET, "/filings/\(filing.id)", headers: s.headers)
            #expect(page.text.contains("maxlength=\"\(AnswerValidation.maxTextLength)\"") && page.text.contains("不超过 5000 字"))
            let long = String(repeating: "营商环境", count: 2000)  // 8,000 characters, 24 KB
            let res = try await app.send(
                .POST, "/filings/\(filing.id)", headers: s.headers,
                form: ["_csrf": s.csrf, "version": "\(filing.version)", "answers[q6]": long, "answers[q1]": "3"])
            #expect(res.status == .unprocessableEntity)
            #expect(res.text.contains("第 q6 题：不超过 5000 个字"))
            #expect(res.text.contains(">\(long)</textarea>"))
            #expect(try await Filing.find(filing.id, on: app.db)?.answers["q6"] == nil)
        }
    }
}

@Suite("Filing bulk export and import")
struct FilingBulkTests {
    func importFile(_ app: Application, _ s: WebSession, campaign: UUID, _ data: Data) async throws -> TestingHTTPResponse {
        struct Form: Content {
            let _csrf: String
            let file: File
        }
        return try await app.testing().sendRequest(.POST, "/campaigns/\(campaign)/filings/import", headers: s.headers) { req in
            try req.content.encode(Form(_csrf: s.csrf, file: File(data: ByteBuffer(data: data), filename: "f.xlsx")), as: .formData)
        }
    }

    @Test("export, fill in the spreadsheet, import; a bad cell rejects the whole file", arguments: TestDatabase.available)
    func roundTrip(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let s = try await app.webSession("filer")
            let export = try await app.send(.GET, "/campaigns/\(cid)/filings.xlsx", headers: s.headers)
            #expect(export.status == .ok)
            var sheets = try XLSX.read(Data(buffer: export.body))
            // The filer's unit leads three indicators in the demo.
            #expect(sheets.map(\.name) == ["starting_business", "intellectual_property", "market_regulation"])
            sheets[0].rows[3][3] = .text("三")  // q1 must be a number
            let bad = try await importFile(app, s, campaign: cid, try XLSX.write(sheets))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("第 4 行 D 列（q1）"))
            let afterRefusal = try await Filing.query(on: app.db).filter(\.$campaign.$id == cid).all()
            #expect(!afterRefusal.isEmpty && afterRefusal.allSatisfy { $0.answers.isEmpty })

            sheets[0].rows[3][3] = .text("3")
            let q3 = try #require(sheets[0].rows.firstIndex { $0.contains(.text("q3")) })
            sheets[0].rows[q3][3] = .number(1.5)
            let ok = try await importFile(app, s, campaign: cid, try XLSX.write(sheets))
            #expect(ok.status == .ok, "\(ok.text)")
            let f = try #require(try await Filing.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$indicatorCode == "starting_business").first())
            #expect(f.answers["q1"] == "3")
            #expect(f.answers["q3"] == "1.5")
            // An import is a save like any other: a new version holding the imported answers, audited as the filer's import.
            let fid = try f.requireID()
            let version = try #require(try await FilingVersion.query(on: app.db).filter(\.$filing.$id == fid).sort(\.$version, .descending).first())
            #expect(version.version == f.version)
            #expect(version.answersJSON.contains("\"q1\":\"3\""))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$entityType == "filing").filter(\.$action == "import").all()
            #expect(audit.contains { $0.entityID == fid.uuidString && $0.actorUsername == "filer" })

            // Importing the same old file again is refused: the filing moved on.
            let stale = try await importFile(app, s, campaign: cid, try XLSX.write(sheets))
            #expect(stale.status == .unprocessableEntity)
            #expect(stale.text.contains("请重新导出"))
        }
    }

    @Test("the evidence ZIP holds every file and a manifest", arguments: TestDatabase.available)
    func zip(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, cid) = try await FilingTests.open(app)
            _ = try await FilingTests.upload(app, filing.id, token: filer, name: "营业执照.pdf", item: "q1")
            let s = try await app.webSession("coordinator")
            let res = try await app.send(.GET, "/campaigns/\(cid)/evidence.zip", headers: s.headers)
            #expect(res.status == .ok)
            let archive = try Archive(data: Data(buffer: res.body), accessMode: .read)
            let paths = archive.map(\.path)
            #expect(paths.contains("manifest.csv"))
            #expect(paths.contains("starting_business/q1-营业执照.pdf"))
        }
    }
}

@Suite("Cooperating units")
struct ContributionTests {
    struct Assign: Encodable, Sendable { let unitID: UUID; let items: [String] }
    struct Contribute: Encodable, Sendable { let answers: [String: String]; let submit: Bool }

    @Test("the lead assigns items, the cooperating unit answers and submits, the lead merges", arguments: TestDatabase.available)
    func flow(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let (filing, filer, _) = try await FilingTests.open(app)
            let swj = try await app.unitID("SWJ")
            let gd = try await app.unitID("GD")
            let notCooperating = try await app.send(
                .POST, "/api/v1/filings/\(filing.id)/contributions", headers: .bearer(filer), json: Assign(unitID: gd, items: ["q2"]))
            #expect(notCooperating.status == .unprocessableEntity)
            #expect(try await app.send(
                .POST, "/api/v1/filings/\(filing.id)/contributions", headers: .bearer(filer), json: Assign(unitID: swj, items: ["q2", "q4"])
            ).status == .ok)
            // The web form shows the same refusal with the reason, not only a generic message.
            let s = try await app.webSession("filer")
            let page = try await app.send(
                .POST, "/filings/\(filing.id)/contributions", headers: s.headers,
                form: ["_csrf": s.csrf, "unitID": gd.uuidString, "items[]": "q2"])
            #expect(page.status == .unprocessableEntity)
            #expect(page.text.contains("该单位不是本指标的配合单位"))

            let tax = try await app.apiToken("filer_tax")
            // A cooperating unit cannot assign.
            #expect(try await app.send(
                .POST, "/api/v1/filings/\(filing.id)/contributions", headers: .bearer(tax), json: Assign(unitID: swj, items: ["q1"])
            ).status == .forbidden)
            let foreign = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)/contribution", headers: .bearer(tax), json: Contribute(answers: ["q1": "9"], submit: false))
            #expect(foreign.apiError?.fields?["items"]?.contains("q1") == true)
            let incomplete = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)/contribution", headers: .bearer(tax), json: Contribute(answers: ["q2": "4"], submit: true))
            #expect(incomplete.status == .unprocessableEntity)
            let submitted = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)/contribution", headers: .bearer(tax), json: Contribute(answers: ["q2": "4", "q4": "0"], submit: true))
            #expect(submitted.status == .ok)
            let contribution = try #require(try submitted.decode([FilingsAPIController.ContributionDTO].self).first)
            #expect(contribution.state == "submitted")

            // The GD filer has no part in this filing at all.
            let outsider = try await app.apiToken(try await FilingTests.outsider(app), password: "power2026")
            #expect(try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)/contribution", headers: .bearer(outsider), json: Contribute(answers: ["q2": "1"], submit: false)
            ).status == .forbidden)

            let merged = try await app.send(.POST, "/api/v1/filings/\(filing.id)/contributions/\(contribution.id)/merge", headers: .bearer(filer))
            #expect(merged.status == .ok)
            let f = try merged.decode(FilingDTO.self)
            #expect(f.answers["q2"] == "4")
            #expect(f.answers["q4"] == "0")
            #expect(f.version == 2)
            let late = try await app.send(
                .PUT, "/api/v1/filings/\(filing.id)/contribution", headers: .bearer(tax), json: Contribute(answers: ["q2": "5"], submit: false))
            #expect(late.status == .conflict)
        }
    }
}
