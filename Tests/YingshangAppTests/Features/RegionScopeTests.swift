import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 21 item 1: a province on one deployment. A provincial, a city and a county coordinator each see exactly
/// their part: campaign lists, a campaign of another region (404), whole-campaign actions on a campaign they reach only
/// in part (403), scores and rank (own row only, rank among all), filings, flags, users.
@Suite("Region-scoped accounts")
struct RegionScopeAppTests {
    /// Province 浙东省 ⊃ 青山市 (the demo city: 青山县 and 7 counties) and 海门市 (one county, 海门县, with its own campaign).
    struct Province {
        let province: Region
        let city: Region
        let otherCity: Region
        let home: Region
        let neighbour: Region  // 东湖县, in the city campaign
        let haimen: Region
        let cityCampaign: Campaign
        let countyCampaign: Campaign
        let haimenCampaign: Campaign
    }

    static func province(_ app: Application) async throws -> Province {
        _ = try await DemoScoring.load(app: app)
        let db = app.db
        let province = Region(code: "370000", name: "浙东省", level: .province, parentID: nil)
        try await province.create(on: db)
        let city = try #require(try await Region.query(on: db).filter(\.$code == DemoScoring.cityCode).first())
        city.$parent.id = province.id
        try await city.update(on: db)
        let home = try #require(try await Region.query(on: db).filter(\.$code == DemoCounty.countyCode).first())
        home.$parent.id = city.id
        try await home.update(on: db)
        let neighbour = try #require(try await Region.query(on: db).filter(\.$code == "370791").first())
        let otherCity = Region(code: "370800", name: "海门市", level: .city, parentID: province.id)
        try await otherCity.create(on: db)
        let haimen = Region(code: "370801", name: "海门县", level: .county, parentID: otherCity.id)
        try await haimen.create(on: db)
        let countyCampaign = try await CampaignTests.demoCampaign(app)
        let cityCampaign = try #require(try await Campaign.query(on: db).filter(\.$name == DemoScoring.cityCampaignName).first())
        let haimenCampaign = Campaign(
            name: "2022 年度海门县营商环境评价", year: 2022, catalogVersionID: countyCampaign.$catalogVersion.id,
            start: countyCampaign.start, end: countyCampaign.end, perDay: 2)
        try await haimenCampaign.create(on: db)
        try await CampaignRegion(campaignID: try haimenCampaign.requireID(), regionID: try haimen.requireID()).create(on: db)
        return Province(
            province: province, city: city, otherCity: otherCity, home: home, neighbour: neighbour, haimen: haimen,
            cityCampaign: cityCampaign, countyCampaign: countyCampaign, haimenCampaign: haimenCampaign)
    }

    /// A coordinator (or `role`) of a unit in `unitRegion`, bound to `regions`.
    static func account(
        _ app: Application, _ username: String, role: Role = .coordinator, unitRegion: Region, regions: [Region]
    ) async throws {
        let unit = Unit(code: "U" + username.uppercased(), name: "\(unitRegion.name)营商办（\(username)）", type: .governmentDepartment, regionID: unitRegion.id)
        try await unit.create(on: app.db)
        let user = User(
            username: username, displayName: username, passwordHash: try await app.password.async.hash(PasswordPolicy.normalized(demoPassword)),
            role: role, unitID: try unit.requireID())
        try await user.create(on: app.db)
        try await RegionScopes.bind(try user.requireID(), to: regions.map { try $0.requireID() }, on: app.db)
    }

    @Test("provincial, city and county coordinators each see exactly their campaigns, scores and filings", arguments: TestDatabase.available)
    func coordinators(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await Self.province(app)
            try await Self.account(app, "prov", unitRegion: p.province, regions: [p.province])
            try await Self.account(app, "qscity", unitRegion: p.city, regions: [p.city])
            try await Self.account(app, "donghu", unitRegion: p.neighbour, regions: [p.neighbour])
            try await Self.account(app, "haimen", unitRegion: p.haimen, regions: [p.haimen])

            func campaigns(_ user: String) async throws -> Set<String> {
                let token = try await app.apiToken(user)
                return Set(try await app.send(.GET, "/api/v1/campaigns", headers: .bearer(token)).decode([CampaignDTO].self).map(\.name))
            }
            let all = Set(try await Campaign.query(on: app.db).all().map(\.name))
            #expect(all.count == 4)
            #expect(try await campaigns("prov") == all)
            #expect(try await campaigns("coordinator") == all, "an account bound to no region keeps the whole deployment")
            #expect(try await campaigns("qscity") == all.subtracting([p.haimenCampaign.name]))
            #expect(try await campaigns("donghu") == [p.cityCampaign.name])
            #expect(try await campaigns("haimen") == [p.haimenCampaign.name])

            // Another region's campaign does not exist for a county account; the web list agrees with the API.
            let donghu = try await app.webSession("donghu")
            let countyID = try p.countyCampaign.requireID()
            let cityID = try p.cityCampaign.requireID()
            #expect(try await app.send(.GET, "/campaigns/\(countyID)", headers: donghu.headers).status == .notFound)
            #expect(try await app.send(.GET, "/campaigns/\(countyID)/dispatch", headers: donghu.headers).status == .notFound)
            #expect(try await app.send(.GET, "/campaigns/\(cityID)", headers: donghu.headers).status == .ok)
            let list = try await app.send(.GET, "/campaigns", headers: donghu.headers).text
            #expect(list.contains(p.cityCampaign.name) && !list.contains(p.countyCampaign.name) && !list.contains(p.haimenCampaign.name))

            // Whole-campaign actions: a county in the city's campaign may not run its scoring; the city may.
            let donghuToken = try await app.apiToken("donghu")
            let refused = try await app.send(.POST, "/api/v1/campaigns/\(cityID)/scoring-runs", headers: .bearer(donghuToken))
            #expect(refused.status == .forbidden)
            #expect(try await ScoringRun.query(on: app.db).filter(\.$campaign.$id == cityID).count() == 0)
            let cityToken = try await app.apiToken("qscity")
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(cityID)/scoring-runs", headers: .bearer(cityToken)).status == .created)

            // Scores: the city sees all 8 counties; 东湖县 only its own row, with the rank it earned among the 8.
            let full = try await app.send(.GET, "/api/v1/campaigns/\(cityID)/scores", headers: .bearer(cityToken))
                .decode(ScoresAPIController.RunDTO.self)
            #expect(full.regions.filter { !$0.isBenchmark }.count == 8)
            let own = try await app.send(.GET, "/api/v1/campaigns/\(cityID)/scores", headers: .bearer(donghuToken))
                .decode(ScoresAPIController.RunDTO.self)
            let neighbourID = try p.neighbour.requireID().uuidString
            #expect(own.regions.filter { !$0.isBenchmark }.map(\.id) == [neighbourID])
            let fullRank = try #require(full.regions.first { $0.id == neighbourID }?.rank)
            #expect(own.regions.first?.rank == fullRank)
            #expect(own.warnings.allSatisfy { $0.hasPrefix("东湖县「") })

            // The report and the scores page name no other county; asking for another county's report is a 404.
            let others = DemoScoring.counties.map(\.1).filter { $0 != "东湖县" } + [DemoCounty.countyName]
            for path in ["/campaigns/\(cityID)/report", "/campaigns/\(cityID)/scores", "/campaigns/\(cityID)/overview"] {
                let res = try await app.send(.GET, path, headers: donghu.headers)
                #expect(res.status == .ok, "\(path)")
                #expect(res.text.contains("东湖县"), "\(path)")
                for name in others { #expect(!res.text.contains(name), "\(path) shows \(name)") }
            }
            #expect(res(try await app.send(.GET, "/campaigns/\(cityID)/report?region=\(try p.home.requireID())", headers: donghu.headers)) == .notFound)
            #expect(res(try await app.send(.GET, "/campaigns/\(cityID)/report.xlsx", headers: donghu.headers)) == .ok)
            let city = try await app.webSession("qscity")
            let cityReport = try await app.send(.GET, "/campaigns/\(cityID)/report", headers: city.headers).text
            for name in others { #expect(cityReport.contains(name), "the city's report ranks \(name)") }

            // Filings: a filing of 青山县's own campaign is not found for 东湖县 or 海门县, found for the city.
            let filing = try #require(try await Filing.query(on: app.db).filter(\.$campaign.$id == countyID).first())
            let fid = try filing.requireID()
            #expect(try await app.send(.GET, "/filings/\(fid)", headers: donghu.headers).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/filings/\(fid)", headers: .bearer(try await app.apiToken("haimen"))).status == .notFound)
            #expect(try await app.send(.GET, "/filings/\(fid)", headers: city.headers).status == .ok)
            let queue = try await app.send(.GET, "/filings?state=", headers: donghu.headers).text
            #expect(!queue.contains("/filings/\(fid)"))
        }
    }

    private func res(_ r: TestingHTTPResponse) -> HTTPResponseStatus { r.status }
}
