import Fluent
import SQLKit
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import YingshangCore
@testable import YingshangOffice
@testable import YingshangApp
import ZIPFoundation

@Suite("Enterprise register and sampling")
struct RegisterSamplingTests {
    static func upload(_ app: Application, _ s: WebSession, campaign: UUID, _ data: Data, skipInvalid: Bool) async throws -> TestingHTTPResponse {
        struct Form: Content {
            let _csrf: String
            let file: File
            let skipInvalid: String?
        }
        return try await app.testing().sendRequest(.POST, "/campaigns/\(campaign)/register/import", headers: s.headers) { req in
            try req.content.encode(
                Form(_csrf: s.csrf, file: File(data: ByteBuffer(data: data), filename: "名单.csv"), skipInvalid: skipInvalid ? "on" : nil),
                as: .formData)
        }
    }

    static func waitForJob(_ app: Application, _ location: String) async throws -> ImportJob {
        let id = try #require(UUID(uuidString: String(location.split(separator: "/").last ?? "")))
        for _ in 0..<200 {
            if let job = try await ImportJob.find(id, on: app.db), job.status != "running" { return job }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw Abort(.requestTimeout)
    }

    /// "统一社会信用代码,企业名称,所属乡镇" with two good rows and one bad row, in GB18030.
    static func gbCSV(good: [String]) -> Data {
        let lines = ["企业名称,统一社会信用代码,所属乡镇,备注"] + good.enumerated().map { "\"新企业,\($0.offset)\",\($0.element),青山镇,重点" }
            + ["坏企业,911100001000013796,火星镇,"]
        return Data(lines.joined(separator: "\r\n").data(using: String.Encoding(rawValue: 0x8000_0632)) ?? Data())
    }

    @Test("a GB18030 file with one bad row stores nothing; with skip-invalid it stores the good rows", arguments: TestDatabase.available)
    func importRegister(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let before = try await Enterprise.register(of: cid, on: app.db).count()
            #expect(before == 600)
            let s = try await app.webSession("assessor")
            let good = ["91350100M000100Y43", "91440300708461136T"]
            let res = try await Self.upload(app, s, campaign: cid, Self.gbCSV(good: good), skipInvalid: false)
            #expect(res.status == .seeOther)
            let job = try await Self.waitForJob(app, try #require(res.headers.first(name: .location)))
            #expect(job.status == "failed")
            #expect(job.problems.map(\.column).contains("统一社会信用代码"))
            #expect(job.problems.map(\.column).contains("所属乡镇/街道"))
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before)
            let page = try await app.send(.GET, "/jobs/\(try job.requireID())", headers: s.headers)
            #expect(page.text.contains("未导入任何企业"))

            let res2 = try await Self.upload(app, s, campaign: cid, Self.gbCSV(good: good), skipInvalid: true)
            let job2 = try await Self.waitForJob(app, try #require(res2.headers.first(name: .location)))
            #expect(job2.status == "done")
            #expect(job2.imported == 2)
            let stored = try #require(try await Enterprise.query(on: app.db).filter(\.$uscc == "91350100M000100Y43").first())
            #expect(stored.name == "新企业,0")
            #expect(stored.townshipCode == "370799101")
            #expect(stored.extraJSON.contains("重点"))
            let audit = try #require(try await AuditEntry.query(on: app.db).filter(\.$entityType == "register").sort(\.$at, .descending).first())
            #expect(audit.actorUsername == "assessor")
            // Importing the same enterprises again reports them as already in the register.
            let res3 = try await Self.upload(app, s, campaign: cid, Self.gbCSV(good: good), skipInvalid: false)
            let job3 = try await Self.waitForJob(app, try #require(res3.headers.first(name: .location)))
            #expect(job3.problems.contains { $0.reason == "已在名单中" })
        }
    }

    static func code(_ n: Int) -> String { USCC.synthetic(n, prefix: "923707") }

    @Test("names with a backslash, a tab, a line break, a literal \\N or quotes are stored exactly as in the file (PostgreSQL's COPY text escapes)", arguments: TestDatabase.available)
    func copyEscapes(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let names = ["甲\\乙公司", "丙\t丁公司", "戊\n己公司", "庚\r\n辛公司", "\\N", "壬\\\\t癸", "\"引号\"公司", "普通公司"]
            var lines = ["统一社会信用代码,企业名称,所属乡镇/街道,登记状态"]
            for (i, name) in names.enumerated() {
                lines.append("\(Self.code(700_000 + i)),\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\",370799101,在业")
            }
            let imported = try await RegisterImporter.run(
                campaignID: cid, data: Data(lines.joined(separator: "\n").utf8), filename: "escapes.csv", skipInvalid: false, db: app.db)
            #expect(imported.stored && imported.imported == names.count, "\(imported)")
            for (i, name) in names.enumerated() {
                let stored = try await Enterprise.register(of: cid, on: app.db).filter(\.$uscc == Self.code(700_000 + i)).first()
                #expect(stored?.name == name, "\(name.debugDescription)")
            }
            // The encoding itself, against the rules written out byte by byte.
            var batch = RegisterRowBatch()
            batch.append(EnterpriseRecord(
                uscc: Self.code(1), name: "a\\b\tc\nd\re", townshipCode: nil, industry: nil, size: nil, status: nil, founded: nil,
                contact: nil, phone: nil, extra: [:]))
            let text = RegisterImporter.copyText(batch, snapshot: Array("7".utf8))
            #expect(String(decoding: text, as: UTF8.self) == "7\t\(Self.code(1))\ta\\\\b\\tc\\nd\\re\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t{}\n")
        }
    }

    @Test("skip-invalid reads past the 1,000th problem: every valid row after it is stored and the summary counts every skipped row", arguments: TestDatabase.available)
    func skipInvalidPastTheErrorLimit(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let before = try await Enterprise.register(of: cid, on: app.db).count()
            // 1,500 rows with a malformed credit code, then 7 good rows at the very end of the file.
            var lines = ["统一社会信用代码,企业名称,所在乡镇"]
            for n in 0..<1_500 { lines.append("91X\(n),坏\(n),青山镇") }
            let good = (0..<7).map { Self.code(760_000 + $0) }
            for (n, code) in good.enumerated() { lines.append("\(code),好\(n),青山镇") }
            let file = Data(lines.joined(separator: "\n").utf8)

            let skipped = try await RegisterImporter.run(campaignID: cid, data: file, filename: "x.csv", skipInvalid: true, db: app.db)
            #expect(skipped.stored)
            #expect(skipped.imported == 7)
            #expect(skipped.skippedRows == 1_500)
            #expect(skipped.problems.count == 1_000)
            #expect(skipped.problemTotal == 1_500)
            #expect(skipped.summary == "已导入 7 家企业，跳过有错误的 1500 行，共 1500 处错误（列出前 1000 处）")
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + 7)
            for code in good { #expect(try await Enterprise.register(of: cid, on: app.db).filter(\.$uscc == code).count() == 1) }

            // Through the page: the job says what was skipped and how much of the list it shows.
            let s = try await app.webSession("assessor")
            var more = [lines[0]] + lines.dropFirst().prefix(1_500)
            more += (0..<3).map { "\(Self.code(765_000 + $0)),页面\($0),青山镇" }
            let res = try await Self.upload(app, s, campaign: cid, Data(more.joined(separator: "\n").utf8), skipInvalid: true)
            let job = try await Self.waitForJob(app, try #require(res.headers.first(name: .location)))
            #expect(job.status == "done" && job.imported == 3)
            let page = try await app.send(.GET, "/jobs/\(try job.requireID())", headers: s.headers).text
            #expect(page.contains("已导入 3 家企业，跳过有错误的 1500 行，共 1500 处错误（列出前 1000 处）"))
            #expect(page.contains("错误（列出 1000 处；总数见上方说明）"))
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + 10)

            // All or nothing: refused, and the summary does not pretend the list is complete.
            var again = lines
            again.append("\(Self.code(770_000)),新,青山镇")
            let refused = try await RegisterImporter.run(
                campaignID: cid, data: Data(again.joined(separator: "\n").utf8), filename: "y.csv", skipInvalid: false, db: app.db)
            #expect(!refused.stored)
            #expect(refused.problems.count == 1_000)
            #expect(refused.summary == "发现 至少 1000 处错误，未导入任何企业")
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + 10)
        }
    }

    /// The register's rows grouped by the database itself: what the stored counts must equal.
    static func groupedByDatabase(_ cid: UUID, on db: any Database) async throws -> [String: Int] {
        struct Row: Decodable { let township_code: String?; let industry: String?; let size: String?; let n: Int }
        let snapshot = try #require(try await RegisterSnapshot.number(of: cid, on: db))
        let rows = try await (db as! any SQLDatabase).raw("""
            SELECT township_code, industry, size, count(*) AS n FROM enterprises WHERE snapshot_id = \(bind: snapshot)
            GROUP BY township_code, industry, size
            """).all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ("\($0.township_code ?? "-")|\($0.industry ?? "-")|\($0.size ?? "-")", $0.n) })
    }

    static func storedCounts(_ cid: UUID, on db: any Database) async throws -> [String: Int] {
        let groups = try await RegisterCounts.groups(cid, on: db)
        return Dictionary(uniqueKeysWithValues: groups.map { ("\($0.township_code ?? "-")|\($0.industry ?? "-")|\($0.size ?? "-")", $0.n) })
    }

    @Test("the stored counts by township × industry × size equal the database's own grouping after imports; a refused one leaves them; the page shows them at once", arguments: TestDatabase.available)
    func storedCounts(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let demo = try await Self.groupedByDatabase(cid, on: app.db)
            #expect(demo.values.reduce(0, +) == 600)
            #expect(try await Self.storedCounts(cid, on: app.db) == demo)
            let township = "370799101"
            // Rows into an existing group, a new group with empty industry and size, and (skipped) one bad row.
            let csv = """
                统一社会信用代码,企业名称,所属乡镇,行业门类,企业规模
                \(Self.code(880_001)),新增一,\(township),C,小型
                \(Self.code(880_002)),新增二,\(township),,
                \(Self.code(880_003)),新增三,\(township),,
                91X1,坏,\(township),C,小型
                """
            let added = try await RegisterImporter.run(campaignID: cid, data: Data(csv.utf8), filename: "a.csv", skipInvalid: true, db: app.db)
            #expect(added.stored && added.imported == 3, "\(added.problems)")
            let after = try await Self.groupedByDatabase(cid, on: app.db)
            #expect(after.values.reduce(0, +) == 603)
            #expect(after["\(township)|-|-"] == 2)
            #expect(try await Self.storedCounts(cid, on: app.db) == after)
            // Refused (the same file again: three codes already stored, one bad row): counts unchanged.
            let refused = try await RegisterImporter.run(
                campaignID: cid, data: Data(csv.utf8), filename: "b.csv", skipInvalid: false, db: app.db)
            #expect(!refused.stored)
            #expect(try await Self.storedCounts(cid, on: app.db) == after)
            // No per-instance cache: the page counts the new rows right away.
            let s = try await app.webSession("assessor")
            #expect(try await app.send(.GET, "/campaigns/\(cid)/register", headers: s.headers).text.contains("共 603 家"))
            // A register written around the importer (the benchmark loaders) is counted afresh.
            let snapshot = try #require(try await RegisterSnapshot.number(of: cid, on: app.db))
            try await (app.db as! any SQLDatabase).raw("DELETE FROM register_counts").run()
            try await RegisterCounts.recount(snapshot, on: app.db as! any SQLDatabase)
            #expect(try await Self.storedCounts(cid, on: app.db) == after)
        }
    }

    @Test("a large load drops the unique key and builds it once; a bad row stores nothing; the key holds afterwards", arguments: TestDatabase.available)
    func bulkLoad(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            func count() async throws -> Int { try await Enterprise.register(of: cid, on: app.db).count() }
            let before = try await count()
            var lines = ["统一社会信用代码,企业名称,所属乡镇/街道,行业门类,企业规模,登记状态,成立日期,注册资本"]
            for i in 0..<500 { lines.append("\(Self.code(i)),批量企业\(i),370799101,C,小型,存续,2020-01-0\(i % 9 + 1),\(i)万元") }
            // Another spelling of every field: checked the slow way, stored the same way.
            lines.append("\(Self.code(500)), 批量企业500 ,青山镇,制造业,微型,在业,2020年1月1日,")
            // Line breaks, a backslash and a tab inside a name survive both databases' bulk paths.
            let oddName = "多行\n名称\\带反斜杠\t和制表符"
            lines.append("\(Self.code(501)),\"\(oddName)\",,,,,,")
            let good = Data(lines.joined(separator: "\n").utf8)
            let bad = good + Data("\n\(Self.code(0)),重复企业,,,,,,\n".utf8)
            // A threshold of one row makes this small file take the path of a million-row one.
            let rejected = try await RegisterImporter.run(
                campaignID: cid, data: bad, filename: "bad.csv", skipInvalid: false, db: app.db, rebuildIndexAbove: 1)
            #expect(!rejected.stored)
            #expect(rejected.problems.map(\.reason) == ["与第 2 行重复"])
            #expect(try await count() == before)

            let loaded = try await RegisterImporter.run(
                campaignID: cid, data: good, filename: "good.csv", skipInvalid: false, db: app.db, rebuildIndexAbove: 1)
            #expect(loaded.stored)
            #expect(loaded.imported == 502)
            #expect(try await count() == before + 502)
            #expect(try await Enterprise.query(on: app.db).filter(\.$uscc == Self.code(501)).first()?.name == oddName)
            let fast = try #require(try await Enterprise.query(on: app.db).filter(\.$uscc == Self.code(7)).first())
            #expect(fast.name == "批量企业7")
            #expect(fast.founded == "2020-01-08")
            #expect(fast.extraJSON.contains("7万元"))
            let slow = try #require(try await Enterprise.query(on: app.db).filter(\.$uscc == Self.code(500)).first())
            #expect([slow.name, slow.townshipCode, slow.industry, slow.size, slow.founded] == ["批量企业500", "370799101", "C", "微型", "2020-01-01"])
            #expect(slow.extraJSON == "{}")

            // The database still refuses a second row with the same credit code in the campaign.
            let sql = try #require(app.db as? any SQLDatabase)
            let snapshot = try #require(try await RegisterSnapshot.number(of: cid, on: app.db))
            await #expect(throws: (any Error).self) {
                try await sql.raw(
                    "INSERT INTO enterprises (snapshot_id, uscc, name, extra) VALUES (\(bind: snapshot), \(bind: Self.code(3)), 'x', '{}')"
                ).run()
            }
            if db == .sqlite {
                let indexes = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enterprises'").all()
                #expect(try indexes.map { try $0.decode(column: "name", as: String.self) }.contains(MoveRegisterToIntegerKeys.indexName))
            }
            // Again: every row is now already in the register.
            let again = try await RegisterImporter.run(
                campaignID: cid, data: good, filename: "good.csv", skipInvalid: false, db: app.db, rebuildIndexAbove: 1)
            #expect(!again.stored)
            #expect(again.problems.count == 502)
            #expect(!again.problems.isEmpty && again.problems.allSatisfy { $0.reason == "已在名单中" })
        }
    }

    @Test("the page's streamed upload imports from a temporary file; the export pages through the whole register", arguments: TestDatabase.available)
    func streamedUploadAndExport(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let before = try await Enterprise.register(of: cid, on: app.db).count()
            func put(_ s: WebSession, name: String, _ body: String, skip: Bool = false, csrf: Bool = true) async throws -> TestingHTTPResponse {
                var headers = s.headers
                if csrf { headers.add(name: "X-CSRF-Token", value: s.csrf) }
                let query = "name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" + (skip ? "&skipInvalid=1" : "")
                return try await app.testing().sendRequest(.PUT, "/campaigns/\(cid)/register/upload?\(query)", headers: headers) { req in
                    req.body = ByteBuffer(string: body)
                }
            }
            // More rows than one export page, so the export has to continue after its first page.
            let added = SQLiteRegisterStore.exportPage + 400
            // One row has a value in a column the register does not know: kept, and exported again.
            var lines = ["统一社会信用代码,企业名称,所属乡镇/街道,备注"]
            for i in 0..<added { lines.append("\(Self.code(10_000 + i)),上传企业\(i),370799101,\(i == 7 ? "\"重点,企业\"" : "")") }
            let csv = lines.joined(separator: "\r\n")
            let assessor = try await app.webSession("assessor")

            let jobs = try await ImportJob.query(on: app.db).count()
            // Refused before anything is stored: another role, a missing CSRF token, a wrong file type, an empty file.
            let filer = try await app.webSession("filer")
            #expect(try await put(filer, name: "名单.csv", csv).status == .forbidden)
            #expect(try await put(assessor, name: "名单.csv", csv, csrf: false).status == .forbidden)
            let wrongType = try await put(assessor, name: "名单.txt", csv)
            #expect(wrongType.status == .unprocessableEntity)
            #expect(wrongType.text.contains("CSV 或 XLSX"))
            let empty = try await put(assessor, name: "名单.csv", "")
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("文件为空"))
            // Too large: refused from the declared length before reading, or when the streamed bytes pass the limit.
            for (declared, limit) in [(String(RegisterUploads.limitBytes + 1), RegisterUploads.limitBytes), (nil, 1_000)] {
                let req = Request(application: app, method: .PUT, url: "/", collectedBody: ByteBuffer(string: csv), on: app.eventLoopGroup.any())
                // What a client announces (the initialiser sets the length of the body it was given).
                if let declared { req.headers.replaceOrAdd(name: .contentLength, value: declared) }
                do {
                    _ = try await RegisterUploads.receive(req, limit: limit)
                    Issue.record("a body over the limit was accepted (declared \(declared ?? "none"))")
                } catch let error as AppError {
                    #expect(error.status == .payloadTooLarge)
                    #expect(error.message.contains("文件超过 \(limit >> 20) MB"))
                }
            }
            #expect(try await ImportJob.query(on: app.db).count() == jobs)

            // Seen before the upload, so the counts cached then must give way to the new ones.
            #expect(try await app.send(.GET, "/campaigns/\(cid)/register", headers: assessor.headers).text.contains("共 \(before) 家"))
            let res = try await put(assessor, name: "名单.csv", csv)
            #expect(res.status == .ok)
            let started = try res.content.decode(RegisterWebController.UploadStarted.self)
            let job = try await Self.waitForJob(app, started.url)
            #expect(job.status == "done")
            #expect(job.imported == added)
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + added)
            // The temporary copy is removed once the import ends (other cases may be uploading meanwhile).
            let tmp = (app.settings.dataDirectory as NSString).appendingPathComponent("tmp")
            var left = ["?"]
            for _ in 0..<100 where !left.isEmpty {
                left = ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).filter { $0.hasPrefix("register-") }
                if !left.isEmpty { try await Task.sleep(nanoseconds: 100_000_000) }
            }
            #expect(left.isEmpty)

            let export = try await app.send(.GET, "/campaigns/\(cid)/register.csv", headers: assessor.headers)
            #expect(export.status == .ok)
            #expect(export.headers.contentType?.description.hasPrefix("text/csv") == true)
            let text = export.text
            #expect(text.hasPrefix("\u{FEFF}统一社会信用代码,企业名称"))
            // Extra columns follow the known ones in name order: the demo's 从业人员, then this file's 备注.
            #expect(text.split(separator: "\r\n").first?.hasSuffix(",联系电话,从业人员,备注") == true)
            #expect(text.contains("\(Self.code(10_007)),上传企业7,370799101,,,,,,,,\"重点,企业\"\r\n"))
            #expect(text.contains("\(Self.code(10_008)),上传企业8,370799101,,,,,,,,\r\n"))
            let rows = text.split(separator: "\r\n").dropFirst().map { String($0.split(separator: ",").first ?? "") }
            #expect(rows.count == before + added)
            #expect(Set(rows).count == rows.count)
            #expect(rows == rows.sorted())
            #expect(text.contains("\(Self.code(10_000 + added - 1)),上传企业\(added - 1),370799101"))

            // The page counts per township (a link filtering the list to it) without loading the register.
            let inTownship = try await Enterprise.register(of: cid, on: app.db).filter(\.$townshipCode == "370799101").count()
            let township = try #require(try await Region.query(on: app.db).filter(\.$code == "370799101").first()).name
            let page = try await app.send(.GET, "/campaigns/\(cid)/register", headers: assessor.headers)
            #expect(page.text.contains("共 \(before + added) 家"))
            #expect(page.text.contains("<a href=\"/campaigns/\(cid)/register?township=370799101\">\(township)</a>：\(inTownship)"))
            let filtered = try await app.send(.GET, "/campaigns/\(cid)/register?township=370799101", headers: assessor.headers)
            #expect(filtered.text.contains("列表共 \(inTownship) 家"))
            #expect(filtered.text.contains("<strong>\(township)</strong>"))
            // A later page, filtered and not, holds the rows Fluent's own offset query gives, in credit-code order.
            for (filter, township) in [("", nil), ("&township=370799101", "370799101")] {
                var reference = try await Enterprise.register(of: cid, on: app.db)
                if let township { reference = reference.filter(\.$townshipCode == township) }
                let expected = try await reference.sort(\.$uscc).offset(100).limit(50).all().map(\.uscc)
                let shown = try await app.send(.GET, "/campaigns/\(cid)/register?page=3\(filter)", headers: assessor.headers).text
                    .components(separatedBy: "<td data-label=\"代码\" class=\"nowrap\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
                #expect(!expected.isEmpty && shown == expected, "\(filter)")
            }
            let q = "上传企业".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let search = try await app.send(.GET, "/campaigns/\(cid)/register?q=\(q)&township=370799101&page=2", headers: assessor.headers)
            #expect(search.text.contains("共 \(added) 条"))
            #expect(search.text.contains("2/\((added + 49) / 50)"))
            #expect(search.text.components(separatedBy: "<td data-label=\"名称\">上传企业").count == 51)
            // Searched literally: "_" and "%" are not wildcards (no name or code holds them).
            for literal in ["_", "%25"] {
                #expect(try await app.send(.GET, "/campaigns/\(cid)/register?q=\(literal)", headers: assessor.headers).text.contains("共 0 条"))
            }
            // A credit code typed in lower case finds its enterprise.
            let byCode = try await app.send(.GET, "/campaigns/\(cid)/register?q=\(Self.code(10_007).lowercased())", headers: assessor.headers)
            #expect(byCode.text.contains("共 1 条") && byCode.text.contains(">上传企业7<"))
            // Past the last page the count still shows.
            let beyond = try await app.send(.GET, "/campaigns/\(cid)/register?q=\(q)&township=370799101&page=99", headers: assessor.headers)
            #expect(beyond.text.contains("共 \(added) 条"))
        }
    }

    @Test("PostgreSQL's search: the count and every page equal the window query's, by either way of reading the page", arguments: TestDatabase.available.filter { $0 == .postgres })
    func postgresSearchWays(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let snapshot = try #require(try await RegisterSnapshot.number(of: try c.requireID(), on: app.db))
            let sql = try app.db.sql()
            let store = try RegisterStores.on(app.db)
            for needle in ["有限公司", "县", "不存在的名字", "%"] {
                for (offset, limit) in [(0, 50), (50, 50), (500, 20), (590, 50), (1_000_000, 50)] {
                    let condition = store.substringCondition(snapshot: snapshot, name: needle, code: nil)
                    let window = try await sql.raw("""
                        SELECT uscc, COUNT(*) OVER () AS total FROM enterprises WHERE \(condition) ORDER BY uscc LIMIT \(bind: limit) OFFSET \(bind: offset)
                        """).all()
                    let expectedCodes = try window.map { try $0.decode(column: "uscc", as: String.self) }
                    let all = try await sql.raw("SELECT COUNT(*) AS n FROM enterprises WHERE \(condition)").first()
                    let expectedCount = try all?.decode(column: "n", as: Int.self) ?? -1
                    if needle == "有限公司" || needle == "县" { #expect(expectedCount > 500, "\(needle)") }
                    for walkLimit in [0, Double.infinity] {
                        let (n, rows) = try await RegisterQueries.postgresSearch(condition, snapshot: snapshot, offset: offset, limit: limit, walkLimit: walkLimit, on: sql)
                        #expect(n == expectedCount, "\(needle) \(offset) \(walkLimit)")
                        #expect(rows.map(\.uscc) == expectedCodes, "\(needle) \(offset) \(walkLimit)")
                    }
                }
            }
        }
    }

    @Test("hostile names entered through the register import leave the exports inert; contacts are masked for all but the assessor, and every such export is audited", arguments: TestDatabase.available)
    func hostileExportAndPersonalData(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            // A name with a comma and quotes (so it must be quoted) that starts like a formula.
            let hostile = "=HYPERLINK(\"http://x.example/\",\"点此\")"
            let csv = "统一社会信用代码,企业名称,联系人,联系电话\n\(Self.code(900_001)),\"\(hostile.replacingOccurrences(of: "\"", with: "\"\""))\",\"@张三\",13812345678\n"
            let outcome = try await RegisterImporter.run(
                campaignID: cid, data: Data(csv.utf8), filename: "hostile.csv", skipInvalid: false, db: app.db)
            #expect(outcome.stored, "\(outcome.problems)")
            let assessor = try await app.webSession("assessor")
            let full = try await app.send(.GET, "/campaigns/\(cid)/register.csv", headers: assessor.headers)
            let line = try #require(full.text.split(separator: "\r\n").first { $0.contains("HYPERLINK") })
            #expect(line.contains("\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"点此\"\")\""))
            #expect(line.contains(",'@张三,13812345678"))
            let coordinator = try await app.webSession("coordinator")
            let masked = try await app.send(.GET, "/campaigns/\(cid)/register.csv", headers: coordinator.headers)
            let maskedLine = try #require(masked.text.split(separator: "\r\n").first { $0.contains("HYPERLINK") })
            #expect(maskedLine.contains(",'@**,138****5678"))
            #expect(!masked.text.contains("13812345678"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "export_personal_data").count() == 2)
        }
    }

    @Test("start-up removes day-old uploads and closes import jobs a stopped server left running", arguments: TestDatabase.available)
    func sweep(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let dir = (app.settings.dataDirectory as NSString).appendingPathComponent("tmp")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let old = "\(dir)/register-\(UUID().uuidString)"
            let fresh = "\(dir)/register-\(UUID().uuidString)"
            #expect(FileManager.default.createFile(atPath: old, contents: Data("x".utf8)))
            #expect(FileManager.default.createFile(atPath: fresh, contents: Data("x".utf8)))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * 86_400)], ofItemAtPath: old)
            let interrupted = ImportJob(kind: "register", campaignID: cid, by: "assessor")
            try await interrupted.create(on: app.db)
            let running = ImportJob(kind: "register", campaignID: cid, by: "assessor")
            try await running.create(on: app.db)
            // Seen two hours later, the first job is stale; the second one started just now.
            let later = Date().addingTimeInterval(7_200)
            try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: fresh)
            running.createdAt = later
            running.leaseUntil = JobLease.expiry(from: later)
            try await running.update(on: app.db)
            _ = try await RegisterUploads.sweep(app: app, now: later)
            #expect(!FileManager.default.fileExists(atPath: old))
            #expect(FileManager.default.fileExists(atPath: fresh))
            try? FileManager.default.removeItem(atPath: fresh)
            let closed = try #require(try await ImportJob.find(interrupted.requireID(), on: app.db))
            #expect(closed.status == "failed")
            #expect(closed.message.contains("中断"))
            #expect(try await ImportJob.find(running.requireID(), on: app.db)?.status == "running")
        }
    }

    @Test("a job whose lease ran out (its server was killed) is closed within a minute by whoever reads it; its upload is removed", arguments: TestDatabase.available)
    func abandonedJob(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let dir = (app.settings.dataDirectory as NSString).appendingPathComponent("tmp")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let upload = "\(dir)/register-\(UUID().uuidString)"
            #expect(FileManager.default.createFile(atPath: upload, contents: Data("x".utf8)))
            // Killed 61 seconds after its last renewal: no restart, no sweep at start-up.
            let killed = ImportJob(kind: "register", campaignID: cid, by: "assessor")
            killed.uploadPath = upload
            killed.leaseUntil = Date().addingTimeInterval(-1)
            try await killed.create(on: app.db)
            let alive = ImportJob(kind: "register", campaignID: cid, by: "assessor")
            try await alive.create(on: app.db)

            let token = try await app.apiToken("assessor")
            let res = try await app.send(.GET, "/api/v1/jobs/\(try killed.requireID())", headers: .bearer(token))
            #expect(res.status == .ok)
            struct Job: Decodable { let status: String; let message: String }
            let job = try res.decode(Job.self)
            #expect(job.status == "failed")
            #expect(job.message == JobLease.abandonedMessage)
            #expect(!FileManager.default.fileExists(atPath: upload))
            let other = try await app.send(.GET, "/api/v1/jobs/\(try alive.requireID())", headers: .bearer(token))
            #expect(try other.decode(Job.self).status == "running")
            // The page says what happened and how to retry.
            let s = try await app.webSession("assessor")
            let page = try await app.send(.GET, "/jobs/\(try killed.requireID())", headers: s.headers)
            #expect(page.text.contains("请回到企业名单页面重新上传"))
        }
    }

    @Test("a GB18030 file is decoded a chunk at a time: any cut gives the rows of the UTF-8 file")
    func gb18030Chunks() throws {
        var lines = ["统一社会信用代码,企业名称,所属乡镇/街道,行业门类,企业规模,登记状态,成立日期,联系人"]
        for i in 0..<40 {
            // Two- and four-byte characters (𠀀 is four bytes in GB18030), and a line break inside a quoted name.
            let name = i % 7 == 3 ? "\"多行\n企业𠀀\(i)\"" : "青山县豫章商贸有限公司\(i)"
            lines.append("\(Self.code(20_000 + i)),\(name),青山镇,制造业,小型,存续,2019-05-0\(i % 9 + 1),联系人\(i)")
        }
        let text = lines.joined(separator: "\r\n") + "\r\n"
        let gb = try #require(text.data(using: TextDecoding.gb18030))
        #expect(gb != Data(text.utf8))
        func rows(_ input: RegisterBatchProducer.Input, chunk: Int) throws -> ([[String?]], [RowProblem]) {
            let producer = RegisterBatchProducer(
                input: input, townships: ["青山镇": "370799101"], existing: [], skipInvalid: false, estimate: 40, progress: nil, chunkSize: chunk)
            var out: [[String?]] = []
            while let batch = try producer.next() {
                for r in 0..<batch.count { out.append((0..<RegisterRowBatch.columns).map { batch.string(row: r, column: $0) }) }
            }
            return (out, producer.problems)
        }
        let (expected, noProblems) = try rows(.utf8(.data(Data(text.utf8)), skip: 0), chunk: 1 << 20)
        #expect(expected.count == 40)
        #expect(noProblems.isEmpty)
        #expect(expected.contains { $0.contains("多行\n企业𠀀3") })
        for chunk in [1, 2, 3, 5, 7, 64, 1 << 20] {
            let (got, problems) = try rows(.gb18030(.data(gb)), chunk: chunk)
            #expect(got == expected, "chunk \(chunk)")
            #expect(problems.isEmpty)
        }
        // Bytes that are not GB18030 half-way through: an error naming the row, not a half-read file.
        var broken = try #require("统一社会信用代码,企业名称\n\(Self.code(1)),甲公司\n\(Self.code(2)),乙公司\n".data(using: TextDecoding.gb18030))
        broken.append(contentsOf: [0x39, 0x31, 0x2C, 0xFF, 0xFF, 0x0A])
        broken.append(contentsOf: try #require("\(Self.code(3)),丙公司\n".data(using: TextDecoding.gb18030)))
        for chunk in [7, 1 << 20] {
            do {
                _ = try rows(.gb18030(.data(broken)), chunk: chunk)
                Issue.record("a file with bytes that are not GB18030 was read (chunk \(chunk))")
            } catch let error as AppError {
                #expect(error.fields?["file"]?.contains("第 4 行无法按 GB18030/GBK 解码") == true, "chunk \(chunk)")
            }
        }
    }

    /// A workbook as Excel writes one: shared strings, and here a namespace prefix on every sheet element.
    static func handmadeWorkbook(rows: [(Int, [String])], shared: [String]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        func add(_ path: String, _ text: String) throws { try XLSX.addPart(path, text, to: archive) }
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        try add("xl/workbook.xml", #"<workbook xmlns="\#(main)" xmlns:r="\#(rel)"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#)
        try add(
            "xl/_rels/workbook.xml.rels",
            #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\#(rel)/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#)
        try add(
            "xl/sharedStrings.xml",
            #"<sst xmlns="\#(main)">"# + shared.map { "<si><t>\(XLSX.escape($0))</t></si>" }.joined() + "</sst>")
        var sheet = #"<x:worksheet xmlns:x="\#(main)"><x:dimension ref="A1:D\#(rows.last?.0 ?? 1)"/><x:sheetData>"#
        for (number, cells) in rows {
            sheet += #"<x:row r="\#(number)">"#
            for (i, cell) in cells.enumerated() where !cell.isEmpty {
                let ref = XLSX.columnName(i) + String(number)
                if let k = shared.firstIndex(of: cell) {
                    sheet += #"<x:c r="\#(ref)" t="s"><x:v>\#(k)</x:v></x:c>"#
                } else {
                    sheet += #"<x:c r="\#(ref)" t="inlineStr"><x:is><x:t>\#(XLSX.escape(cell))</x:t></x:is></x:c>"#
                }
            }
            sheet += "</x:row>"
        }
        try add("xl/worksheets/sheet1.xml", sheet + "</x:sheetData></x:worksheet>")
        return try #require(archive.data)
    }

    @Test("an XLSX register streams: shared strings, prefixed elements, skipped rows keep Excel's numbers, a bad row is named", arguments: TestDatabase.available)
    func xlsxStreams(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let before = try await Enterprise.register(of: cid, on: app.db).count()
            let shared = ["统一社会信用代码", "企业名称", "所属乡镇/街道", "青山镇", "小型"]
            // More rows than one chunk handed from the parsing thread; rows 4 and 5 are missing from the sheet.
            var rows: [(Int, [String])] = [(1, ["统一社会信用代码", "企业名称", "所属乡镇/街道", "企业规模"])]
            for n in 2...2_600 where n != 4 && n != 5 {
                rows.append((n, [Self.code(30_000 + n), "表格企业\(n)", n % 2 == 0 ? "青山镇" : "370799101", "小型"]))
            }
            let good = try Self.handmadeWorkbook(rows: rows, shared: shared)
            // Read by the whole-file reader too: the same cells, row for row.
            var streamed: [[String]] = []
            try XLSX.forEachRow(of: .data(good)) { streamed.append($0); return true }
            let whole = try #require(try XLSX.read(good).first).rows.map { $0.map(\.string) }
            let same = streamed == whole  // (not printed whole if it fails)
            #expect(same)
            #expect(streamed.count == 2_600)
            #expect(streamed[3].isEmpty && streamed[4].isEmpty)
            // The progress bar's estimate comes from the declared dimension (the zip's bytes say nothing about rows).
            #expect(XLSX.estimatedRows(of: .data(good)) == 2_599)
            // Without one (as our own writer leaves it): from the sheet's size and its rows' length, within a few percent.
            let plain = (1...3_000).map { n in [Cell.text(Self.code(n)), .text("表格企业\(n)"), .text("青山镇")] }
            let guess = XLSX.estimatedRows(of: .data(try XLSX.write([Sheet(name: "名单", rows: plain)]))) ?? 0
            #expect((2_800...3_200).contains(guess))
            #expect(XLSX.estimatedRows(of: .data(Data("不是表格".utf8))) == nil)
            var firstTwo = 0
            try XLSX.forEachRow(of: .data(good)) { _ in firstTwo += 1; return firstTwo < 2 }
            #expect(firstTwo == 2)

            var bad = rows
            bad[2_400 - 3].1[3] = "巨型"  // row 2,400 of the sheet (rows 4 and 5 are missing)
            #expect(bad[2_400 - 3].0 == 2_400)
            let refused = try await RegisterImporter.run(
                campaignID: cid, data: try Self.handmadeWorkbook(rows: bad, shared: shared), filename: "名单.xlsx", skipInvalid: false, db: app.db)
            #expect(!refused.stored)
            #expect(refused.problems.map(\.row) == [2_400])
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before)

            let outcome = try await RegisterImporter.run(campaignID: cid, data: good, filename: "名单.xlsx", skipInvalid: false, db: app.db)
            #expect(outcome.stored && outcome.imported == 2_597)
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + 2_597)
            let one = try #require(try await Enterprise.register(of: cid, on: app.db).filter(\.$uscc == Self.code(32_000)).first())
            #expect([one.name, one.townshipCode, one.size] == ["表格企业2000", "370799101", "小型"])

            // Not a workbook after all, damaged at its start or in the sheet: a Chinese error, nothing stored.
            var damaged: [Data] = [100, good.count / 2, good.count / 3].map { at in
                var broken = good
                broken.replaceSubrange(at..<at + 300, with: Data(repeating: 0, count: 300))
                return broken
            }
            damaged.append(good.prefix(good.count * 7 / 10))  // cut off: no central directory
            for broken in damaged {
                do {
                    _ = try await RegisterImporter.run(campaignID: cid, data: broken, filename: "坏.xlsx", skipInvalid: false, db: app.db)
                    Issue.record("a corrupted workbook was imported")
                } catch {
                    let message = String(describing: error)
                    #expect(message.hasPrefix("XLSX") || message.hasPrefix("不是有效的 XLSX"), "\(message)")
                    #expect(message.contains("损坏") || message.contains("无法按 ZIP 格式读取"), "\(message)")
                }
            }
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + 2_597)
        }
    }

    @Test("the sampling frame holds every enterprise passing the filters, in its stratum, in code order", arguments: TestDatabase.available)
    func frame(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            // A code that is not 18 characters (entered before validation existed) still belongs to the frame.
            let odd = try #require(try await Enterprise.register(of: cid, on: app.db).filter(\.$status == "在业").first())
            odd.uscc = "A-OLD-CODE"
            // …and one with no industry goes to the stratum named 未填行业.
            odd.industry = nil
            odd.founded = "2015-01-01"
            try await odd.save(on: app.db)
            // …as does one whose industry is stored as that very text, in the same township (one stratum, not two).
            let named = try #require(try await Enterprise.register(of: cid, on: app.db).filter(\.$status == "在业").filter(\.$uscc != "A-OLD-CODE").first())
            named.industry = "未填行业"
            named.townshipCode = odd.townshipCode
            named.founded = "2016-01-01"
            try await named.save(on: app.db)
            let p = DrawParameters(
                size: 10, strata: ["industry", "township"], allocation: .proportional, minPerStratum: 0, reserveRatio: 0, seed: 1,
                statuses: ["存续", "在业"], foundedBefore: "2020-01-01", excludeDrawn: false, sd: [:])
            let frame = try await SampleService.frame(cid, p, on: app.db)
            var expected: [String: [String]] = [:]
            for e in try await Enterprise.register(of: cid, on: app.db).all()
            where ["存续", "在业"].contains(e.status ?? "") && (e.founded ?? "9999") < "2020-01-01" {
                expected["\(e.industry ?? "未填行业")|\(e.townshipCode ?? "未填乡镇")", default: []].append(e.uscc)
            }
            #expect(frame.mapValues(Array.init) == expected.mapValues { $0.sorted() })
            #expect(frame.values.contains { $0.contains("A-OLD-CODE") })
            #expect(frame["未填行业|\(odd.townshipCode ?? "未填乡镇")"]?.contains("A-OLD-CODE") == true)
            #expect(frame["未填行业|\(odd.townshipCode ?? "未填乡镇")"]?.contains(named.uscc) == true)
            #expect(frame.values.reduce(0) { $0 + $1.count } > 100)
        }
    }

    func drawForm(_ s: WebSession, seed: String) -> [String: String] {
        ["_csrf": s.csrf, "size": "40", "seed": seed, "strata[]": "township", "allocation": "proportional", "minPerStratum": "1",
         "reserveRatio": "0.5", "statuses[]": "在业"]
    }

    @Test("upgrade: a register with UUID keys moves to integer ids; sample members and survey responses follow", arguments: TestDatabase.available)
    func integerKeysUpgrade(db: TestDatabase) async throws {
        let campaigns = [UUID(), UUID()]
        // Three enterprises in each campaign, the same credit codes in both: the old id must map through the campaign.
        let enterprises = campaigns.map { _ in (0..<3).map { _ in UUID() } }
        let draw = UUID()
        let template = UUID()
        func text(_ id: UUID) -> any Encodable & Sendable { db == .sqlite ? id.uuidString : id }
        try await withApp(db, seedDemo: false, beforeMigrate: { app in
            // The schema as it was before the integer keys, with rows in it.
            let old = FluentKit.Migrations()
            for m in YingshangApp.Migrations.all.prefix(while: { !($0 is MoveRegisterToIntegerKeys) }) { old.add(m) }
            let migrator = Migrator(databases: app.databases, migrations: old, logger: app.logger, on: app.eventLoopGroup.any())
            try await migrator.setupIfNeeded().get()
            try await migrator.prepareBatch().get()
            let catalog = CatalogVersion()
            catalog.number = 1
            catalog.note = ""
            catalog.content = "{}"
            catalog.createdBy = "test"
            try await catalog.create(on: app.db)
            let sql = try #require(app.db as? any SQLDatabase)
            // The campaigns table as it was then (today's model has columns added by later migrations).
            for (i, cid) in campaigns.enumerated() {
                try await sql.raw("""
                    INSERT INTO campaigns (id, name, year, catalog_version_id, start_date, end_date, status, per_day)
                    VALUES (\(bind: text(cid)), \(bind: "升级\(i)"), 2026, \(bind: text(try catalog.requireID())), '2026-01-01', '2026-01-31', 'draft', 2)
                    """).run()
            }
            for (c, cid) in campaigns.enumerated() {
                for (k, eid) in enterprises[c].enumerated() {
                    try await sql.raw("""
                        INSERT INTO enterprises (id, campaign_id, uscc, name, township_code, extra)
                        VALUES (\(bind: text(eid)), \(bind: text(cid)), \(bind: Self.code(k)), \(bind: "企业\(c)-\(k)"), '370799101', '{"备注":"x"}')
                        """).run()
                }
            }
            let d = SampleDraw()
            d.id = draw
            d.$campaign.id = campaigns[1]
            d.parametersJSON = "{}"
            d.allocationJSON = "[]"
            d.drawnBy = "assessor"
            d.locked = true
            try await d.create(on: app.db)
            let t = SurveyTemplateRecord()
            t.id = template
            t.$campaign.id = campaigns[1]
            t.version = 1
            t.content = "{}"
            try await t.create(on: app.db)
            for (k, eid) in enterprises[1].enumerated() {
                try await sql.raw("""
                    INSERT INTO sample_members (id, draw_id, enterprise_id, stratum, role, position, status)
                    VALUES (\(bind: text(UUID())), \(bind: text(draw)), \(bind: text(eid)), 's', 'sample', \(bind: k), 'active')
                    """).run()
            }
            try await sql.raw("""
                INSERT INTO survey_responses (id, draw_id, enterprise_id, template_id, token, status, answers)
                VALUES (\(bind: text(UUID())), \(bind: text(draw)), \(bind: text(enterprises[1][2])), \(bind: text(template)), 'token-upgrade', 'issued', '{}')
                """).run()
        }) { app in
            for (c, cid) in campaigns.enumerated() {
                let rows = try await Enterprise.register(of: cid, on: app.db).sort(\.$uscc).all()
                #expect(rows.map(\.name) == ["企业\(c)-0", "企业\(c)-1", "企业\(c)-2"])
                #expect(!rows.isEmpty && rows.allSatisfy { $0.townshipCode == "370799101" && $0.extraJSON.contains("备注") })
            }
            // Each member still points at the enterprise it pointed at before, in the draw's own campaign.
            let members = try await SampleMember.query(on: app.db).with(\.$enterprise).sort(\.$position).all()
            #expect(members.map(\.enterprise.name) == ["企业1-0", "企业1-1", "企业1-2"])
            let response = try #require(try await SurveyResponse.query(on: app.db).filter(\.$token == "token-upgrade").with(\.$enterprise).first())
            #expect(response.enterprise.name == "企业1-2")
            // The register keeps its key and its links: a duplicate credit code and a dangling member are refused.
            let sql = try #require(app.db as? any SQLDatabase)
            let snapshot = try #require(try await RegisterSnapshot.number(of: campaigns[0], on: app.db))
            await #expect(throws: (any Error).self) {
                try await sql.raw("INSERT INTO enterprises (snapshot_id, uscc, name, extra) VALUES (\(bind: snapshot), \(bind: Self.code(1)), 'x', '{}')").run()
            }
            await #expect(throws: (any Error).self) {
                try await sql.raw("""
                    INSERT INTO sample_members (id, draw_id, enterprise_id, stratum, role, position, status)
                    VALUES (\(bind: text(UUID())), \(bind: text(draw)), 999999, 's', 'reserve', 9, 'active')
                    """).run()
            }
            if db == .postgres {
                // On PostgreSQL the member's enterprise must be in its draw's own register (campaign 1's), not just
                // somewhere; members of the draw's own register pass the same check in every draw of the suite.
                let elsewhere = try #require(try await Enterprise.register(of: campaigns[0], on: app.db).first()?.id)
                await #expect(throws: (any Error).self) {
                    try await sql.raw("""
                        INSERT INTO sample_members (id, draw_id, enterprise_id, stratum, role, position, status)
                        VALUES (\(bind: text(UUID())), \(bind: text(draw)), \(bind: elsewhere), 's', 'reserve', 9, 'active')
                        """).run()
                }
            }
            // New rows get the next ids; an import adds to the migrated snapshot.
            let outcome = try await RegisterImporter.run(
                campaignID: campaigns[0], data: Data("统一社会信用代码,企业名称\n\(Self.code(3)),新企业\n".utf8), filename: "a.csv", skipInvalid: false,
                db: app.db)
            #expect(outcome.stored && outcome.imported == 1)
            #expect(try await Enterprise.register(of: campaigns[0], on: app.db).count() == 4)
            let ids = try await Enterprise.query(on: app.db).all().compactMap(\.id)
            #expect(Set(ids).count == 7)
        }
    }

    @Test("the sampling form: letters in a number field are named beside it in Chinese with all input kept; Neyman S_h typed with stratum names survives preview and confirm", arguments: TestDatabase.available)
    func samplingForm(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let s = try await app.webSession("assessor")
            var form = drawForm(s, seed: "7")
            form["size"] = "四十"
            form["strata[]"] = "industry"
            let bad = try await app.send(.POST, "/campaigns/\(cid)/samples/preview", headers: s.headers, form: form)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("样本量应为数字，“四十”不是数字"))
            #expect(bad.text.contains("value=\"四十\""))
            // The stratum chosen is still chosen (it was reset to 乡镇/街道 before).
            #expect(bad.text.contains("value=\"industry\" checked"))
            #expect(!bad.text.contains("value=\"township\" checked"))

            // Neyman by township, S_h typed against the names the preview shows.
            let townships = try await Region.query(on: app.db).filter(\.$level == RegionLevel.township.rawValue).sort(\.$code).all()
            let sd = townships.enumerated().map { "\($0.element.name)=\(Double($0.offset + 1) * 2.5)" }.joined(separator: "\n")
            var neyman = drawForm(s, seed: "7")
            neyman["allocation"] = "neyman"
            neyman["sd"] = sd
            let preview = try await app.send(.POST, "/campaigns/\(cid)/samples/preview", headers: s.headers, form: neyman)
            #expect(preview.status == .ok, "\(preview.text.prefix(2000))")
            #expect(preview.text.contains("name=\"sd\" value=\""))
            let confirm = try await app.send(.POST, "/campaigns/\(cid)/samples", headers: s.headers, form: neyman)
            #expect(confirm.status == .seeOther)
            let draw = try #require(try await SampleDraw.query(on: app.db).filter(\.$campaign.$id == cid).first())
            #expect(draw.parameters?.allocation == .neyman)
            #expect(draw.parameters?.sd.count == townships.count)
            #expect(draw.parameters?.sd[townships[0].code] == 2.5)
        }
    }

    @Test("Neyman S_h from a numeric register column: each stratum's sd as R computes it, the frame's for a stratum with one value, text cells counted", arguments: TestDatabase.available)
    func neymanFromRegisterColumn(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("coordinator")
            let created = try await app.send(.POST, "/api/v1/campaigns", headers: .bearer(token), json: try await CampaignTests.body(app, name: "代理列测试"))
            #expect(created.status == .created)
            let cid = try #require(try await Campaign.query(on: app.db).filter(\.$name == "代理列测试").first()?.requireID())
            let t = DemoCounty.townships
            // Expected (R 4): sd(c(10, 20, 30, 45)) = 14.930394056; sd(c(100, 300)) = 141.421356237; the third township
            // has one number, so it takes the frame's sd(c(10, 20, 30, 45, 100, 300, 7)) = 104.900633254. The 注销
            // enterprise is outside the frame (only 在业 is sampled) and must not count.
            let rows = [
                (t[0].1, "10"), (t[0].1, "20"), (t[0].1, "30"), (t[0].1, "45"), (t[1].1, "100"), (t[1].1, "300"), (t[1].1, "约50"), (t[2].1, "7"),
            ]
            var lines = ["统一社会信用代码,企业名称,所属乡镇,登记状态,从业人员"]
            for (i, r) in rows.enumerated() { lines.append("\(Self.code(100 + i)),企业\(i),\(r.0),在业,\(r.1)") }
            lines.append("\(Self.code(200)),已注销企业,\(t[0].1),注销,100000")
            let outcome = try await RegisterImporter.run(
                campaignID: cid, data: Data(lines.joined(separator: "\n").utf8), filename: "r.csv", skipInvalid: false, db: app.db)
            #expect(outcome.imported == 9)

            let s = try await app.webSession("assessor")
            let page = try await app.send(.GET, "/campaigns/\(cid)/samples", headers: s.headers)
            #expect(page.text.contains("<option value=\"从业人员\">从业人员</option>"))
            var form = ["_csrf": s.csrf, "size": "4", "seed": "1", "strata[]": "township", "allocation": "neyman", "statuses[]": "在业",
                        "sdColumn": "从业人员", "fillSD": "1"]
            let filled = try await app.send(.POST, "/campaigns/\(cid)/samples/preview", headers: s.headers, form: form)
            #expect(filled.status == .ok, "\(filled.text.prefix(3000))")
            #expect(filled.text.contains("\(t[0].1)=14.93"))
            #expect(filled.text.contains("\(t[1].1)=141.42"))
            #expect(filled.text.contains("\(t[2].1)=104.90"))
            #expect(filled.text.contains("7 家企业的数值"))
            #expect(filled.text.contains("1 层数值少于 2 个"))
            #expect(filled.text.contains("1 个单元格不是数字"))
            // The allocation uses them (N_h·S_h: 4×14.93, 3×141.42, 1×104.90 → the second township gets most), and
            // the confirm form carries them.
            #expect(filled.text.contains("确认抽取"))
            #expect(filled.text.contains("name=\"sd\" value=\"\(t[0].1)=14.93"))
            // A column name that cannot be a JSON key is refused, nothing drawn.
            form["sdColumn"] = "a\"b"
            #expect(try await app.send(.POST, "/campaigns/\(cid)/samples/preview", headers: s.headers, form: form).status == .unprocessableEntity)
            #expect(try await SampleDraw.query(on: app.db).filter(\.$campaign.$id == cid).count() == 0)
        }
    }

    @Test("issuing links to a sample of more than one insert's worth gives every active sampled enterprise exactly one link, with distinct tokens", arguments: TestDatabase.available)
    func issueAcrossInsertBatches(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            // 2,000 more enterprises, so the sample below (1,200) spans two of issuing's inserts of 1,000.
            var lines = ["统一社会信用代码,企业名称,所属乡镇/街道,登记状态"]
            for i in 0..<2_000 { lines.append("\(Self.code(500_000 + i)),链接测试企业\(i),370799101,在业") }
            let imported = try await RegisterImporter.run(
                campaignID: cid, data: Data(lines.joined(separator: "\n").utf8), filename: "more.csv", skipInvalid: false, db: app.db)
            #expect(imported.stored && imported.imported == 2_000)
            let p = DrawParameters(
                size: 1_200, strata: ["township"], allocation: .proportional, minPerStratum: 1, reserveRatio: 0, seed: 11,
                statuses: EnterpriseRegister.defaultSamplingStatuses, foundedBefore: nil, excludeDrawn: false, sd: [:])
            let draw = try await SampleService.draw(cid, p, by: nil, clock: app.clock, on: app.db)
            let did = try draw.requireID()
            #expect(try await SurveyService.issue(draw, by: nil, clock: app.clock, on: app.db) == 1_200)
            let responses = try await SurveyResponse.query(on: app.db).filter(\.$draw.$id == did).all()
            let members = try await SampleMember.query(on: app.db).filter(\.$draw.$id == did).filter(\.$role == "sample").all()
            #expect(responses.count == 1_200)
            #expect(Set(responses.map(\.$enterprise.id)) == Set(members.map(\.$enterprise.id)))
            #expect(Set(responses.map(\.token)).count == 1_200)
            #expect(responses.allSatisfy { $0.status == "issued" && $0.expiresAt != nil })
            // Issuing again adds nothing.
            #expect(try await SurveyService.issue(draw, by: nil, clock: app.clock, on: app.db) == 0)
            #expect(try await SurveyResponse.query(on: app.db).filter(\.$draw.$id == did).count() == 1_200)

            // The list of links (one joined read) against the same built from the models, each response with its own
            // enterprise: every link once, in credit-code order, the answered one marked.
            let answered = try #require(responses.first)
            answered.status = "submitted"
            try await answered.save(on: app.db)
            var expected: [[String]] = []
            for r in responses {
                let e = try await r.$enterprise.get(on: app.db)
                expected.append([
                    e.uscc, e.name, e.contact ?? "", e.phone ?? "", "http://x/s/\(r.token)", SurveyToken.code(of: r.token),
                    DisplayTime.format(r.expiresAt), r.id == answered.id ? "已填写" : "未填写",
                ])
            }
            expected.sort { $0[0] < $1[0] }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("links-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: file) }
            #expect(try await SurveyLinkList.write(draw: draw, to: file, base: "http://x", on: app.db) == 1_200)
            let written = CSV.parse(String(decoding: try Data(contentsOf: file), as: UTF8.self).replacingOccurrences(of: "\u{FEFF}", with: ""))
            #expect(written.first == SurveyLinkList.header)
            // (A cell that could start a formula is written with a leading apostrophe.)
            let neutralised = expected.map { $0.map { v in v.first.map { "=+-@".contains($0) } == true && Double(v) == nil ? "'" + v : v } }
            #expect(Array(written.dropFirst()) == neutralised)

            // The letters come in batches of 200 (a QR code each): the 1,199 still open in six, each once, in list order.
            let assessor = try await app.webSession("assessor")
            var printed: [String] = []
            for batch in 1...6 {
                let page = try await app.send(.GET, "/samples/\(did)/letters?batch=\(batch)", headers: assessor.headers)
                #expect(page.status == .ok)
                #expect(page.text.contains("未回收企业共 1199 家，每批 200 封，本页第 \(batch)/6 批"), "\(batch)")
                #expect(page.text.contains("打印本批 \(batch < 6 ? 200 : 199) 封邀请函"), "\(batch)")
                #expect(page.text.contains("letters?batch=\(batch + 1)\">下一批") == (batch < 6))
                printed += page.text.components(separatedBy: "<strong>").dropFirst().map { String($0.prefix { $0 != "<" }) }
            }
            let open = expected.filter { $0[7] == "未填写" }.map { String($0[4].dropFirst("http://".count)) }
            #expect(printed.count == 1_199)
            #expect(printed.map { String($0.split(separator: "/").last ?? "") } == open.map { String($0.split(separator: "/").last ?? "") })
            // The draw's page: its 1,200 members 500 a page, each once and in the export's order; the first 200 of the
            // 1,199 still to remind, with how many more there are.
            var listed: [String] = []
            for page in 1...3 {
                let html = try await app.send(.GET, "/samples/\(did)?page=\(page)", headers: assessor.headers).text
                #expect(html.contains("样本企业（共 1200 家，每页 500 家）") && html.contains("\(page)/3"), "\(page)")
                #expect(html.contains("待提醒企业（1199）") && html.contains("另有 999 家未列出"))
                #expect(html.contains("<td>合计</td><td>1200</td><td>1</td>"))
                let codes = html.components(separatedBy: "<td>样本</td><td>").dropFirst().map { String($0.prefix(18)) }
                #expect(codes.count == (page < 3 ? 500 : 200), "\(page)")
                listed += codes
            }
            let exported = CSV.parse(try await app.send(.GET, "/samples/\(did)/export.csv", headers: assessor.headers).text
                .replacingOccurrences(of: "\u{FEFF}", with: "")).filter { $0.count == 7 && $0[1] == "样本" }.map { $0[3] }
            #expect(listed == exported)
            var sampled: [String] = []
            for m in members { sampled.append(try await m.$enterprise.get(on: app.db).uscc) }
            #expect(listed.count == 1_200 && Set(listed) == Set(sampled))

            // A page number no list has (the largest integer an address can carry) shows the last page, not an error.
            let huge = try await app.send(.GET, "/samples/\(did)?page=\(Int.max)", headers: assessor.headers)
            #expect(huge.status == .ok && huge.text.contains("3/3"))
            #expect(try await app.send(.GET, "/samples/\(did)/letters?batch=\(Int.max)", headers: assessor.headers).text.contains("本页第 6/6 批"))

            // A batch past the end shows the last one; the coordinator may not print letters.
            #expect(try await app.send(.GET, "/samples/\(did)/letters?batch=99", headers: assessor.headers).text.contains("本页第 6/6 批"))
            let coordinator = try await app.webSession("coordinator")
            #expect(try await app.send(.GET, "/samples/\(did)/letters?batch=2", headers: coordinator.headers).status == .forbidden)
        }
    }

    /// Both engines read the frame by different code (SQLite through its C interface, PostgreSQL by aggregating in the
    /// database) and look up and write the members differently (`RegisterStore.ids`, `insertMembers`): a county that
    /// moves to PostgreSQL, or an assessor re-running a draw to check it, must get the very same enterprises.
    @Test("the same register, parameters and seed draw the same enterprises in the same order on SQLite and PostgreSQL",
          .enabled(if: TestDatabase.postgresURL != nil))
    func sameDrawOnBothDatabases() async throws {
        let parameters = [
            DrawParameters(
                size: 60, strata: ["township", "size"], allocation: .proportional, minPerStratum: 1, reserveRatio: 0.5, seed: 20_261_206,
                statuses: EnterpriseRegister.defaultSamplingStatuses, foundedBefore: nil, excludeDrawn: false, sd: [:]),
            // Then a second draw leaving out the first one's sample, with the other filters and allocation.
            DrawParameters(
                size: 30, strata: ["industry"], allocation: .equal, minPerStratum: 1, reserveRatio: 1, seed: 7,
                statuses: ["在业"], foundedBefore: "2018-01-01", excludeDrawn: true, sd: [:]),
        ]
        struct Member: Decodable, Equatable { let uscc: String; let stratum: String; let role: String; let position: Int }
        var drawn: [TestDatabase: [[Member]]] = [:]
        var frames: [TestDatabase: Int] = [:], populations: [TestDatabase: Int] = [:]
        for db in [TestDatabase.sqlite, .postgres] {
            try await withApp(db) { app in
                let cid = try await CampaignTests.demoCampaign(app).requireID()
                let sql = try #require(app.db as? any SQLDatabase)
                for p in parameters {
                    let draw = try await SampleService.draw(cid, p, by: nil, clock: app.clock, on: app.db)
                    let members = try await sql.raw("""
                        SELECT e.uscc, m.stratum, m.role, m.position FROM sample_members m JOIN enterprises e ON e.id = m.enterprise_id
                        WHERE m.draw_id = \(bind: try draw.requireID()) ORDER BY m.stratum, m.role, m.position
                        """).all(decoding: Member.self)
                    drawn[db, default: []].append(members)
                    if populations[db] == nil { populations[db] = draw.allocation.reduce(0) { $0 + $1.population } }
                }
                // The first draw's frame, counted by the database itself.
                frames[db] = try #require(try await sql.raw("""
                    SELECT count(*) AS n FROM enterprises e JOIN register_snapshots s ON s.id = e.snapshot_id
                    WHERE s.campaign_id = \(bind: cid) AND e.status IN ('在业', '存续')
                    """).first()?.decode(column: "n", as: Int.self))
            }
        }
        let lite = try #require(drawn[.sqlite]), pg = try #require(drawn[.postgres])
        #expect(lite.count == 2 && pg.count == 2)
        #expect(lite.map { $0.filter { $0.role == "sample" }.count } == [60, 30])
        #expect(lite.first?.contains { $0.role == "reserve" } == true)
        // Compared as one flag with the first difference named: the lists themselves would print a hundred members.
        let (a, b) = (lite.flatMap { $0 }, pg.flatMap { $0 })
        let difference = a.indices.first { $0 < b.count && a[$0] != b[$0] }.map { "first difference at \($0): \(a[$0]) vs \(b[$0])" }
            ?? (a.count == b.count ? nil : "\(a.count) vs \(b.count) members")
        #expect(difference == nil)
        // The second draw left out the first one's sample.
        let first = Set(lite[0].filter { $0.role == "sample" }.map(\.uscc))
        #expect(lite[1].allSatisfy { !first.contains($0.uscc) })
        // Each engine's frame is every enterprise the filters let in, counted by the database itself.
        #expect(populations[.sqlite] == frames[.sqlite])
        #expect(populations[.postgres] == frames[.postgres])
        #expect(frames[.sqlite] == frames[.postgres])
    }

    @Test("preview, draw, the same seed draws the same sample, replacement promotes a reserve", arguments: TestDatabase.available)
    func sampling(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let s = try await app.webSession("assessor")
            let preview = try await app.send(.POST, "/campaigns/\(cid)/samples/preview", headers: s.headers, form: drawForm(s, seed: "7"))
            #expect(preview.status == .ok)
            #expect(preview.text.contains("确认抽取"))
            let tooMany = try await app.send(
                .POST, "/campaigns/\(cid)/samples/preview", headers: s.headers,
                form: drawForm(s, seed: "7").merging(["size": "100000"]) { _, b in b })
            #expect(tooMany.status == .unprocessableEntity)
            #expect(tooMany.text.contains("超过符合条件的企业数"))

            func drawn() async throws -> [Set<Int>] {
                var sets: [Set<Int>] = []
                for d in try await SampleDraw.query(on: app.db).filter(\.$campaign.$id == cid).sort(\.$createdAt).all() {
                    sets.append(Set(try await SampleMember.query(on: app.db).filter(\.$draw.$id == (try d.requireID())).filter(\.$role == "sample").all().map { $0.$enterprise.id }))
                }
                return sets
            }
            #expect(try await app.send(.POST, "/campaigns/\(cid)/samples", headers: s.headers, form: drawForm(s, seed: "7")).status == .seeOther)
            #expect(try await app.send(.POST, "/campaigns/\(cid)/samples", headers: s.headers, form: drawForm(s, seed: "7")).status == .seeOther)
            #expect(try await app.send(.POST, "/campaigns/\(cid)/samples", headers: s.headers, form: drawForm(s, seed: "8")).status == .seeOther)
            let sets = try await drawn()
            #expect(sets.count == 3)
            #expect(sets[0].count == 40)
            #expect(sets[0] == sets[1])
            #expect(sets[0] != sets[2])
            let draw = try #require(try await SampleDraw.query(on: app.db).filter(\.$campaign.$id == cid).sort(\.$createdAt).first())
            #expect(draw.allocation.reduce(0) { $0 + $1.sample } == 40)
            #expect(!draw.allocation.isEmpty && draw.allocation.allSatisfy { $0.sample >= 1 })

            let member = try #require(
                try await SampleMember.query(on: app.db).filter(\.$draw.$id == (try draw.requireID())).filter(\.$role == "sample").first())
            let noReason = try await app.send(
                .POST, "/samples/\(try draw.requireID())/members/\(try member.requireID())/replace", headers: s.headers,
                form: ["_csrf": s.csrf, "status": "refused", "reason": ""])
            #expect(noReason.status == .seeOther)
            #expect(try await SampleMember.find(member.id, on: app.db)?.status == "active")
            _ = try await app.send(
                .POST, "/samples/\(try draw.requireID())/members/\(try member.requireID())/replace", headers: s.headers,
                form: ["_csrf": s.csrf, "status": "refused", "reason": "拒绝接受调查"])
            let after = try #require(try await SampleMember.find(member.id, on: app.db))
            #expect(after.status == "refused")
            let replacement = try #require(try await SampleMember.find(after.replacedBy, on: app.db))
            #expect(replacement.role == "sample")
            #expect(replacement.stratum == member.stratum)
            let csv = try await app.send(.GET, "/samples/\(try draw.requireID())/export.csv", headers: s.headers)
            #expect(csv.body.readableBytesView.starts(with: [0xEF, 0xBB, 0xBF]))
        }
    }
}

@Suite("Enterprise surveys")
struct SurveyFlowTests {
    @Test("issue links for a draw; an enterprise answers once without an account; results show the index", arguments: TestDatabase.available)
    func flow(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let s = try await app.webSession("assessor")
            let form = ["_csrf": s.csrf, "size": "10", "seed": "3", "strata[]": "township", "allocation": "proportional", "statuses[]": "在业"]
            let drawn = try await app.send(.POST, "/campaigns/\(cid)/samples", headers: s.headers, form: form)
            let drawPath = try #require(drawn.headers.first(name: .location))
            let issue = try await app.send(.POST, "\(drawPath)/surveys", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(issue.status == .seeOther)
            let responses = try await SurveyResponse.query(on: app.db).all()
            #expect(responses.count == 10)
            #expect(try await SampleDraw.query(on: app.db).first()?.locked == true)
            let links = try await app.send(.GET, "\(drawPath)/surveys.csv", headers: s.headers)
            #expect(links.text.contains("/s/\(responses[0].token)"))

            // The enterprise: no login, no session (a CSRF cookie for the form); its visits write no session row.
            let sessionRows = try await SessionRecord.query(on: app.db).count()
            var visitor = WebSession(cookie: "", csrf: "")
            let page = try await app.send(.GET, "/s/\(responses[0].token)")
            #expect(page.status == .ok)
            #expect(page.text.contains("开办企业"))
            visitor.absorb(page)
            let bad = try await app.send(
                .POST, "/s/\(responses[0].token)", headers: visitor.headers,
                form: ["_csrf": visitor.csrf, "answers[starting_business.satisfaction]": "9"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("请选择 1–5 分"))
            let ok = try await app.send(
                .POST, "/s/\(responses[0].token)", headers: visitor.headers,
                form: ["_csrf": visitor.csrf, "answers[starting_business.satisfaction]": "4", "answers[starting_business.days]": "2"])
            #expect(ok.status == .seeOther)
            let again = try await app.send(
                .POST, "/s/\(responses[0].token)", headers: visitor.headers,
                form: ["_csrf": visitor.csrf, "answers[starting_business.satisfaction]": "1"])
            #expect(again.status == .conflict)
            // The enterprise's own page says it was already submitted (no staff error page).
            #expect(again.text.contains("本问卷此前已提交") && again.text.contains("营商环境企业问卷"))
            #expect(try await SurveyResponse.find(responses[0].id, on: app.db)?.answers["starting_business.satisfaction"] == "4")
            #expect(try await app.send(.GET, "/s/not-a-real-token-at-all").status == .notFound)

            // Screening: the page asks "近一年是否办理过" per indicator and states the time; what an enterprise typed
            // for an indicator it then answered 否 is not stored.
            let second = try await app.send(.GET, "/s/\(responses[1].token)")
            #expect(second.text.contains("近一年，贵企业是否办理过“开办企业”相关事项"))
            #expect(second.text.contains("data-asked-if=\"starting_business.used\""))
            #expect(second.text.contains("一般约 7 分钟"))
            // The first view made the page that every enterprise of the draw shares; each still sees its own name and
            // link, and a name is escaped as Leaf escapes it.
            var names: [Enterprise] = []
            for r in responses.prefix(3) { names.append(try await r.$enterprise.get(on: app.db)) }
            #expect(page.text.contains("<h1>\(names[0].name)</h1>") && page.text.contains("action=\"/s/\(responses[0].token)\""))
            #expect(second.text.contains("<h1>\(names[1].name)</h1>") && second.text.contains("action=\"/s/\(responses[1].token)\""))
            #expect(!second.text.contains(responses[0].token) && !second.text.contains("\u{E000}"))
            names[2].name = "<b>甲&乙\"厂'</b>"
            try await names[2].save(on: app.db)
            let third = try await app.send(.GET, "/s/\(responses[2].token)")
            #expect(third.text.contains("<h1>&lt;b&gt;甲&amp;乙&quot;厂&#39;&lt;/b&gt;</h1>"))
            #expect(third.headers.contentType == .html && third.text.contains("近一年，贵企业是否办理过“开办企业”相关事项"))
            visitor.absorb(second)
            let screened = try await app.send(
                .POST, "/s/\(responses[1].token)", headers: visitor.headers,
                form: ["_csrf": visitor.csrf, "save": "1", "answers[starting_business.used]": "否", "answers[starting_business.days]": "30",
                       "answers[paying_taxes.used]": "是", "answers[paying_taxes.satisfaction]": "5"])
            #expect(screened.status == .seeOther)
            #expect(try await SurveyResponse.find(responses[1].id, on: app.db)?.answers
                == ["starting_business.used": "否", "paying_taxes.used": "是", "paying_taxes.satisfaction": "5"])
            #expect(screened.headers.first(name: .location) == "/s/\(responses[1].token)?saved=1")
            #expect(try await app.send(.GET, "/s/\(responses[1].token)?saved=1", headers: visitor.headers).text.contains("已保存"))
            // Only the exact item says so: not a longer value, not another item ending in it, not a plain visit.
            for query in ["?saved=10", "?unsaved=1", ""] {
                #expect(try await !app.send(.GET, "/s/\(responses[1].token)\(query)", headers: visitor.headers).text.contains("已保存"), "\(query)")
            }
            // The saved answers come back on the enterprise's own page, never on the page its draw shares.
            let taxes = #"name="answers[paying_taxes.used]" value="是" data-screens="paying_taxes.used" checked"#
            #expect(try await app.send(.GET, "/s/\(responses[1].token)", headers: visitor.headers).text.contains(taxes))
            let neighbour = try await app.send(.GET, "/s/\(responses[2].token)").text
            #expect(neighbour.contains("action=\"/s/\(responses[2].token)\"") && !neighbour.contains(" checked"))
            _ = try await app.send(.GET, "/public")
            #expect(try await SessionRecord.query(on: app.db).count() == sessionRows)
            #expect(!visitor.cookie.contains("yingshang_session"))

            // The link list names each enterprise's 查询码 and expiry, as the command line's list does.
            let header = links.text.split(whereSeparator: \.isNewline).first.map { String($0.drop { $0 == "\u{FEFF}" }) } ?? ""
            #expect(header.hasSuffix("问卷链接,查询码,有效期至,状态"))
            // (A code starting with "-" is written with a leading quote, as every CSV cell that could be a formula is.)
            let code = responses[0].token.suffix(6).uppercased()
            #expect(links.text.contains(",\(code),") || links.text.contains(",'\(code),"))
            let cliList = FileManager.default.temporaryDirectory.appendingPathComponent("links-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: cliList) }
            let draw = try #require(try await SampleDraw.query(on: app.db).first())
            #expect(try await SurveyLinkList.write(draw: draw, to: cliList, base: "http://x", on: app.db) == 10)
            let cliHeader = try String(contentsOf: cliList, encoding: .utf8).split(whereSeparator: \.isNewline).first.map(String.init)
            #expect(cliHeader.map { String($0.drop { $0 == "\u{FEFF}" }) } == header)
            // The letters carry a QR code of each link; only those who may print them are offered the link.
            #expect(try await app.send(.GET, drawPath, headers: s.headers).text.contains("\(drawPath)/letters"))
            let coordinator = try await app.webSession("coordinator")
            #expect(try await app.send(.GET, drawPath, headers: coordinator.headers).status == .ok)
            #expect(!(try await app.send(.GET, drawPath, headers: coordinator.headers).text.contains("/letters")))
            #expect(try await app.send(.GET, "\(drawPath)/letters", headers: coordinator.headers).status == .forbidden)
            let letters = try await app.send(.GET, "\(drawPath)/letters", headers: s.headers)
            #expect(letters.text.contains("<svg") && letters.text.contains("aria-label=\"问卷二维码\""))

            let results = try await app.send(.GET, "/campaigns/\(cid)/surveys", headers: s.headers)
            #expect(results.text.contains("75.00"))
            #expect(results.text.contains("已回收 1 份"))
            let weighted = try await app.send(.GET, "/campaigns/\(cid)/surveys?weighted=1", headers: s.headers)
            // One draw, one respondent: the stratified estimate is that answer; its stratum's row shows N_h, n_h, r_h.
            #expect(weighted.text.contains("第 1 次抽样"))
            #expect(weighted.text.contains("分层加权满意度指数：75.00（n = 1"))
            #expect(weighted.text.contains("每家权重 N_h/r_h"))
            #expect(weighted.text.contains("无人回答的层未计入"))
            let xlsx = try await app.send(.GET, "/campaigns/\(cid)/surveys.xlsx", headers: s.headers)
            let sheet = try #require(try XLSX.read(Data(buffer: xlsx.body)).first)
            #expect(sheet.rows.count == 2)
            #expect(sheet.rows[1][0] == .text(try #require(try await SurveyResponse.find(responses[0].id, on: app.db)?.$enterprise.get(on: app.db).uscc)))
        }
    }
}

@Suite("Survey responses API")
struct SurveyAPITests {
    @Test("the survey template: saved in place until a link is issued, then as a new version; bad items and other roles refused with nothing changed; audited", arguments: TestDatabase.available)
    func template(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID()
            let token = try await app.apiToken("assessor")
            var template = try await app.send(.GET, "/api/v1/campaigns/\(cid)/survey-template", headers: .bearer(token)).decode(SurveyTemplate.self)
            #expect(template.items.contains { $0.code == "starting_business.satisfaction" })
            template.items[1].text = "您办理开办企业实际经过了几个环节（含线下）？"
            for role in ["filer", "unithead", "coordinator"] {
                let t = try await app.apiToken(role)
                #expect(try await app.send(.PUT, "/api/v1/campaigns/\(cid)/survey-template", headers: .bearer(t), json: template).status == .forbidden, "\(role)")
            }
            var twice = template
            twice.items.append(template.items[0])
            var orphan = template
            orphan.items[1].askedIf = "nowhere.used"
            var blank = template
            blank.items[2].text = "  "
            for bad in [twice, orphan, blank, SurveyTemplate(items: [])] {
                let res = try await app.send(.PUT, "/api/v1/campaigns/\(cid)/survey-template", headers: .bearer(token), json: bad)
                #expect(res.status == .unprocessableEntity, "\(res.text.prefix(200))")
            }
            #expect(try await SurveyTemplateRecord.query(on: app.db).filter(\.$campaign.$id == cid).count() == 1)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "survey_template").count() == 0)

            let saved = try await app.send(.PUT, "/api/v1/campaigns/\(cid)/survey-template", headers: .bearer(token), json: template)
            #expect(saved.status == .ok)
            #expect(try saved.decode(SurveyTemplate.self) == template)
            #expect(try await SurveyTemplateRecord.query(on: app.db).filter(\.$campaign.$id == cid).all().map(\.version) == [1])
            // Once links are issued with version 1, a change makes version 2; version 1 stays as issued.
            let s = try await app.webSession("assessor")
            let drawn = try await app.send(
                .POST, "/campaigns/\(cid)/samples", headers: s.headers,
                form: ["_csrf": s.csrf, "size": "3", "seed": "2", "strata[]": "size", "allocation": "equal", "statuses[]": "存续"])
            _ = try await app.send(.POST, "\(try #require(drawn.headers.first(name: .location)))/surveys", headers: s.headers, form: ["_csrf": s.csrf])
            template.items[1].text = "环节数？"
            #expect(try await app.send(.PUT, "/api/v1/campaigns/\(cid)/survey-template", headers: .bearer(token), json: template).status == .ok)
            let versions = try await SurveyTemplateRecord.query(on: app.db).filter(\.$campaign.$id == cid).sort(\.$version).all()
            #expect(versions.map(\.version) == [1, 2] && versions[0].template?.items[1].text == "您办理开办企业实际经过了几个环节（含线下）？")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$entityType == "survey_template").all()
            #expect(audit.count == 2 && audit.allSatisfy { $0.actorUsername == "assessor" })
        }
    }

    @Test("Neyman S_h offered from the previous draw's survey: the standard deviation of each stratum's satisfaction", arguments: TestDatabase.available)
    func neymanFromPreviousDraw(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let s = try await app.webSession("assessor")
            #expect(!(try await app.send(.GET, "/campaigns/\(cid)/samples", headers: s.headers).text.contains("填入各层标准差")))
            let form = ["_csrf": s.csrf, "size": "30", "seed": "5", "strata[]": "township", "allocation": "proportional", "statuses[]": "在业"]
            let drawPath = try #require(try await app.send(.POST, "/campaigns/\(cid)/samples", headers: s.headers, form: form).headers.first(name: .location))
            _ = try await app.send(.POST, "\(drawPath)/surveys", headers: s.headers, form: ["_csrf": s.csrf])
            // In every stratum with two sampled enterprises, one answers 5 (index 100) and one 1 (index 0): R's
            // sd(c(100, 0)) = 70.71068. Strata with one answer give no S_h.
            var byStratum: [String: [SurveyResponse]] = [:]
            let members = try await SampleMember.query(on: app.db).all()
            for r in try await SurveyResponse.query(on: app.db).all() {
                if let m = members.first(where: { $0.$enterprise.id == r.$enterprise.id }) { byStratum[m.stratum, default: []].append(r) }
            }
            let pairs = byStratum.filter { $0.value.count >= 2 }
            #expect(!pairs.isEmpty)
            for (_, rs) in pairs {
                for (r, answer) in zip(rs.prefix(2), ["5", "1"]) {
                    _ = try await SurveyService.submit(token: r.token, answers: ["starting_business.satisfaction": answer], final: true, now: app.clock.now(), on: app.db)
                }
            }
            let page = try await app.send(.GET, "/campaigns/\(cid)/samples", headers: s.headers).text
            #expect(page.contains("填入各层标准差"))
            let names = Dictionary(try await Region.query(on: app.db).all().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            for key in pairs.keys { #expect(page.contains("\(names[key] ?? key)=70.71"), "\(key)") }
        }
    }

    /// A draw of five from the demo campaign with its survey links issued (by token), the draw's page and the
    /// assessor's session.
    static func fiveIssuedLinks(_ app: Application) async throws -> (path: String, assessor: WebSession, tokens: [SurveyResponse]) {
        let c = try await CampaignTests.demoCampaign(app)
        let s = try await app.webSession("assessor")
        let drawn = try await app.send(
            .POST, "/campaigns/\(try c.requireID())/samples", headers: s.headers,
            form: ["_csrf": s.csrf, "size": "5", "seed": "11", "strata[]": "size", "allocation": "equal", "statuses[]": "存续"])
        let path = try #require(drawn.headers.first(name: .location))
        _ = try await app.send(.POST, "\(path)/surveys", headers: s.headers, form: ["_csrf": s.csrf])
        let tokens = try await SurveyResponse.query(on: app.db).sort(\.$token).all()
        try #require(tokens.count == 5)
        return (path, s, tokens)
    }

    @Test("a batch of writes changes exactly the responses not yet submitted, across statements; progress saves too", arguments: TestDatabase.available)
    func batchedWrites(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let tokens = try await Self.fiveIssuedLinks(app).tokens
            struct Body: Encodable, Sendable { let token: String; let answers: [String: String] }
            let first = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[0].token, answers: ["paying_taxes.satisfaction": "5"]))
            try #require(first.status == .created)

            let at = Date(timeIntervalSince1970: 1_790_000_000)
            let ids = try tokens.map { try $0.requireID() }
            let writes = [
                SurveyWriteQueue.Write(id: ids[0], json: #"{"paying_taxes.satisfaction":"1"}"#, final: true, at: at),
                SurveyWriteQueue.Write(id: ids[1], json: #"{"paying_taxes.satisfaction":"2"}"#, final: true, at: at),
                SurveyWriteQueue.Write(id: ids[2], json: #"{"paying_taxes.satisfaction":"3"}"#, final: true, at: at),
                SurveyWriteQueue.Write(id: ids[3], json: #"{"paying_taxes.days":"4"}"#, final: false, at: at),
                SurveyWriteQueue.Write(id: ids[4], json: #"{"paying_taxes.satisfaction":"5"}"#, final: true, at: at),
            ]
            // Two rows per statement: the four submissions take two statements, the save its own.
            let changed = try await app.db.writeTransaction { tx in try await SurveyWriteQueue.conditionalWrites(writes, chunk: 2, on: tx) }
            #expect(changed == Set(ids[1...4]))
            let stored = Dictionary(uniqueKeysWithValues: try await SurveyResponse.query(on: app.db).all().map { (try $0.requireID(), $0) })
            // Already submitted: unchanged.
            #expect(stored[ids[0]]?.answers == ["paying_taxes.satisfaction": "5"])
            for (i, v) in [(1, "2"), (2, "3"), (4, "5")] {
                #expect(stored[ids[i]]?.status == "submitted")
                #expect(stored[ids[i]]?.answers == ["paying_taxes.satisfaction": v])
                #expect(stored[ids[i]]?.submittedAt.map { abs($0.timeIntervalSince(at)) < 0.001 } == true)
            }
            #expect(stored[ids[3]]?.status == "issued")
            #expect(stored[ids[3]]?.answers == ["paying_taxes.days": "4"])
            // Again: nothing left to change but the save.
            let again = try await app.db.writeTransaction { tx in try await SurveyWriteQueue.conditionalWrites(writes, chunk: 2, on: tx) }
            #expect(again == [ids[3]])
        }
    }

    @Test("a burst of submissions handled in batches: each gets its own answer, and only accepted ones are stored", arguments: SurveyStore.available)
    func burst(store: SurveyStore) async throws {
        try await withApp(store) { app in
            let tokens = try await Self.fiveIssuedLinks(app).tokens
            tokens[2].expiresAt = Date().addingTimeInterval(-60)
            try await tokens[2].update(on: app.db)
            // A time with a fraction of a second: the stored submission time is read back through Fluent below.
            let at = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down) + 0.375)
            app.settings.clock = .fixed(at)
            struct Body: Encodable, Sendable { let token: String; let answers: [String: String] }
            let sends: [(label: String, body: Body)] = [
                ("ok0", Body(token: tokens[0].token, answers: ["paying_taxes.satisfaction": "4"])),
                ("bad1", Body(token: tokens[1].token, answers: ["paying_taxes.satisfaction": "0"])),
                ("expired2", Body(token: tokens[2].token, answers: ["paying_taxes.satisfaction": "4"])),
                ("unknown", Body(token: "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", answers: ["paying_taxes.satisfaction": "4"])),
                ("ok3", Body(token: tokens[3].token, answers: ["paying_taxes.days": "2"])),
                ("same4a", Body(token: tokens[4].token, answers: ["paying_taxes.satisfaction": "5"])),
                ("same4b", Body(token: tokens[4].token, answers: ["paying_taxes.satisfaction": "5"])),
            ]
            let statuses = try await withThrowingTaskGroup(of: (String, UInt).self) { group in
                for (label, body) in sends {
                    group.addTask { (label, try await app.send(.POST, "/api/v1/survey-responses", json: body).status.code) }
                }
                var all: [String: UInt] = [:]
                for try await (label, code) in group { all[label] = code }
                return all
            }
            #expect(statuses["ok0"] == 201 && statuses["ok3"] == 201)
            #expect(statuses["bad1"] == 422 && statuses["expired2"] == 410 && statuses["unknown"] == 404)
            // The same answers twice: one stores them, the other is told they were received.
            #expect([statuses["same4a"], statuses["same4b"]].compactMap { $0 }.sorted() == [200, 201])
            let stored = Dictionary(uniqueKeysWithValues: try await SurveyResponse.query(on: app.db).all().map { ($0.token, $0) })
            #expect(stored[tokens[0].token]?.status == "submitted" && stored[tokens[0].token]?.answers == ["paying_taxes.satisfaction": "4"])
            #expect(stored[tokens[3].token]?.answers == ["paying_taxes.days": "2"])
            #expect(stored[tokens[4].token]?.answers == ["paying_taxes.satisfaction": "5"])
            for t in [0, 3, 4] { #expect(stored[tokens[t].token]?.submittedAt == at) }
            #expect(await app.surveyWriteQueue.waiting == 0)
            for refused in [tokens[1], tokens[2]] {
                #expect(stored[refused.token]?.status == "issued")
                #expect(stored[refused.token]?.answers.isEmpty == true)
            }
        }
    }

    @Test("a full submission queue refuses with 503 and Retry-After, stores nothing, and accepts again once drained", arguments: SurveyStore.available)
    func fullQueue(store: SurveyStore) async throws {
        try await withApp(store) { app in
            let tokens = try await Self.fiveIssuedLinks(app).tokens
            // The queue holds its first batch at the gate until the test opens it, so it fills deterministically.
            let (opened, open) = AsyncStream<Void>.makeStream()
            let queue = SurveyWriteQueue(
                database: { app.db }, sqliteFile: app.sqliteFile, limit: .init(count: 2, bytes: 200), gate: { for await _ in opened { return } })
            app.surveyWriteQueue = queue
            struct Body: Encodable, Sendable { let token: String; let answers: [String: String] }
            let send: @Sendable (Int, String) async throws -> TestingHTTPResponse = { i, answer in
                try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[i].token, answers: ["paying_taxes.satisfaction": answer]))
            }
            async let first = send(0, "4")
            async let second = send(1, "3")
            // Declared after them, so it runs before the two are awaited: a failure below must not leave them waiting.
            defer { open.finish() }
            var polls = 0
            while await queue.waiting < 2, polls < 500 {
                try await Task.sleep(for: .milliseconds(10))
                polls += 1
            }
            try #require(await queue.waiting == 2)

            let refused = try await send(2, "5")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers.first(name: "Retry-After") == "5")
            let refusalBody = refused.body.string
            #expect(refusalBody.contains(#""code":"busy""#))
            let untouched = try await SurveyResponse.find(tokens[2].id, on: app.db)
            #expect(untouched?.status == "issued" && untouched?.answers.isEmpty == true)

            open.yield(())
            #expect(try await first.status == .created)
            #expect(try await second.status == .created)
            #expect(await queue.waiting == 0)
            // Drained: the refused enterprise's retry is stored; answers larger than the bytes bound never are.
            let tooLarge = try await send(3, String(repeating: "5", count: 300))
            #expect(tooLarge.status == .serviceUnavailable)
            #expect(try await SurveyResponse.find(tokens[3].id, on: app.db)?.status == "issued")
            #expect(try await send(2, "5").status == .created)
            let stored = Dictionary(uniqueKeysWithValues: try await SurveyResponse.query(on: app.db).all().map { ($0.token, $0) })
            for (i, v) in [(0, "4"), (1, "3"), (2, "5")] {
                #expect(stored[tokens[i].token]?.status == "submitted")
                #expect(stored[tokens[i].token]?.answers == ["paying_taxes.satisfaction": v])
            }
        }
    }

    /// Submits `{"paying_taxes.satisfaction": answer}` for `token` through the API; the status code.
    static func submit(_ app: Application, _ token: String, _ answer: String) async throws -> UInt {
        struct Body: Encodable, Sendable { let token: String; let answers: [String: String] }
        return try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: token, answers: ["paying_taxes.satisfaction": answer])).status.code
    }

    /// Waits (up to 2.5 s) until `queue` holds `n` submissions, so the next one queues behind them.
    static func waitUntil(_ queue: SurveyWriteQueue, holds n: Int) async throws {
        var polls = 0
        while await queue.waiting < n, polls < 500 {
            try await Task.sleep(for: .milliseconds(5))
            polls += 1
        }
        try #require(await queue.waiting == n)
    }

    @Test("one response submitted three times in consecutive batches: 201, then 200 for the same answers, 409 for others", arguments: SurveyStore.available)
    func consecutiveBatches(store: SurveyStore) async throws {
        try await withApp(store) { app in
            let tokens = try await Self.fiveIssuedLinks(app).tokens
            let (opened, open) = AsyncStream<Void>.makeStream()
            let queue = SurveyWriteQueue(database: { app.db }, sqliteFile: app.sqliteFile, gate: { for await _ in opened { return } })
            app.surveyWriteQueue = queue
            let send: @Sendable (Int, String) async throws -> UInt = { i, answer in try await Self.submit(app, tokens[i].token, answer) }
            // Queued in this order while the gate holds the queue: a batch takes a token once, so these are three
            // batches for token 0 (token 1 rides in the first).
            func queued(_ n: Int) async throws { try await Self.waitUntil(queue, holds: n) }
            async let a = send(0, "5")
            try await queued(1)
            async let b = send(0, "5")
            try await queued(2)
            async let c = send(0, "4")
            try await queued(3)
            async let d = send(1, "3")
            try await queued(4)
            open.yield(())
            open.finish()
            let (ra, rb, rc, rd) = try await (a, b, c, d)
            #expect([ra, rb, rc, rd] == [201, 200, 409, 201])
            #expect(await queue.waiting == 0)
            let stored = Dictionary(uniqueKeysWithValues: try await SurveyResponse.query(on: app.db).all().map { ($0.token, $0) })
            #expect(stored[tokens[0].token]?.answers == ["paying_taxes.satisfaction": "5"])
            #expect(stored[tokens[1].token]?.answers == ["paying_taxes.satisfaction": "3"])
        }
    }

    @Test("on a SQLite file another connection's write is waited for, then the submission is refused with 503 and nothing stored")
    func directBusy() async throws {
        try await withApp(.sqliteFile) { app in
            let tokens = try await Self.fiveIssuedLinks(app).tokens
            let file = try #require(app.sqliteFile)
            let queue = SurveyWriteQueue(database: { app.db }, sqliteFile: file, busyTimeout: 300)
            app.surveyWriteQueue = queue
            struct Body: Encodable, Sendable { let token: String; let answers: [String: String] }
            let body = Body(token: tokens[0].token, answers: ["paying_taxes.satisfaction": "4"])
            // A write transaction of the application (as an import's) holds the file's write lock meanwhile.
            let (locked, lockedNow) = AsyncStream<Void>.makeStream()
            let (release, releaseNow) = AsyncStream<Void>.makeStream()
            let other = try tokens[1].requireID()
            let holder = Task {
                try await app.db.writeTransaction { tx in
                    try await (tx as? any SQLDatabase)?.raw("UPDATE survey_responses SET answers = answers WHERE id = \(bind: other)").run()
                    lockedNow.yield(())
                    for await _ in release { break }
                }
            }
            for await _ in locked { break }
            let started = Date()
            let refused = try await app.send(.POST, "/api/v1/survey-responses", json: body)
            releaseNow.finish()
            try await holder.value
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers.first(name: "Retry-After") == "5")
            #expect(refused.body.string.contains("答卷未保存"))
            #expect(Date().timeIntervalSince(started) >= 0.3)
            #expect(try await SurveyResponse.find(tokens[0].id, on: app.db)?.status == "issued")
            #expect(await queue.waiting == 0)
            // The lock released, the same submission is stored.
            #expect(try await app.send(.POST, "/api/v1/survey-responses", json: body).status == .created)
            #expect(try await SurveyResponse.find(tokens[0].id, on: app.db)?.answers == ["paying_taxes.satisfaction": "4"])
        }
    }

    @Test("on a SQLite file a write failing alone fails only its submission; one that ends the transaction fails the batch with nothing stored", arguments: ["ABORT", "ROLLBACK"])
    func directFailures(raise: String) async throws {
        try await withApp(.sqliteFile) { app in
            let tokens = try await Self.fiveIssuedLinks(app).tokens
            // A trigger refuses the write of one answer set: ABORT undoes that statement, ROLLBACK the whole transaction
            // (as a full disk or an I/O error does).
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.raw("""
                CREATE TRIGGER refuse_one BEFORE UPDATE OF answers ON survey_responses
                WHEN NEW.answers LIKE '%"paying_taxes.satisfaction":"1"%'
                BEGIN SELECT RAISE(\(unsafeRaw: raise), 'refused by test'); END
                """).run()
            let (opened, open) = AsyncStream<Void>.makeStream()
            let queue = SurveyWriteQueue(database: { app.db }, sqliteFile: app.sqliteFile, gate: { for await _ in opened { return } })
            app.surveyWriteQueue = queue
            let send: @Sendable (Int, String) async throws -> UInt = { i, answer in try await Self.submit(app, tokens[i].token, answer) }
            func queued(_ n: Int) async throws { try await Self.waitUntil(queue, holds: n) }
            // One batch, in this order: the refused write between two others.
            async let a = send(0, "4")
            try await queued(1)
            async let b = send(1, "1")
            try await queued(2)
            async let c = send(2, "3")
            try await queued(3)
            open.yield(())
            open.finish()
            let codes = try await [a, b, c]
            let stored = Dictionary(uniqueKeysWithValues: try await SurveyResponse.query(on: app.db).all().map { ($0.token, $0.status) })
            if raise == "ABORT" {
                #expect(codes == [201, 500, 201])
                #expect([0, 1, 2].map { stored[tokens[$0].token] } == ["submitted", "issued", "submitted"])
            } else {
                #expect(codes == [500, 500, 500])
                #expect([0, 1, 2].map { stored[tokens[$0].token] } == ["issued", "issued", "issued"])
            }
            #expect(await queue.waiting == 0)
        }
    }

    @Test("201 once committed, 200 for the same answers again, 409 for different ones, 410 expired, 404 unknown", arguments: SurveyStore.available)
    func api(store: SurveyStore) async throws {
        try await withApp(store) { app in
            let (path, s, tokens) = try await Self.fiveIssuedLinks(app)
            #expect(tokens.count == 5)
            #expect(!tokens.isEmpty && tokens.allSatisfy { $0.token.count >= 22 && $0.expiresAt != nil })

            struct Body: Encodable, Sendable { let token: String; let answers: [String: String] }
            let answers = ["paying_taxes.satisfaction": "5", "paying_taxes.days": "1"]
            let first = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[0].token, answers: answers))
            #expect(first.status == .created)
            #expect(first.headers.contentType == .json)
            #expect(try first.decode([String: String].self) == ["status": "received", "token": tokens[0].token])
            let repeatSame = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[0].token, answers: answers))
            #expect(repeatSame.status == .ok)
            #expect(try repeatSame.decode([String: String].self) == ["status": "already_received", "token": tokens[0].token])
            let changed = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[0].token, answers: ["paying_taxes.satisfaction": "1"]))
            #expect(changed.status == .conflict)
            let bad = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[1].token, answers: ["paying_taxes.satisfaction": "0"]))
            #expect(bad.status == .unprocessableEntity)
            #expect(try await SurveyResponse.find(tokens[1].id, on: app.db)?.status == "issued")
            let unknown = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: "AAAAAAAAAAAAAAAAAAAAAA", answers: answers))
            #expect(unknown.status == .notFound)
            // Bodies outside the plain shape go to Vapor's decoder: a number for an answer is refused (nothing stored),
            // a broken body is refused (a key the API does not know is ignored: below).
            let numeric = try await app.send(.POST, "/api/v1/survey-responses", raw: #"{"token":"\#(tokens[1].token)","answers":{"paying_taxes.satisfaction":5}}"#)
            #expect(numeric.status == .unprocessableEntity)
            let broken = try await app.send(.POST, "/api/v1/survey-responses", raw: #"{"token":"\#(tokens[1].token)","answers":{"paying_taxes.satisfaction":"5"}"#)
            #expect(broken.status == .unprocessableEntity)
            #expect(try await SurveyResponse.find(tokens[1].id, on: app.db)?.status == "issued")
            let old = try #require(try await SurveyResponse.find(tokens[2].id, on: app.db))
            old.expiresAt = Date().addingTimeInterval(-60)
            try await old.update(on: app.db)
            let expired = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: tokens[2].token, answers: answers))
            #expect(expired.status == .gone)

            // Saving progress on the page keeps the answers without submitting.
            var visitor = WebSession(cookie: "", csrf: "")
            visitor.absorb(try await app.send(.GET, "/s/\(tokens[3].token)"))
            let saved = try await app.send(
                .POST, "/s/\(tokens[3].token)", headers: visitor.headers,
                form: ["_csrf": visitor.csrf, "save": "1", "answers[paying_taxes.days]": "3"])
            #expect(saved.status == .seeOther)
            let r = try #require(try await SurveyResponse.find(tokens[3].id, on: app.db))
            #expect(r.status == "issued")
            #expect(r.answers["paying_taxes.days"] == "3")
            // The page it returns to confirms the save and shows the answer kept.
            visitor.absorb(saved)
            let back = try await app.send(.GET, try #require(saved.headers.first(name: .location)), headers: visitor.headers)
            #expect(back.text.contains("已保存，可稍后继续填写"))
            #expect(back.text.contains("value=\"3\""))

            let draw = try await app.send(.GET, path, headers: s.headers)
            #expect(draw.text.contains("回收率"))
            #expect(draw.text.contains("20%"))
            let letters = try await app.send(.GET, "\(path)/letters", headers: s.headers)
            #expect(letters.text.contains("查询码"))
            // Behind a load balancer the Host header is an internal name: the configured public address is used.
            app.settings.publicURL = "https://ys.example.gov.cn"
            #expect(try await app.send(.GET, "\(path)/letters", headers: s.headers).text.contains("https://ys.example.gov.cn/s/"))
            #expect(try await app.send(.GET, "\(path)/surveys.csv", headers: s.headers).text.contains("https://ys.example.gov.cn/s/"))

            // Two different submissions racing for one token: exactly one is acknowledged, and it is what is stored.
            let racing = tokens[4].token
            let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for v in ["1", "2", "3", "4", "5"] {
                    group.addTask {
                        let res = try await app.send(.POST, "/api/v1/survey-responses", json: Body(token: racing, answers: ["paying_taxes.satisfaction": v]))
                        return (Int(res.status.code), v)
                    }
                }
                var all: [(Int, String)] = []
                for try await o in group { all.append(o) }
                return all
            }
            let acked = outcomes.filter { $0.0 == 201 }
            #expect(acked.count == 1)
            #expect(outcomes.filter { $0.0 == 409 }.count == 4)
            let stored = try #require(try await SurveyResponse.find(tokens[4].id, on: app.db))
            #expect(stored.status == "submitted" && stored.answers["paying_taxes.satisfaction"] == acked.first?.1)

            let extraKey = try await app.send(
                .POST, "/api/v1/survey-responses", raw: #"{"client":"app 2.1","token":"\#(tokens[1].token)","answers":{"paying_taxes.satisfaction":"4"}}"#)
            #expect(extraKey.status == .created)
            #expect(try await SurveyResponse.find(tokens[1].id, on: app.db)?.answers == ["paying_taxes.satisfaction": "4"])
        }
    }
}
