import Fluent
import Foundation
import Testing
import Vapor
import YingshangCore
@testable import YingshangApp

@Suite("Home: what each person must do today")
struct HomeTests {
    @Test("a returned filing, then a submitted one, then one approved by the unit appear on the filer's, the unit head's and the coordinator's home pages with counts and links", arguments: TestDatabase.available)
    func todos(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
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

            let filerToken = try await app.apiToken("filer")
            let opened = try await app.send(.POST, "/api/v1/campaigns/\(cid)/filings/starting_business", headers: .bearer(filerToken))
            #expect(opened.status == .ok, "\(opened.text)")
            struct F: Decodable { let id: UUID }
            let fid = try opened.decode(F.self).id
            let filing = try #require(try await Filing.find(fid, on: app.db))
            filing.lastReason = "请补充材料"
            try await filing.save(on: app.db)
            let returned = try await app.send(.GET, "/", headers: filer.headers)
            #expect(returned.text.contains("<strong>1</strong> 被退回、待修改的填报"))
            #expect(returned.text.contains("href=\"/filings?state=draft\""))

            filing.state = FilingState.submitted.rawValue
            try await filing.save(on: app.db)
            let forHead = try await app.send(.GET, "/", headers: head.headers)
            #expect(forHead.text.contains("<strong>1</strong> 待本单位审核的填报"))
            #expect(forHead.text.contains("href=\"/filings?state=submitted\""))

            filing.state = FilingState.unitApproved.rawValue
            try await filing.save(on: app.db)
            let forCoordinator = try await app.send(.GET, "/", headers: coord.headers)
            #expect(forCoordinator.text.contains("<strong>1</strong> 待审批局审核的填报"))
            // The other unit sees none of this unit's filings; it does see its own overdue indicators (the demo's 2022
            // schedule has passed with nothing handed in).
            let other = try await app.send(.GET, "/", headers: try await app.webSession("filer_tax").headers)
            #expect(!other.text.contains("被退回、待修改的填报") && !other.text.contains("待本单位审核的填报"))
            #expect(other.text.contains("已过应报日期仍未报送的指标"))
        }
    }
}
