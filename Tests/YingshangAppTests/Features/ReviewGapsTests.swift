import Fluent
import Foundation
import Testing
import Vapor
import YingshangCore
@testable import YingshangApp

@Suite("Headers, language link and the scoring-rules form")
struct ReviewGapsTests {
    @Test("every response carries the security headers; page scripts carry this response's nonce; the language link keeps the query", arguments: TestDatabase.available)
    func headers(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("coordinator")
            let page = try await app.send(.GET, "/units?q=%E5%B1%80&page=1", headers: s.headers)
            let csp = try #require(page.headers.first(name: "Content-Security-Policy"))
            let scriptSrc = csp.components(separatedBy: ";").first { $0.contains("script-src") } ?? ""
            #expect(scriptSrc.contains("'self' 'nonce-") && !scriptSrc.contains("unsafe-inline"))
            #expect(csp.contains("frame-ancestors 'self'") && csp.contains("object-src 'none'"))
            #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(page.headers.first(name: "X-Frame-Options") == "SAMEORIGIN")
            #expect(page.headers.first(name: "Referrer-Policy") == "same-origin")
            #expect(page.headers.first(name: "Strict-Transport-Security") != nil)  // the test app uses secure cookies
            // No inline handler left in what is served, and the nonce differs per response.
            #expect(!page.text.contains("onsubmit=") && !page.text.contains("onclick="))
            let again = try await app.send(.GET, "/units", headers: s.headers)
            #expect(again.headers.first(name: "Content-Security-Policy") != csp)
            // A page script carries the nonce its response allows.
            let campaignForm = try await app.send(.GET, "/campaigns/new", headers: s.headers)
            let nonce = try #require(campaignForm.headers.first(name: "Content-Security-Policy")?
                .components(separatedBy: "'nonce-").last?.components(separatedBy: "'").first)
            #expect(campaignForm.text.contains("<script nonce=\"\(nonce)\">"))
            // A page below a section says where it belongs and leads back (the home page has no trail).
            #expect(campaignForm.text.contains("<nav class=\"crumbs\" aria-label=\"breadcrumb\"><a href=\"/\">首页</a> › <a href=\"/campaigns\">"))
            #expect(!(try await app.send(.GET, "/", headers: s.headers).text.contains("class=\"crumbs\"")))
            // Required fields are marked before submitting.
            #expect(campaignForm.text.contains("<label class=\"req\">名称") && campaignForm.text.contains("<label class=\"req\">评价年度"))
            // The language switch keeps the filters.
            #expect(page.text.contains("href=\"/units?q=%E5%B1%80&amp;page=1&amp;lang=en\"") || page.text.contains("href=\"/units?q=%E5%B1%80&page=1&lang=en\""))
            // Errors and anonymous pages carry them too.
            let missing = try await app.send(.GET, "/no-such-page")
            #expect(missing.status == .notFound && missing.headers.first(name: "Content-Security-Policy") != nil)
        }
    }

    @Test("the rules form: a bad minimum of respondents is named and nothing is saved; a good one is used by the next run", arguments: TestDatabase.available)
    func minimumRespondents(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let s = try await app.webSession("coordinator")
            let bad = try await app.send(
                .POST, "/campaigns/\(cid)/scores/rules", headers: s.headers,
                form: ["_csrf": s.csrf, "cooperatingShare": "0.5", "minimumSurveyRespondents": "三十"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("问卷最少回答企业数应为整数") && bad.text.contains("value=\"三十\""))
            let zero = try await app.send(
                .POST, "/campaigns/\(cid)/scores/rules", headers: s.headers,
                form: ["_csrf": s.csrf, "cooperatingShare": "0.5", "minimumSurveyRespondents": "0"])
            #expect(zero.status == .unprocessableEntity && zero.text.contains("1–10000"))
            #expect(try await ScoreRuleSet.query(on: app.db).filter(\.$campaign.$id == cid).count() == 0)
            let ok = try await app.send(
                .POST, "/campaigns/\(cid)/scores/rules", headers: s.headers,
                form: ["_csrf": s.csrf, "cooperatingShare": "0.5", "minimumSurveyRespondents": "5"])
            #expect(ok.status == .seeOther)
            let c = try await CampaignTests.demoCampaign(app)
            #expect(try await ScoringService.collectInputs(c, on: app.db).minimumRespondents == 5)
            // The leader may read the rules but not change them.
            let leader = try await app.webSession("leader")
            #expect(try await app.send(
                .POST, "/campaigns/\(cid)/scores/rules", headers: leader.headers,
                form: ["_csrf": leader.csrf, "minimumSurveyRespondents": "1"]).status == .forbidden)
        }
    }
}
