import Fluent
import Foundation
import Testing
import Vapor
import YingshangCore
@testable import YingshangApp

@Suite("Home: what each person must do today")
struct HomeTests {
    @Test("a submitted filing, then one approved by the unit, then one returned appear on the unit head's, the coordinator's and the filer's home pages as soon as each audited change is made, with counts and links", arguments: TestDatabase.available)
    func todos(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let filer = try await app.webSession("filer")
            let head = try await app.webSession("unithead")
            let coord = try await app.webSession("coordinator")
            // Nothing returned yet; and no more "12 乡镇/街道" on a unit user's home page.
            let quiet = try await app.send(.GET, "/", headers: filer.headers)
            #expect(!quiet.text.contains("被退回、待修改的填报"))
            #expect(!quiet.text.contains("乡镇/街道</span>"))
            // A leader with nothing urgent is told so.
            let leader = try await app.send(.GET, "/", headers: try await app.webSession("leader").headers)
            #expect(leader.text.contains("今天没有需要您处理的事项"))

            // Through the real workflow, each page viewed before and after the change it must show: the home page's
            // counts are cached per account until an audited change (every one of these steps is audited).
            let (dto, filerToken, _) = try await FilingTests.open(app)
            let fid = dto.id
            #expect(!(try await app.send(.GET, "/", headers: head.headers)).text.contains("待本单位审核的填报"))
            #expect(!(try await app.send(.GET, "/", headers: coord.headers)).text.contains("待审批局审核的填报"))
            let saved = try await app.send(.PUT, "/api/v1/filings/\(fid)", headers: .bearer(filerToken), json: FilingTests.FilingBody(version: 1, answers: FilingTests.fullAnswers()))
            #expect(saved.status == .ok)
            #expect(try await FilingTests.upload(app, fid, token: filerToken, name: "实施方案.pdf").status == .created)
            #expect(try await FilingTests.act(app, fid, filerToken, "submit").status == .ok)
            let forHead = try await app.send(.GET, "/", headers: head.headers)
            #expect(forHead.text.contains("<strong>1</strong> 待本单位审核的填报"))
            #expect(forHead.text.contains("href=\"/filings?state=submitted\""))

            #expect(try await FilingTests.act(app, fid, try await app.apiToken("unithead"), "approve").status == .ok)
            let forCoordinator = try await app.send(.GET, "/", headers: coord.headers)
            #expect(forCoordinator.text.contains("<strong>1</strong> 待审批局审核的填报"))
            // A page served again from its rendered skeleton carries this session's CSRF token and the response's
            // nonce in place of the markers, and another account's page is its own.
            let again = try await app.send(.GET, "/", headers: coord.headers)
            #expect(again.text == forCoordinator.text.replacingOccurrences(of: "\u{E000}", with: ""))
            #expect(again.text.contains("name=\"_csrf\" value=\"\(coord.csrf)\"") && !again.text.contains("\u{E000}"))
            #expect(again.headers.contentType == .html)
            let headPage = try await app.send(.GET, "/", headers: head.headers)
            #expect(headPage.text.contains("name=\"_csrf\" value=\"\(head.csrf)\"") && !headPage.text.contains("<strong>1</strong> 待审批局审核的填报"))
            #expect(!(try await app.send(.GET, "/", headers: head.headers)).text.contains("待本单位审核的填报"))

            #expect(try await FilingTests.act(app, fid, try await app.apiToken("coordinator"), "return", reason: "请补充材料").status == .ok)
            let returned = try await app.send(.GET, "/", headers: filer.headers)
            #expect(returned.text.contains("<strong>1</strong> 被退回、待修改的填报"))
            #expect(returned.text.contains("href=\"/filings?state=draft\""))
            #expect(!(try await app.send(.GET, "/", headers: coord.headers)).text.contains("待审批局审核的填报"))
            // The other unit sees none of this unit's filings; it does see its own overdue indicators (the demo's 2022
            // schedule has passed with nothing handed in).
            let other = try await app.send(.GET, "/", headers: try await app.webSession("filer_tax").headers)
            #expect(!other.text.contains("被退回、待修改的填报") && !other.text.contains("待本单位审核的填报"))
            #expect(other.text.contains("已过应报日期仍未报送的指标"))
        }
    }
}
