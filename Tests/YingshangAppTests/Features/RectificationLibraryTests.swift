import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
import YingshangOffice
@testable import YingshangApp

@Suite("Rectification, best practices, policies and the public page")
struct RectificationLibraryTests {
    @Test("rectification: opened from the weakest indicators, unit-scoped, only the coordinator verifies", arguments: TestDatabase.available)
    func rectification(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let c = try await CampaignTests.demoCampaign(app)
            let cid = try c.requireID().uuidString
            let coord = try await app.webSession("coordinator")
            // Without a scoring run there is nothing to open from.
            let early = try await app.send(.POST, "/rectifications/from-scores", headers: coord.headers, form: ["_csrf": coord.csrf, "campaignID": cid, "count": "3"])
            #expect(early.status == .seeOther)
            #expect(try await Rectification.query(on: app.db).count() == 0)
            _ = try await app.send(.POST, "/campaigns/\(cid)/scores/run", headers: coord.headers, form: ["_csrf": coord.csrf])
            let opened = try await app.send(.POST, "/rectifications/from-scores", headers: coord.headers, form: ["_csrf": coord.csrf, "campaignID": cid, "count": "3"])
            #expect(opened.status == .seeOther)
            let items = try await Rectification.query(on: app.db).all()
            #expect(items.count == 3)
            let result = try await ScoringService.requireLatest(c, on: app.db).result()
            let weakest = RectificationRules.weakest(try #require(result.assessed.first), count: 3).map(\.code)
            #expect(Set(items.map(\.indicatorCode)) == Set(weakest))
            #expect(items.allSatisfy { $0.gap.contains("省内最优县") })
            // A generated item has no measures yet: it is shown as 待制定措施 and cannot move on until they are written.
            let generated = items[0]
            let list = try await app.send(.GET, "/rectifications?campaign=\(cid)", headers: coord.headers)
            #expect(list.text.contains("待制定措施"))
            let early2 = try await app.send(
                .POST, "/rectifications/\(try generated.requireID())/updates", headers: coord.headers,
                form: ["_csrf": coord.csrf, "note": "已开始", "status": "in_progress"])
            #expect(early2.status == .unprocessableEntity && early2.text.contains("请先在“编辑”中填写整改措施"))
            #expect(try await Rectification.find(generated.id, on: app.db)?.status == "planned")
            // Opening again skips indicators that already have an open item.
            _ = try await app.send(.POST, "/rectifications/from-scores", headers: coord.headers, form: ["_csrf": coord.csrf, "campaignID": cid, "count": "3"])
            #expect(try await Rectification.query(on: app.db).count() == 6)

            // A unit filer creates its own item; missing fields are named, nothing stored.
            let filer = try await app.webSession("filer")
            let scjg = try await app.unitID("SCJG")
            let swj = try await app.unitID("SWJ")
            let bad = try await app.send(
                .POST, "/rectifications", headers: filer.headers,
                form: ["_csrf": filer.csrf, "campaignID": cid, "indicatorCode": "starting_business", "problem": "", "measures": "", "unitID": swj.uuidString, "leader": "", "deadline": "2023-13-01"])
            #expect(bad.status == .unprocessableEntity)
            for text in ["请填写问题（查问题）", "请填写整改措施（定措施）", "只能填写本单位负责的整改事项", "请填写责任领导", "完成时限格式应为 YYYY-MM-DD"] {
                #expect(bad.text.contains(text), "\(text)")
            }
            #expect(try await Rectification.query(on: app.db).count() == 6)
            let api = try await app.apiToken("filer")
            var body = ["campaignID": cid, "indicatorCode": "starting_business", "problem": "银行开户仍需线下办理", "cause": "银行系统未接入",
                        "measures": "推动银行开户预约接入一网通办", "unitID": scjg.uuidString, "leader": "王局长", "deadline": "2020-01-31"]
            // A deadline in the past is refused.
            let past = try await app.send(.POST, "/api/v1/rectifications", headers: .bearer(api), json: body)
            #expect(past.status == .unprocessableEntity && past.apiError?.fields?["deadline"]?.contains("不能早于今天") == true)
            let future = app.clock.today.adding(days: 60)
            body["deadline"] = future.description
            let created = try await app.send(.POST, "/api/v1/rectifications", headers: .bearer(api), json: body)
            #expect(created.status == .created, "\(created.text)")
            var item = try created.decode(RectificationDTO.self)
            #expect(!item.overdue)

            // The unit asks to move its deadline to 2030: a request, not a change; the coordinator approves; both audited.
            let form = ["_csrf": filer.csrf, "problem": item.problem, "measures": item.measures, "unitID": scjg.uuidString, "leader": "王局长"]
            let ask = try await app.send(.POST, "/rectifications/\(item.id)", headers: filer.headers, form: form.merging(["deadline": "2030-06-30"]) { _, b in b })
            #expect(ask.status == .seeOther)
            var stored = try #require(try await Rectification.find(item.id, on: app.db))
            #expect(stored.deadline == future.description && stored.requestedDeadline == "2030-06-30" && stored.requestedBy == "filer")
            let page = try await app.send(.GET, "/rectifications/\(item.id)", headers: coord.headers)
            #expect(page.text.contains("申请将完成时限调整为 <strong>2030-06-30</strong>") && page.text.contains("同意调整"))
            // The unit cannot approve its own request.
            #expect(try await app.send(.POST, "/rectifications/\(item.id)/deadline", headers: filer.headers, form: ["_csrf": filer.csrf, "decision": "approve"]).status == .forbidden)
            let approve = try await app.send(.POST, "/rectifications/\(item.id)/deadline", headers: coord.headers, form: ["_csrf": coord.csrf, "decision": "approve"])
            #expect(approve.status == .seeOther)
            stored = try #require(try await Rectification.find(item.id, on: app.db))
            #expect(stored.deadline == "2030-06-30" && stored.requestedDeadline == nil)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "approve_deadline").count() == 1)
            // Time passes (the deadline is set in the past directly): the item is overdue while not done.
            stored.deadline = "2020-01-31"
            try await stored.save(on: app.db)
            item = try await app.send(.GET, "/api/v1/rectifications?campaign=\(cid)&overdue=1", headers: .bearer(api))
                .decode([RectificationDTO].self).first { $0.id == item.id } ?? item
            #expect(item.overdue)  // deadline in the past, not done
            let otherUnit = try await app.apiToken("filer_tax")
            // This unit has items (above); the other unit must see none of them.
            let theirs = try await app.send(.GET, "/api/v1/rectifications", headers: .bearer(otherUnit)).decode([RectificationDTO].self)
            #expect(!theirs.contains { $0.unitID == scjg })
            let otherWeb = try await app.webSession("filer_tax")
            #expect(try await app.send(.GET, "/rectifications/\(item.id)", headers: otherWeb.headers).status == .forbidden)

            // The unit reports done; it cannot verify; the coordinator verifies.
            let noNote = try await app.send(.POST, "/rectifications/\(item.id)/updates", headers: filer.headers, form: ["_csrf": filer.csrf, "note": "", "status": "done"])
            #expect(noNote.status == .unprocessableEntity)
            let done = try await app.send(.POST, "/rectifications/\(item.id)/updates", headers: filer.headers, form: ["_csrf": filer.csrf, "note": "已接入，见截图", "status": "done"])
            #expect(done.status == .seeOther)
            let verifyByUnit = try await app.send(.POST, "/rectifications/\(item.id)/updates", headers: filer.headers, form: ["_csrf": filer.csrf, "note": "自行销号", "status": "verified"])
            #expect(verifyByUnit.status == .forbidden)
            let verified = try await app.send(.POST, "/rectifications/\(item.id)/updates", headers: coord.headers, form: ["_csrf": coord.csrf, "note": "经核验已整改到位", "status": "verified"])
            #expect(verified.status == .seeOther)
            stored = try #require(try await Rectification.find(item.id, on: app.db))
            #expect(stored.rectificationStatus == .verified)
            #expect(stored.verifiedBy == "coordinator")
            // Verified items are closed to the unit.
            let edit = try await app.send(
                .POST, "/rectifications/\(item.id)", headers: filer.headers,
                form: ["_csrf": filer.csrf, "problem": "改", "measures": "改", "unitID": scjg.uuidString, "leader": "王", "deadline": "2023-01-01"])
            #expect(edit.status == .seeOther)
            #expect(try await Rectification.find(item.id, on: app.db)?.problem == "银行开户仍需线下办理")

            // Ledger export in the 整改台账 columns; the overdue filter.
            let xlsx = try await app.send(.GET, "/rectifications.xlsx?campaign=\(cid)", headers: coord.headers)
            let sheet = try #require(try XLSX.read(Data(buffer: xlsx.body)).first)
            #expect(sheet.rows.first?.map(\.string).prefix(3) == ["序号", "指标", "存在问题（查问题）"])
            #expect(sheet.rows.count == 1 + 7)
            // One generated item's deadline passes: the filter lists it, and only overdue items.
            let late = try #require(try await Rectification.query(on: app.db).filter(\.$status == "planned").first())
            late.deadline = "2020-01-31"
            try await late.save(on: app.db)
            let overdue = try await app.send(.GET, "/api/v1/rectifications?campaign=\(cid)&overdue=1", headers: .bearer(try await app.apiToken("coordinator")))
            let overdueItems = try overdue.decode([RectificationDTO].self)
            #expect(overdueItems.contains { $0.id == late.id } && overdueItems.allSatisfy(\.overdue))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "rectification").count() >= 9)
        }
    }

    @Test("library: units submit, the bureau curates and publishes; the public page shows only what is published", arguments: TestDatabase.available)
    func library(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let filer = try await app.webSession("filer")
            let bad = try await app.send(.POST, "/library/practices", headers: filer.headers, form: ["_csrf": filer.csrf, "title": "", "regionName": "青山县"])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("请填写标题") && bad.text.contains("请填写主要措施"))
            let ok = try await app.send(
                .POST, "/library/practices", headers: filer.headers,
                form: ["_csrf": filer.csrf, "title": "企业开办一日办结", "indicatorCode": "starting_business", "regionName": "青山县",
                       "description": "设立登记、刻章、发票一窗受理", "measures": "一窗受理\n并联审批", "results": "开办时间压缩至 0.5 个工作日", "tags": "一网通办，开办"])
            #expect(ok.status == .seeOther)
            let practice = try #require(try await BestPractice.query(on: app.db).first())
            #expect(practice.tags == "一网通办,开办")
            // A write-up at the lengths the form allows (three fields of 5,000 characters: ~135 KB once URL-encoded)
            // is stored, not refused as too large: the CSRF check reads the body up to the route's 1 MB limit.
            let long = String(repeating: "营", count: 5000)
            // Sent over a real connection: in memory the body arrives already collected and no limit applies.
            var form = URLComponents()
            form.queryItems = [
                "_csrf": filer.csrf, "title": "长篇经验", "indicatorCode": "starting_business", "regionName": "青山县",
                "description": long, "measures": long, "results": long,
            ].map { URLQueryItem(name: $0.key, value: $0.value) }
            var headers = filer.headers
            headers.contentType = .urlEncodedForm
            let body = ByteBuffer(string: form.percentEncodedQuery ?? "")
            #expect(body.readableBytes > 100_000)
            let full = try await app.testing(method: .running(port: 0)).sendRequest(.POST, "/library/practices", headers: headers, body: body)
            // (The client over a real connection follows the redirect to the practice's page.)
            #expect(full.status == .seeOther || full.status == .ok, "\(full.status)")
            #expect(try await BestPractice.query(on: app.db).filter(\.$title == "长篇经验").first()?.measures.count == 5000)

            // Policies: only the bureau enters them; they start unpublished.
            #expect(try await app.send(.POST, "/library/policies", headers: filer.headers, form: ["_csrf": filer.csrf, "title": "x"]).status == .forbidden)
            let coord = try await app.webSession("coordinator")
            let badPolicy = try await app.send(
                .POST, "/library/policies", headers: coord.headers,
                form: ["_csrf": coord.csrf, "title": "关于优化营商环境的若干措施", "docNumber": "", "issuingBody": "青山县人民政府", "issuedOn": "2099-01-01"])
            #expect(badPolicy.status == .unprocessableEntity && badPolicy.text.contains("请填写文号") && badPolicy.text.contains("不能晚于今天"))
            for (title, number) in [("关于优化营商环境的若干措施", "青政发〔2022〕8号"), ("企业开办全程网办实施方案", "青政办发〔2022〕15号"), ("内部征求意见稿", "青营商办〔2022〕1号")] {
                let r = try await app.send(
                    .POST, "/library/policies", headers: coord.headers,
                    form: ["_csrf": coord.csrf, "title": title, "docNumber": number, "issuingBody": "青山县人民政府", "issuedOn": "2022-06-01",
                           "indicators[]": "starting_business", "fullText": "第一条 为持续优化营商环境……"])
                #expect(r.status == .seeOther)
            }
            let policies = try await Policy.query(on: app.db).all()
            #expect(policies.count == 3 && policies.allSatisfy { !$0.published })

            // Nothing is public yet.
            let empty = try await app.send(.GET, "/public")
            #expect(empty.status == .ok && !empty.text.contains("若干措施") && !empty.text.contains("一日办结"))
            // The page names whose it is: the county whose departments use the platform (also with the city campaign's
            // neighbouring counties loaded).
            _ = try await DemoScoring.load(app: app)
            #expect(try await app.send(.GET, "/public").text.contains("青山县营商环境政策与典型经验"))
            let draft = try #require(policies.first { $0.title == "内部征求意见稿" })
            #expect(try await app.send(.GET, "/public/policies/\(try draft.requireID())").status == .notFound)
            // Filers do not see unpublished policies in the library either.
            #expect(try await app.send(.GET, "/library/policies/\(try draft.requireID())", headers: filer.headers).status == .notFound)

            for p in policies where p.title != "内部征求意见稿" {
                let r = try await app.send(.POST, "/library/policies/\(try p.requireID())/publish", headers: coord.headers, form: ["_csrf": coord.csrf, "published": "1"])
                #expect(r.status == .seeOther)
            }
            // Publishing an uncurated practice is refused; curated then published.
            let pid = try practice.requireID()
            _ = try await app.send(.POST, "/library/practices/\(pid)/curate", headers: coord.headers, form: ["_csrf": coord.csrf, "status": "submitted", "published": "1"])
            #expect(try await BestPractice.find(pid, on: app.db)?.published == false)
            _ = try await app.send(.POST, "/library/practices/\(pid)/curate", headers: coord.headers, form: ["_csrf": coord.csrf, "status": "curated", "published": "1"])
            #expect(try await BestPractice.find(pid, on: app.db)?.published == true)
            let c = try await CampaignTests.demoCampaign(app)
            let rep = try await app.send(
                .POST, "/library/practices/\(pid)/replicate", headers: coord.headers,
                form: ["_csrf": coord.csrf, "campaignID": try c.requireID().uuidString, "unitID": try await app.unitID("SWJ").uuidString, "deadline": "2022-12-20"])
            #expect(rep.status == .seeOther)
            #expect(try await CampaignTask.query(on: app.db).filter(\.$title == "推广复制：企业开办一日办结").count() == 1)

            let page = try await app.send(.GET, "/public")
            #expect(page.text.contains("关于优化营商环境的若干措施") && page.text.contains("企业开办全程网办实施方案") && page.text.contains("企业开办一日办结"))
            #expect(!page.text.contains("内部征求意见稿"))
            let search = try await app.send(.GET, "/public?q=%E7%BD%91%E5%8A%9E")  // 网办
            #expect(search.text.contains("企业开办全程网办实施方案") && !search.text.contains("关于优化营商环境的若干措施"))
            #expect(try await app.send(.GET, "/public/practices/\(pid)").text.contains("并联审批"))
        }
    }
}
