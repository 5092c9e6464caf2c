import Foundation
import Testing
import Vapor
@testable import YingshangApp

@Suite("Typed site addresses")
struct SiteURLTests {
    /// A path with its parameters (route) or ids (address) replaced by ":", without the query.
    static func shape(_ path: String) -> String {
        path.split(separator: "?").first.map(String.init).map { p in
            p.split(separator: "/").map { $0.hasPrefix(":") || UUID(uuidString: String($0)) != nil ? ":" : String($0) }.joined(separator: "/")
        } ?? ""
    }

    @Test("every address SiteURL builds is a page the server routes (a misspelt segment fails here)")
    func addressesAreRoutes() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let pages = Set(app.routes.all.filter { $0.method == .GET }.map { Self.shape($0.path.map(\.description).joined(separator: "/")) })
            let id = UUID()
            let addresses = CampaignPage.allCases.map { SiteURL.campaign(id, $0) } + [
                SiteURL.filing(id), SiteURL.draw(id), SiteURL.letters(draw: id, batch: 2), SiteURL.flag(id), SiteURL.question(id), SiteURL.rectification(id), SiteURL.job(id),
                SiteURL.filing(campaign: id, indicator: "starting_business", region: id).replacingOccurrences(of: "starting_business", with: ":indicator"),
            ]
            let missing = addresses.filter { !pages.contains(Self.shape($0)) }
            #expect(missing.isEmpty, "not routed: \(missing)")
            #expect(addresses.count == CampaignPage.allCases.count + 8)
        }
    }

    @Test("list pages given the largest page number an address can carry answer a page, not a server error", arguments: TestDatabase.available)
    func hugePageNumbers(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)  // filings with versions
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let admin = try await app.webSession("admin")
            let assessor = try await app.webSession("assessor")
            let coordinator = try await app.webSession("coordinator")
            let pages: [(WebSession, String)] = [
                (admin, "/users"), (admin, "/regions"), (admin, "/units"), (coordinator, "/campaigns/\(cid)/tasks"),
                (assessor, "/campaigns/\(cid)/register"), (assessor, "/campaigns/\(cid)/flags"), (coordinator, "/rectifications"),
            ]
            for (session, path) in pages {
                for page in [String(Int.max), "99999999999999999999", "-5"] {
                    let res = try await app.send(.GET, "\(path)?page=\(page)", headers: session.headers)
                    #expect(res.status.code < 500, "\(path)?page=\(page): \(res.status)")
                }
            }
            // The other whole numbers read from addresses: a year, a catalog version, filing versions, a sample size.
            let filing = try #require(try await Filing.query(on: app.db).first()?.requireID())
            let numbers: [(WebSession, String)] = [
                (coordinator, "/campaigns/new?year="), (coordinator, "/catalog?version="), (coordinator, "/filings/\(filing)/diff?from=1&to="),
                (coordinator, "/filings/\(filing)/diff?to=1&from="), (assessor, "/campaigns/\(cid)/records?indicator=starting_business&seed=1&size="),
            ]
            for (session, path) in numbers {
                for n in [String(Int.max), String(Int.min), "-1", "0"] {
                    let res = try await app.send(.GET, path + n, headers: session.headers)
                    #expect(res.status.code < 500, "\(path)\(n): \(res.status)")
                }
            }
        }
    }

    @Test("query values are percent-encoded and kept in the order given")
    func query() {
        let id = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
        #expect(SiteURL.campaign(id, .records, query: ["region": "a b", "indicator": "开办&x"])
            == "/campaigns/00000000-0000-0000-0000-000000000001/records?region=a%20b&indicator=%E5%BC%80%E5%8A%9E%26x")
        #expect(SiteURL.campaign(id) == "/campaigns/00000000-0000-0000-0000-000000000001")
    }
}
