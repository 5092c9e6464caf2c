import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
import YingshangOffice
@testable import YingshangApp

/// Catalog versioning, campaigns, the responsibility matrix, the schedule, tasks and the dispatch board.
@Suite("Indicators and campaigns")
struct CampaignTests {
    static func demoCampaign(_ app: Application) async throws -> Campaign {
        try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoCampaign.name).first())
    }

    /// A 2022 campaign body with 16 national indicators and the default phases.
    static func body(_ app: Application, name: String = "2022 年度县域营商环境评价", phases: [PhaseSpan]? = nil, codes: [String]? = nil)
        async throws -> [String: AnyJSON]
    {
        let county = try #require(try await Region.query(on: app.db).filter(\.$code == "370799").first()?.id)
        let picked = codes ?? NationalCatalog.indicators.map(\.code).filter { $0 != "cross_border_trade" && $0 != "resolving_insolvency" }
        let p = phases ?? PhasePlan.defaults(year: 2022)
        return [
            "name": .string(name), "year": .int(2022), "startDate": .string("2022-09-01"), "endDate": .string("2022-12-31"),
            "perDay": .int(2), "regionIDs": .array([.string(county.uuidString)]),
            "indicatorCodes": .array(picked.map(AnyJSON.string)),
            "phases": .object(Dictionary(uniqueKeysWithValues: p.map {
                ($0.kind.rawValue, AnyJSON.object(["start": .string($0.start.description), "end": .string($0.end.description)]))
            })),
        ]
    }

    @Test("the demo has the 18 national indicators as V1 and a running 16-indicator campaign", arguments: TestDatabase.available)
    func demo(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("leader")
            let res = try await app.send(.GET, "/api/v1/catalog", headers: .bearer(token))
            #expect(res.status == .ok)
            let v = try res.decode(CatalogAPIController.VersionDTO.self)
            #expect(v.number == 1)
            #expect(v.inUse)
            #expect(v.catalog == NationalCatalog.catalog)
            let c = try await Self.demoCampaign(app)
            #expect(try await CampaignIndicator.query(on: app.db).filter(\.$campaign.$id == c.requireID()).count() == 16)
        }
    }

    @Test("a coordinator creates a campaign; starting it needs a lead unit for every indicator", arguments: TestDatabase.available)
    func createAndStart(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("coordinator")
            let res = try await app.send(.POST, "/api/v1/campaigns", headers: .bearer(token), json: try await Self.body(app))
            #expect(res.status == .created, "\(res.text)")
            let c = try res.decode(CampaignDTO.self)
            #expect(c.indicatorCodes.count == 16)
            #expect(c.catalogVersion == 1)
            #expect(c.phases.map(\.kind) == ["training", "filing", "verification", "report"])

            let matrix = try await app.send(.GET, "/api/v1/campaigns/\(c.id)/assignments", headers: .bearer(token))
            let rows = try matrix.decode([AssignmentDTO].self)
            #expect(rows.count == 16)
            #expect(!rows.isEmpty && rows.allSatisfy { $0.leadUnit == nil })

            let refused = try await app.send(.POST, "/api/v1/campaigns/\(c.id)/start", headers: .bearer(token))
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.apiError?.fields?["leadUnit"]?.contains("开办企业") == true)

            let scjg = try await app.unitID("SCJG")
            for row in rows {
                let r = try await app.send(
                    .PUT, "/api/v1/campaigns/\(c.id)/assignments/\(row.id)", headers: .bearer(token),
                    json: ["leadUnitID": scjg.uuidString])
                #expect(r.status == .ok)
            }
            let started = try await app.send(.POST, "/api/v1/campaigns/\(c.id)/start", headers: .bearer(token))
            #expect(started.status == .ok)
            #expect(try started.decode(CampaignDTO.self).status == "active")
            // Indicators are frozen once started.
            var body = try await Self.body(app)
            body["indicatorCodes"] = .array([.string("paying_taxes")])
            let frozen = try await app.send(.PUT, "/api/v1/campaigns/\(c.id)", headers: .bearer(token), json: body)
            #expect(frozen.status == .unprocessableEntity)
            #expect(frozen.apiError?.fields?["indicatorCodes"]?.contains("已启动") == true)
        }
    }

    @Test("letters in the campaign form's number fields are named beside the fields in Chinese, the typed text is kept, nothing is stored", arguments: TestDatabase.available)
    func lettersInNumberFields(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("coordinator")
            let before = try await Campaign.query(on: app.db).count()
            let res = try await app.send(
                .POST, "/campaigns", headers: s.headers,
                form: ["_csrf": s.csrf, "name": "二〇二三年度评价", "year": "二〇二三", "perDay": "两个", "startDate": "2023-09-01",
                       "endDate": "2023-12-31", "indicatorCodes[]": "starting_business"])
            #expect(res.status == .unprocessableEntity)
            #expect(res.text.contains("评价年度应为 2000–2100 的年份（数字），“二〇二三”不是数字"))
            #expect(res.text.contains("每天填报指标数应为 1–20 的整数，“两个”不是数字"))
            #expect(res.text.contains("value=\"二〇二三\"") && res.text.contains("value=\"两个\""))
            #expect(res.text.contains("value=\"二〇二三年度评价\""))
            #expect(!res.text.contains("类型不正确"))
            #expect(try await Campaign.query(on: app.db).count() == before)
            // The API takes the year as a number or as digits in text.
            let token = try await app.apiToken("coordinator")
            var body = try await Self.body(app)
            body["year"] = .string("2022")
            #expect(try await app.send(.POST, "/api/v1/campaigns", headers: .bearer(token), json: body).status == .created)
        }
    }

    @Test("bad campaign input is refused with Chinese field messages and stores nothing", arguments: TestDatabase.available)
    func badInput(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("coordinator")
            let before = try await Campaign.query(on: app.db).count()
            var overlapping = PhasePlan.defaults(year: 2022)
            overlapping[2] = PhaseSpan(kind: .verification, start: Day("2022-10-20")!, end: Day("2022-11-30")!)
            let overlap = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(token), json: try await Self.body(app, phases: overlapping))
            #expect(overlap.status == .unprocessableEntity)
            #expect(overlap.apiError?.fields?["phases.verification.start"]?.contains("重叠") == true)

            var outside = PhasePlan.defaults(year: 2022)
            outside[3] = PhaseSpan(kind: .report, start: Day("2022-12-01")!, end: Day("2023-01-10")!)
            let out = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(token), json: try await Self.body(app, phases: outside))
            #expect(out.apiError?.fields?["phases.report.start"]?.contains("超出评价周期") == true)

            let unknown = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(token), json: try await Self.body(app, codes: ["no_such"]))
            #expect(unknown.apiError?.fields?["indicatorCodes"] == "指标 no_such 不在指标体系中")
            let none = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(token), json: try await Self.body(app, codes: []))
            #expect(none.apiError?.fields?["indicatorCodes"] == "请至少选择 1 项评价指标")
            #expect(try await Campaign.query(on: app.db).count() == before)

            // A task deadline outside the campaign.
            let c = try await Self.demoCampaign(app)
            let task = try await app.send(
                .POST, "/api/v1/campaigns/\(try c.requireID())/tasks", headers: .bearer(token),
                json: ["phase": "training", "title": "培训", "unitID": try await app.unitID("SPJ").uuidString, "deadline": "2023-02-01"])
            #expect(task.status == .unprocessableEntity)
            #expect(task.apiError?.fields?["deadline"]?.contains("不在评价周期") == true)
        }
    }

    @Test("editing a catalog a campaign uses creates a new version; the campaign stays on its version", arguments: TestDatabase.available)
    func versioning(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("coordinator")
            var catalog = NationalCatalog.catalog
            catalog.indicators[0].nameZh = "开办企业（县级）"
            let v2 = try await app.send(.PUT, "/api/v1/catalog", headers: .bearer(token), json: catalog)
            #expect(v2.status == .ok)
            #expect(try v2.decode(CatalogAPIController.VersionDTO.self).number == 2)
            let c = try await Self.demoCampaign(app)
            #expect(try await c.$catalogVersion.get(on: app.db).number == 1)
            #expect(try await CatalogService.version(1, on: app.db)?.catalog() == NationalCatalog.catalog)

            // V2 is unused, so a further edit changes it in place.
            catalog.indicators[1].weight = 2
            let again = try await app.send(.PUT, "/api/v1/catalog", headers: .bearer(token), json: catalog)
            #expect(try again.decode(CatalogAPIController.VersionDTO.self).number == 2)
            #expect(try await CatalogVersion.query(on: app.db).count() == 2)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "catalog").count() >= 3)
        }
    }

    @Test("best equal to worst and all-zero weights are refused; nothing is stored", arguments: TestDatabase.available)
    func badCatalog(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("coordinator")
            var catalog = NationalCatalog.catalog
            catalog.indicators[0].subIndicators[0].worst = catalog.indicators[0].subIndicators[0].best
            let res = try await app.send(.PUT, "/api/v1/catalog", headers: .bearer(token), json: catalog)
            #expect(res.status == .unprocessableEntity)
            #expect(res.apiError?.fields?["indicators[0].subIndicators[0].worst"]?.contains("最优值与最差值相同") == true)

            var zero = NationalCatalog.catalog
            for i in zero.indicators.indices { zero.indicators[i].weight = 0 }
            let z = try await app.send(.PUT, "/api/v1/catalog", headers: .bearer(token), json: zero)
            #expect(z.apiError?.fields?["indicators.weight"] == "指标权重不能全部为 0")

            var negative = NationalCatalog.catalog
            negative.indicators[2].weight = -1
            let n = try await app.send(.PUT, "/api/v1/catalog", headers: .bearer(token), json: negative)
            #expect(n.apiError?.fields?["indicators[2].weight"] != nil)
            #expect(try await CatalogVersion.query(on: app.db).count() == 1)
        }
    }

    @Test("XLSX export, a rejected import with a bad cell, and a good import through the web", arguments: TestDatabase.available)
    func xlsxImport(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("coordinator")
            let export = try await app.send(.GET, "/catalog/export.xlsx", headers: s.headers)
            #expect(export.status == .ok)
            let data = Data(buffer: export.body)
            #expect(try CatalogWorkbook.catalog(from: XLSX.read(data)) == NationalCatalog.catalog)

            var sheets = try XLSX.read(data)
            sheets[1].rows[1][8] = .text("多")  // 最差值 of the first sub-indicator
            let bad = try await upload(app, s, try XLSX.write(sheets), name: "bad.xlsx")
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("工作表“二级指标”第 2 行 最差值：“多”不是数字"))
            #expect(try await CatalogVersion.query(on: app.db).count() == 1)

            sheets = try XLSX.read(data)
            sheets[0].rows[1][1] = .text("开办企业（导入）")
            let good = try await upload(app, s, try XLSX.write(sheets), name: "good.xlsx")
            #expect(good.status == .seeOther)
            let current = try #require(try await CatalogService.current(on: app.db))
            #expect(current.number == 2)
            #expect(try current.catalog().indicators[0].nameZh == "开办企业（导入）")
        }
    }

    func upload(_ app: Application, _ s: WebSession, _ data: Data, name: String) async throws -> TestingHTTPResponse {
        struct Form: Content {
            let _csrf: String
            let file: File
        }
        return try await app.testing().sendRequest(.POST, "/catalog/import", headers: s.headers) { req in
            try req.content.encode(Form(_csrf: s.csrf, file: File(data: ByteBuffer(data: data), filename: name)), as: .formData)
        }
    }

    @Test("the UI flow: create the 2022 campaign from the form, assign, schedule at two a day, create filing tasks", arguments: TestDatabase.available)
    func webFlow(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("coordinator")
            let county = try #require(try await Region.query(on: app.db).filter(\.$code == "370799").first()?.id)
            let codes = NationalCatalog.indicators.map(\.code).filter { $0 != "cross_border_trade" && $0 != "resolving_insolvency" }
            var form = [
                "_csrf": s.csrf, "name": "2022 年度县域营商环境评价", "year": "2022", "startDate": "2022-09-01",
                "endDate": "2022-12-31", "perDay": "2", "regionIDs[]": county.uuidString,
            ]
            for p in PhasePlan.defaults(year: 2022) {
                form["phases[\(p.kind.rawValue)][start]"] = p.start.description
                form["phases[\(p.kind.rawValue)][end]"] = p.end.description
            }
            // Repeated checkbox fields are encoded by hand.
            var pairs = form.map { ($0.key, $0.value) }
            pairs += codes.map { ("indicatorCodes[]", $0) }
            let encoded = pairs.map {
                "\($0.0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
            let created = try await app.testing().sendRequest(.POST, "/campaigns", headers: s.headers) { req in
                req.headers.contentType = .urlEncodedForm
                req.body = ByteBuffer(string: encoded)
            }
            #expect(created.status == .seeOther, "\(created.text)")
            let location = try #require(created.headers.first(name: .location))
            let c = try #require(try await Campaign.query(on: app.db).filter(\.$name == "2022 年度县域营商环境评价").first())
            let id = try c.requireID()
            #expect(location == "/campaigns/\(id)")
            #expect(try await CampaignIndicator.query(on: app.db).filter(\.$campaign.$id == id).count() == 16)

            // Filing tasks need lead units first.
            let page = try await app.send(.GET, "/campaigns/\(id)/schedule", headers: s.headers)
            #expect(page.status == .ok)
            let gen = try await app.send(.POST, "/campaigns/\(id)/schedule", headers: s.headers, form: ["_csrf": s.csrf, "perDay": "2", "fixed": ""])
            #expect(gen.status == .seeOther)
            let entries = try await ScheduleEntry.query(on: app.db).filter(\.$campaign.$id == id).all()
            #expect(entries.count == 16)
            #expect(Set(entries.map(\.day)) == [
                "2022-10-08", "2022-10-09", "2022-10-10", "2022-10-11", "2022-10-12", "2022-10-13", "2022-10-14", "2022-10-17",
            ])
            let noLead = try await app.send(.POST, "/campaigns/\(id)/schedule/tasks", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(noLead.status == .seeOther)
            #expect(try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == id).count() == 0)

            let gd = try await app.unitID("GD")
            for a in try await Assignment.query(on: app.db).filter(\.$campaign.$id == id).all() {
                let r = try await app.send(
                    .POST, "/campaigns/\(id)/assignments/\(try a.requireID())", headers: s.headers,
                    form: ["_csrf": s.csrf, "leadUnitID": gd.uuidString])
                #expect(r.status == .seeOther)
            }
            _ = try await app.send(.POST, "/campaigns/\(id)/schedule/tasks", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == id).count() == 16)
            // Running it again creates nothing twice.
            _ = try await app.send(.POST, "/campaigns/\(id)/schedule/tasks", headers: s.headers, form: ["_csrf": s.csrf])
            #expect(try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == id).count() == 16)

            let dispatch = try await app.send(.GET, "/campaigns/\(id)/dispatch?date=2022-10-10", headers: s.headers)
            #expect(dispatch.status == .ok)
            #expect(dispatch.text.contains("<svg"))
            let xlsx = try await app.send(.GET, "/campaigns/\(id)/matrix.xlsx", headers: s.headers)
            #expect(xlsx.body.readableBytesView.starts(with: [0x50, 0x4B]))
            let sheet = try XLSX.read(Data(buffer: xlsx.body))
            #expect(sheet[0].rows.count == 17)
            let csv = try await app.send(.GET, "/campaigns/\(id)/schedule.csv", headers: s.headers)
            #expect(csv.body.readableBytesView.starts(with: [0xEF, 0xBB, 0xBF]))
        }
    }

    @Test("a fixed date outside the filing phase is refused and the schedule is unchanged", arguments: TestDatabase.available)
    func scheduleBadFixed(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("coordinator")
            let c = try await Self.demoCampaign(app)
            let id = try c.requireID()
            let before = try await ScheduleEntry.query(on: app.db).filter(\.$campaign.$id == id).sort(\.$indicatorCode).all().map(\.day)
            let res = try await app.send(
                .POST, "/api/v1/campaigns/\(id)/schedule", headers: .bearer(token),
                json: ScheduleBody(perDay: 2, fixedDates: ["paying_taxes": "2022-11-15"]))
            #expect(res.status == .unprocessableEntity)
            #expect(res.apiError?.fields?["fixed"]?.contains("不在数据填报阶段内") == true)
            let fixed = try await app.send(
                .POST, "/api/v1/campaigns/\(id)/schedule", headers: .bearer(token),
                json: ScheduleBody(perDay: 2, fixedDates: ["paying_taxes": "2022-10-20"]))
            #expect(fixed.status == .ok)
            let entries = try fixed.decode([ScheduleEntryDTO].self)
            #expect(entries.first { $0.indicatorCode == "paying_taxes" }?.day == "2022-10-20")
            #expect(entries.first { $0.indicatorCode == "paying_taxes" }?.fixed == true)
            #expect(before.count == entries.count)
        }
    }

    struct ScheduleBody: Encodable, Sendable {
        let perDay: Int
        let fixedDates: [String: String]
    }

    @Test("dispatch: overdue by working days, unit heads see only their unit, bad dates refused", arguments: TestDatabase.available)
    func dispatch(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await Self.demoCampaign(app)
            let id = try c.requireID()
            let leader = try await app.apiToken("leader")
            let res = try await app.send(.GET, "/api/v1/campaigns/\(id)/dispatch?date=2022-10-14", headers: .bearer(leader))
            #expect(res.status == .ok)
            let d = try res.decode(DispatchDTO.self)
            #expect(d.total == 16)
            #expect(d.lines.count == 16)
            #expect(d.counts.values.reduce(0, +) == 16)
            #expect(!d.overdue.isEmpty)
            #expect(!d.overdue.isEmpty && d.overdue.allSatisfy { $0.workdaysOverdue > 0 && !["submitted", "accepted"].contains($0.status) })
            #expect(!d.dueToday.isEmpty && d.dueToday.allSatisfy { $0.due == "2022-10-14" })
            // Before the first filing day nothing is late.
            let early = try await app.send(.GET, "/api/v1/campaigns/\(id)/dispatch?date=2022-10-07", headers: .bearer(leader))
            #expect(try early.decode(DispatchDTO.self).overdue.isEmpty)

            let head = try await app.apiToken("unithead")
            let mine = try await app.send(.GET, "/api/v1/campaigns/\(id)/dispatch?date=2022-10-14", headers: .bearer(head))
                .decode(DispatchDTO.self)
            // 市场监管局 leads these three in the demo and cooperates on none.
            #expect(Set(mine.lines.map(\.indicatorName)) == ["开办企业", "知识产权创造、保护和运用", "市场监管"])
            #expect(mine.total == 3)

            let bad = try await app.send(.GET, "/api/v1/campaigns/\(id)/dispatch?date=2022-13-01", headers: .bearer(leader))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.apiError?.fields?["date"] != nil)

            let s = try await app.webSession("leader")
            let printable = try await app.send(.GET, "/campaigns/\(id)/dispatch/print?date=2022-10-14", headers: s.headers)
            #expect(printable.status == .ok)
            #expect(printable.text.contains("每日调度报告"))
            #expect(printable.text.contains("逾期未报指标"))
        }
    }

    @Test("units confirm their own assignments and update only their own tasks", arguments: TestDatabase.available)
    func unitScope(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await Self.demoCampaign(app)
            let id = try c.requireID()
            let head = try await app.apiToken("unithead")
            let rows = try await app.send(.GET, "/api/v1/campaigns/\(id)/assignments", headers: .bearer(head)).decode([AssignmentDTO].self)
            let own = try #require(rows.first { $0.leadUnit?.code == "SCJG" })
            let other = try #require(rows.first { $0.leadUnit?.code == "GD" })
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(id)/assignments/\(own.id)/confirm", headers: .bearer(head)).status == .ok)
            let refused = try await app.send(.POST, "/api/v1/campaigns/\(id)/assignments/\(other.id)/confirm", headers: .bearer(head))
            #expect(refused.status == .forbidden)
            #expect(refused.apiError?.message.contains("不是该指标的牵头或配合单位") == true)

            let scjgTask = try #require(
                try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == id).filter(\.$unit.$id == (try await app.unitID("SCJG"))).first())
            let filer = try await app.apiToken("filer")
            let ok = try await app.send(
                .PUT, "/api/v1/campaigns/\(id)/tasks/\(try scjgTask.requireID())/status", headers: .bearer(filer),
                json: ["status": "submitted"])
            #expect(ok.status == .ok)
            #expect(try await CampaignTask.find(scjgTask.id, on: app.db)?.status == "submitted")

            let taxFiler = try await app.apiToken("filer_tax")
            let denied = try await app.send(
                .PUT, "/api/v1/campaigns/\(id)/tasks/\(try scjgTask.requireID())/status", headers: .bearer(taxFiler),
                json: ["status": "drafting"])
            #expect(denied.status == .forbidden)
            #expect(try await CampaignTask.find(scjgTask.id, on: app.db)?.status == "submitted")
            let badStatus = try await app.send(
                .PUT, "/api/v1/campaigns/\(id)/tasks/\(try scjgTask.requireID())/status", headers: .bearer(filer),
                json: ["status": "done"])
            #expect(badStatus.status == .unprocessableEntity)
            // Filers see only their unit's tasks.
            let list = try await app.send(.GET, "/api/v1/campaigns/\(id)/tasks?per=200", headers: .bearer(taxFiler)).decode(Listing<TaskDTO>.self)
            #expect(!list.items.isEmpty)
            #expect(!list.items.isEmpty && list.items.allSatisfy { $0.unitName == "国家税务总局青山县税务局" })
        }
    }

    @Test("the dispatch board reflects a status change at once (cache invalidated by the data revision)", arguments: TestDatabase.available)
    func dispatchCache(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await Self.demoCampaign(app)
            let id = try c.requireID()
            let coord = try await app.apiToken("coordinator")
            let url = "/api/v1/campaigns/\(id)/dispatch?date=2022-10-31"
            let computed = try await app.send(.GET, url, headers: .bearer(coord))
            let cached = try await app.send(.GET, url, headers: .bearer(coord))
            // The second answer is the first's JSON, kept with the board: same bytes, same type.
            #expect(cached.status == .ok && cached.body == computed.body)
            #expect(cached.headers.contentType == computed.headers.contentType && cached.headers.contentType == .json)
            let before = try computed.decode(DispatchDTO.self)
            let again = try cached.decode(DispatchDTO.self)
            #expect(before.counts == again.counts)
            let task = try #require(
                try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == id).filter(\.$indicatorCode == "starting_business").first())
            let old = task.status
            #expect(old != "returned")
            let res = try await app.send(
                .PUT, "/api/v1/campaigns/\(id)/tasks/\(try task.requireID())/status", headers: .bearer(coord),
                json: ["status": "returned"])
            #expect(res.status == .ok)
            for _ in 0..<2 {  // computed, then from the kept JSON
                let after = try await app.send(.GET, url, headers: .bearer(coord)).decode(DispatchDTO.self)
                #expect(after.lines.first { $0.indicatorCode == "starting_business" }?.status == "returned")
                #expect(after.counts["returned"] == (before.counts["returned"] ?? 0) + 1)
            }
        }
    }

    @Test("a board asked for by many at once is computed once; the others wait for it and get the same board")
    func dispatchFlight() async throws {
        let cache = DispatchCache()
        let first = cache.flight("k", revision: 1) { Task { throw CancellationError() } }
        let second = cache.flight("k", revision: 1) {
            Issue.record("a second computation started for the same key and revision")
            return Task { throw CancellationError() }
        }
        #expect(first.mine && !second.mine && first.task == second.task)
        #expect(cache.flight("k", revision: 2) { Task { throw CancellationError() } }.mine)
        #expect(cache.flight("other", revision: 1) { Task { throw CancellationError() } }.mine)
        cache.land("k", revision: 1)
        let again = cache.flight("k", revision: 1) { Task { throw CancellationError() } }
        #expect(again.mine && again.task != first.task)
    }

    @Test("sixteen requests for a board not yet cached all get the same board, computed once", arguments: TestDatabase.available)
    func dispatchAtOnce(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let id = try await Self.demoCampaign(app).requireID()
            let coord = try await app.apiToken("coordinator")
            let url = "/api/v1/campaigns/\(id)/dispatch?date=2022-10-30"
            let computed = app.dispatchCache.computations
            let answers = try await withThrowingTaskGroup(of: (HTTPStatus, ByteBuffer?).self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let res = try await app.send(.GET, url, headers: .bearer(coord))
                        return (res.status, res.body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 16 && answers.allSatisfy { $0.0 == .ok })
            // Compared as data (the encoder writes a dictionary's keys in no fixed order).
            let canonical = try answers.map { answer in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: try #require(answer.1)))
                return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(Set(canonical).count == 1)
            // The sixteen waited for one computation of the board (the controller's flight), not sixteen.
            #expect(app.dispatchCache.computations == computed + 1)
            let unitHead = try await app.apiToken("unithead")
            #expect(try await app.send(.GET, url, headers: .bearer(unitHead)).decode(DispatchDTO.self).lines.count
                < (try await app.send(.GET, url, headers: .bearer(coord)).decode(DispatchDTO.self).lines.count))
        }
    }

    @Test("task attachments: own unit or bureau only, checked like evidence", arguments: TestDatabase.available)
    func taskAttachments(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await Self.demoCampaign(app)
            let id = try c.requireID()
            let task = try #require(
                try await CampaignTask.query(on: app.db).filter(\.$campaign.$id == id).filter(\.$unit.$id == (try await app.unitID("SCJG"))).first())
            let tid = try task.requireID()
            func put(_ token: String, _ name: String, _ data: Data) async throws -> TestingHTTPResponse {
                try await app.testing().sendRequest(.PUT, "/api/v1/campaigns/\(id)/tasks/\(tid)/attachments?name=\(name)", headers: .bearer(token)) {
                    $0.body = ByteBuffer(data: data)
                }
            }
            let pdf = Data("%PDF-1.4 notice %%EOF".utf8)
            #expect(try await put(try await app.apiToken("filer"), "notice.pdf", pdf).status == .created)
            #expect(try await put(try await app.apiToken("coordinator"), "minutes.pdf", pdf).status == .created)
            #expect(try await put(try await app.apiToken("filer_tax"), "x.pdf", pdf).status == .forbidden)
            let fake = try await put(try await app.apiToken("filer"), "x.docx", pdf)
            #expect(fake.status == .unprocessableEntity)
            #expect(try await TaskAttachment.query(on: app.db).count() == 2)
            let s = try await app.webSession("leader")
            let page = try await app.send(.GET, "/campaigns/\(id)/tasks?per=100", headers: s.headers)
            #expect(page.text.contains("notice.pdf"))
        }
    }

    @Test("the holiday list rejects a bad line and keeps the old list", arguments: TestDatabase.available)
    func calendar(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("coordinator")
            let before = try await CalendarDay.query(on: app.db).count()
            let res = try await app.send(
                .POST, "/calendar", headers: s.headers, form: ["_csrf": s.csrf, "text": "2022-10-01 放假 国庆\n2022-10-32 放假 错误"])
            #expect(res.status == .unprocessableEntity)
            #expect(res.text.contains("第 2 行"))
            #expect(try await CalendarDay.query(on: app.db).count() == before)
        }
    }
}

/// Minimal JSON value for building request bodies with mixed types.
enum AnyJSON: Encodable, Sendable {
    case string(String)
    case int(Int)
    case array([AnyJSON])
    case object([String: AnyJSON])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
