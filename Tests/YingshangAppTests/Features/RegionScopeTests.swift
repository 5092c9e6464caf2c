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

    @Test("the dispatch board's cache never answers an account what its own scope refuses", arguments: TestDatabase.available)
    func dispatchCacheKeepsScope(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await Self.province(app)
            try await Self.account(app, "donghu", unitRegion: p.neighbour, regions: [p.neighbour])
            let whole = try await app.apiToken("coordinator")
            let donghu = try await app.apiToken("donghu")
            let countyID = try p.countyCampaign.requireID()
            let cityID = try p.cityCampaign.requireID()
            let home = try p.home.requireID()
            // The whole deployment's coordinator fills the per-instance cache first, for the same addresses.
            let paths = ["/api/v1/campaigns/\(countyID)/dispatch", "/api/v1/campaigns/\(cityID)/dispatch?region=\(home)"]
            for path in paths {
                #expect(try await app.send(.GET, path, headers: .bearer(whole)).status == .ok)
                #expect(try await app.send(.GET, path, headers: .bearer(donghu)).status == .notFound, "\(path)")
            }
            let web = try await app.webSession("donghu")
            #expect(try await app.send(.GET, "/campaigns/\(cityID)/dispatch?region=\(home)", headers: web.headers).status == .notFound)
            // Its own county's board still opens, and shows that county.
            let own = try await app.send(.GET, "/api/v1/campaigns/\(cityID)/dispatch?region=\(try p.neighbour.requireID())", headers: .bearer(donghu))
            #expect(own.status == .ok)
            #expect(try own.decode(DispatchDTO.self).regionID == (try p.neighbour.requireID()))
        }
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
            // A warning value no county reaches, so that the run tells every county's coordinators something.
            let set = ScoreThresholdSet()
            set.$campaign.id = p.cityCampaign.id ?? UUID()
            set.linesJSON = String(decoding: try JSONEncoder().encode([ScoreThreshold(indicatorCode: "starting_business", warning: 100.5, advanced: nil)]), as: UTF8.self)
            set.updatedBy = "test"
            set.updatedAt = Date()
            try await set.create(on: app.db)
            // One missing value in 东湖县 and one in a neighbour, so that the run warns about both.
            let hushan = try #require(try await Region.query(on: app.db).filter(\.$code != p.neighbour.code).filter(\.$parent.$id == p.city.id).first())
            for region in [p.neighbour, hushan] {
                try await VerifiedValue.query(on: app.db).filter(\.$campaign.$id == cityID).filter(\.$region.$id == region.requireID())
                    .filter(\.$indicatorCode == "paying_taxes").delete()
            }
            let cityToken = try await app.apiToken("qscity")
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(cityID)/scoring-runs", headers: .bearer(cityToken)).status == .created)

            // Threshold notices after the run go to the coordinators who reach the county named in them.
            func notices(_ user: String) async throws -> [String] {
                try await InAppNotification.query(on: app.db).filter(\.$user.$id == (try await app.userID(user))).all().map(\.message)
            }
            let countyNames = DemoScoring.counties.map(\.1) + [DemoCounty.countyName]
            let cityNotices = try await notices("qscity")
            #expect(Set(countyNames.filter { n in cityNotices.contains { $0.hasPrefix(n) } }).count > 1, "\(cityNotices.prefix(3))")
            for message in try await notices("donghu") {
                #expect(!countyNames.filter { $0 != "东湖县" }.contains { message.hasPrefix($0) }, "\(message)")
            }
            #expect(try await notices("haimen").isEmpty)

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
            // Warnings: its own, none of the neighbour's.
            #expect(full.warnings.contains { $0.hasPrefix("东湖县「") } && full.warnings.contains { $0.hasPrefix("\(hushan.name)「") })
            #expect(!own.warnings.isEmpty && own.warnings == full.warnings.filter { $0.hasPrefix("东湖县「") })

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
            // The pages offer what the routes allow: the scoring run to the city, not to one of its counties.
            let runAction = "action=\"/campaigns/\(cityID)/scores/run\""
            #expect(!(try await app.send(.GET, "/campaigns/\(cityID)/scores", headers: donghu.headers).text.contains(runAction)))
            #expect(try await app.send(.GET, "/campaigns/\(cityID)/scores", headers: city.headers).text.contains(runAction))
            let cityReport = try await app.send(.GET, "/campaigns/\(cityID)/report", headers: city.headers).text
            for name in others { #expect(cityReport.contains(name), "the city's report ranks \(name)") }

            // Pages offer only what the routes allow: no scoring button for a county in the city's campaign.
            #expect(!(try await app.send(.GET, "/campaigns/\(cityID)/scores", headers: donghu.headers).text.contains("/scores/run\"")))
            #expect(try await app.send(.GET, "/campaigns/\(cityID)/scores", headers: city.headers).text.contains("/scores/run\""))

            // A county cannot open a campaign on another region; the city can on one of its counties.
            let campaignsBefore = try await Campaign.query(on: app.db).count()
            let overreach = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(donghuToken), json: try await CampaignTests.body(app, name: "越权新建"))
            #expect(overreach.status == .unprocessableEntity)
            #expect(overreach.apiError?.fields?["regionIDs"] == "只能选择本人管辖范围内的被评价地区")
            #expect(try await Campaign.query(on: app.db).count() == campaignsBefore)
            let within = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(cityToken), json: try await CampaignTests.body(app, name: "青山市新建"))
            #expect(within.status == .created)

            // Home to-dos count the account's regions only: 青山县's filings awaiting the bureau are not 东湖县's work.
            let waiting = try #require(try await Filing.query(on: app.db).filter(\.$campaign.$id == countyID).first())
            waiting.state = FilingState.unitApproved.rawValue
            try await waiting.update(on: app.db)
            let awaiting = try await Filing.query(on: app.db).filter(\.$state == FilingState.unitApproved.rawValue).count()
            let coordinatorUser = try #require(try await User.query(on: app.db).filter(\.$username == "coordinator").first())
            let scopeOf = { (name: String) async throws -> RegionScope in try await RegionScopes.scope(of: try await app.userID(name), on: app.db) }
            let label = "待审批局审核的填报"
            let unscoped = try await HomeController.todos(user: coordinatorUser, role: .coordinator, clock: app.clock, on: app.db)
            #expect(awaiting > 0 && unscoped.first { $0.label == label }?.count == awaiting)
            let mine = try await HomeController.todos(user: coordinatorUser, role: .coordinator, scope: try await scopeOf("donghu"), clock: app.clock, on: app.db)
            #expect(mine.first { $0.label == label } == nil)

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

    @Test("答疑: a county office reads only its county's threads, public ones included; a city reads its counties'; a filer asks only on a campaign in reach", arguments: TestDatabase.available)
    func questions(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await Self.province(app)
            try await Self.account(app, "qscity", unitRegion: p.city, regions: [p.city])
            try await Self.account(app, "donghu", unitRegion: p.neighbour, regions: [p.neighbour])
            try await Self.account(app, "haimen", unitRegion: p.haimen, regions: [p.haimen])
            try await Self.account(app, "qsfiler", role: .filer, unitRegion: p.home, regions: [])
            try await Self.account(app, "dhfiler", role: .filer, unitRegion: p.neighbour, regions: [p.neighbour])
            func ask(_ user: String, campaign: Campaign, title: String) async throws -> TestingHTTPResponse {
                let indicator = try #require(try await CampaignIndicator.query(on: app.db).filter(\.$campaign.$id == campaign.requireID()).first())
                return try await app.send(
                    .POST, "/api/v1/questions", headers: .bearer(try await app.apiToken(user)),
                    json: ["campaignID": try campaign.requireID().uuidString, "indicatorCode": indicator.code, "title": title, "body": "请问口径"])
            }
            // 青山县's filer: one private thread and one made public as FAQ; 东湖县's filer: one in the city campaign.
            let home = try await ask("qsfiler", campaign: p.countyCampaign, title: "青山私")
            #expect(home.status == .created)
            let homeID = try home.content.decode(QuestionDTO.self).id
            let faqID = try await ask("qsfiler", campaign: p.countyCampaign, title: "青山公开").content.decode(QuestionDTO.self).id
            let faq = try #require(try await Question.find(faqID, on: app.db))
            faq.status = Question.Status.answered.rawValue
            faq.isPublic = true
            try await faq.update(on: app.db)
            let neighbour = try await ask("dhfiler", campaign: p.cityCampaign, title: "东湖私")
            #expect(neighbour.status == .created)
            let neighbourID = try neighbour.content.decode(QuestionDTO.self).id
            // Each county's dispatch board of the city campaign counts the open threads of its own units.
            let askedCode = try neighbour.content.decode(QuestionDTO.self).indicatorCode
            func boardCount(_ region: Region) async throws -> Int? {
                let board = try await app.send(
                    .GET, "/api/v1/campaigns/\(try p.cityCampaign.requireID())/dispatch?region=\(try region.requireID())",
                    headers: .bearer(try await app.apiToken("coordinator")))
                return try board.decode(DispatchDTO.self).lines.first { $0.indicatorCode == askedCode }?.openQuestions
            }
            #expect(try await boardCount(p.neighbour) == 1)
            #expect(try await boardCount(p.home) == 0)
            // 东湖县's filer cannot ask on 青山县's own campaign: it does not exist for that account; nothing is stored.
            let outside = try await ask("dhfiler", campaign: p.countyCampaign, title: "越界")
            #expect(outside.status == .unprocessableEntity)
            #expect(outside.text.contains("评价任务不存在"))
            #expect(try await Question.query(on: app.db).filter(\.$title == "越界").count() == 0)

            func titles(_ user: String) async throws -> Set<String> {
                let list = try await app.send(.GET, "/api/v1/questions", headers: .bearer(try await app.apiToken(user)))
                return Set(try list.decode([QuestionDTO].self).map(\.title))
            }
            #expect(try await titles("coordinator") == ["青山私", "青山公开", "东湖私"], "an unbound office reads every thread")
            #expect(try await titles("qscity") == ["青山私", "青山公开", "东湖私"])
            #expect(try await titles("donghu") == ["东湖私"])
            #expect(try await titles("haimen") == [])
            #expect(try await titles("qsfiler") == ["青山私", "青山公开"])
            #expect(try await titles("dhfiler") == ["东湖私"], "a region-bound filer reads no other county's FAQ")

            // One thread at a time, on the web and the API: another county's is not found, whatever its status.
            let donghu = try await app.webSession("donghu")
            // The home page counts what the lists show: open threads in reach, users of units in reach.
            func homePage(_ s: WebSession) async throws -> String { try await app.send(.GET, "/", headers: s.headers).text }
            #expect(try await homePage(donghu).contains("<strong>1</strong> 待答复的提问"))
            #expect(try await homePage(try await app.webSession("qscity")).contains("<strong>2</strong> 待答复的提问"))
            #expect(try await homePage(try await app.webSession("coordinator")).contains("<strong>2</strong> 待答复的提问"))
            let unitsInDonghu = try await Unit.query(on: app.db).filter(\.$region.$id == p.neighbour.requireID()).all().compactMap(\.id)
            let usersInDonghu = try await User.query(on: app.db).filter(\.$unit.$id ~~ unitsInDonghu).count()
            #expect(usersInDonghu >= 2)
            #expect(try await homePage(donghu).contains("<span class=\"value\">\(usersInDonghu)</span><span class=\"label\">用户</span>"))
            #expect(try await app.send(.GET, "/questions/\(homeID)", headers: donghu.headers).status == .notFound)
            #expect(try await app.send(.GET, "/questions/\(faqID)", headers: donghu.headers).status == .notFound)
            #expect(try await app.send(.GET, "/questions/\(neighbourID)", headers: donghu.headers).status == .ok)
            let replies = try await QuestionReply.query(on: app.db).count()
            let refused = try await app.send(
                .POST, "/api/v1/questions/\(homeID)/replies", headers: .bearer(try await app.apiToken("donghu")), json: ["body": "越界答复"])
            #expect(refused.status == .notFound)
            #expect(try await QuestionReply.query(on: app.db).count() == replies)
            let qscity = try await app.webSession("qscity")
            #expect(try await app.send(.GET, "/questions/\(homeID)", headers: qscity.headers).status == .ok)
            // The unit rule still holds inside reach: 青山县's filer may not read 东湖县's private thread.
            let qsfiler = try await app.webSession("qsfiler")
            #expect(try await app.send(.GET, "/questions/\(neighbourID)", headers: qsfiler.headers).status == .forbidden)
        }
    }

    @Test("draws and import jobs loaded by their own id: another region's are not found, a campaign reached in part is refused, nothing changes", arguments: TestDatabase.available)
    func drawsAndJobs(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await Self.province(app)
            try await Self.account(app, "hmassessor", role: .assessor, unitRegion: p.haimen, regions: [p.haimen])
            try await Self.account(app, "dhassessor", role: .assessor, unitRegion: p.neighbour, regions: [p.neighbour])
            try await Self.account(app, "qsassessor", role: .assessor, unitRegion: p.home, regions: [p.home])
            let countyID = try p.countyCampaign.requireID()
            // 青山县's draw, made by the unbound assessor through the page.
            let assessor = try await app.webSession("assessor")
            let form = [
                "_csrf": assessor.csrf, "size": "20", "seed": "3", "strata[]": "township", "allocation": "proportional",
                "minPerStratum": "1", "reserveRatio": "0.5", "statuses[]": "在业",
            ]
            #expect(try await app.send(.POST, "/campaigns/\(countyID)/samples", headers: assessor.headers, form: form).status == .seeOther)
            let draw = try #require(try await SampleDraw.query(on: app.db).filter(\.$campaign.$id == countyID).first())
            let drawID = try draw.requireID()
            let member = try #require(try await SampleMember.query(on: app.db).filter(\.$draw.$id == drawID).filter(\.$role == "sample").first())
            // A draw of the city's campaign (reached only in part by a county).
            let cityDraw = SampleDraw()
            cityDraw.$campaign.id = try p.cityCampaign.requireID()
            cityDraw.parametersJSON = draw.parametersJSON
            cityDraw.allocationJSON = "[]"
            cityDraw.drawnBy = "assessor"
            cityDraw.locked = false
            try await cityDraw.create(on: app.db)
            let job = ImportJob(kind: "register", campaignID: countyID, by: "assessor")
            try await job.create(on: app.db)

            let haimen = try await app.webSession("hmassessor")
            for path in ["/samples/\(drawID)", "/samples/\(drawID)/export.csv", "/samples/\(drawID)/letters", "/jobs/\(try job.requireID())"] {
                #expect(try await app.send(.GET, path, headers: haimen.headers).status == .notFound, "\(path)")
            }
            let hmToken = try await app.apiToken("hmassessor")
            #expect(try await app.send(.GET, "/api/v1/jobs/\(try job.requireID())", headers: .bearer(hmToken)).status == .notFound)
            let replaced = try await app.send(
                .POST, "/samples/\(drawID)/members/\(try member.requireID())/replace", headers: haimen.headers,
                form: ["_csrf": haimen.csrf, "status": "refused", "reason": "越界替换"])
            #expect(replaced.status == .notFound)
            #expect(try await SampleMember.find(member.requireID(), on: app.db)?.status == "active")
            let issued = try await app.send(.POST, "/samples/\(drawID)/surveys", headers: haimen.headers, form: ["_csrf": haimen.csrf])
            #expect(issued.status == .notFound)
            #expect(try await SurveyResponse.query(on: app.db).filter(\.$draw.$id == drawID).count() == 0)

            let donghu = try await app.webSession("dhassessor")
            #expect(try await app.send(.GET, "/samples/\(try cityDraw.requireID())", headers: donghu.headers).status == .forbidden)
            // The county's own assessor reaches its whole campaign.
            let home = try await app.webSession("qsassessor")
            #expect(try await app.send(.GET, "/samples/\(drawID)", headers: home.headers).status == .ok)
            #expect(try await app.send(.GET, "/jobs/\(try job.requireID())", headers: home.headers).status == .ok)
        }
    }

    private func res(_ r: TestingHTTPResponse) -> HTTPResponseStatus { r.status }

    @Test("a city's administrator sees and creates accounts only inside the city, and never widens an account's reach", arguments: TestDatabase.available)
    func administrators(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await Self.province(app)
            try await Self.account(app, "prov", unitRegion: p.province, regions: [p.province])
            try await Self.account(app, "haimen", unitRegion: p.haimen, regions: [p.haimen])
            try await Self.account(app, "donghu", unitRegion: p.neighbour, regions: [p.neighbour])
            try await Self.account(app, "citywide", unitRegion: p.city, regions: [p.province])
            try await Self.account(app, "cityadmin", role: .admin, unitRegion: p.city, regions: [p.city])
            let token = try await app.apiToken("cityadmin")

            let listed = Set(try await app.send(.GET, "/api/v1/users?per=200", headers: .bearer(token)).decode(Listing<UserDTO>.self).items.map(\.username))
            #expect(listed.isSuperset(of: ["donghu", "citywide", "cityadmin", "coordinator", "filer"]))
            #expect(listed.isDisjoint(with: ["prov", "haimen"]))
            let everyone = try await app.send(.GET, "/api/v1/users?per=200", headers: .bearer(try await app.apiToken("admin"))).decode(Listing<UserDTO>.self)
            #expect(Set(everyone.items.map(\.username)).isSuperset(of: ["prov", "haimen"]), "an unbound administrator sees every account")

            #expect(try await app.send(.GET, "/api/v1/users/\(try await app.userID("prov"))", headers: .bearer(token)).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/users/\(try await app.userID("haimen"))", headers: .bearer(token)).status == .notFound)
            // Visible (its unit is in the city) but bound to the whole province: not the city's to change.
            let wide = try await app.userID("citywide")
            #expect(try await app.send(.GET, "/api/v1/users/\(wide)", headers: .bearer(token)).status == .ok)
            let widened = try await app.send(
                .PUT, "/api/v1/users/\(wide)", headers: .bearer(token),
                json: UserInput(username: "citywide", displayName: "改名", role: "coordinator", unitID: nil, password: nil, isActive: true))
            #expect(widened.status == .forbidden)
            #expect(try await User.find(wide, on: app.db)?.displayName == "citywide")

            let cityUnit = try #require(try await Unit.query(on: app.db).filter(\.$code == "UCITYADMIN").first()?.id).uuidString
            let haimenUnit = try #require(try await Unit.query(on: app.db).filter(\.$code == "UHAIMEN").first()?.id).uuidString
            func create(_ name: String, unit: String, regions: [Region]?) async throws -> TestingHTTPResponse {
                try await app.send(
                    .POST, "/api/v1/users", headers: .bearer(token),
                    json: UserInput(
                        username: name, displayName: name, role: "coordinator", unitID: unit, password: "Qs-\(name)-2026!x", isActive: true,
                        regionIDs: try regions?.map { try $0.requireID().uuidString }))
            }
            let before = try await User.query(on: app.db).count()
            for (regions, unit) in [([p.haimen], cityUnit), ([], cityUnit), (nil, cityUnit), ([p.province], cityUnit)] as [([Region]?, String)] {
                let r = try await create("newcounty", unit: unit, regions: regions)
                #expect(r.status == .unprocessableEntity, "\(String(describing: regions?.map(\.name)))")
                #expect(r.apiError?.fields?["regionIDs"] != nil)
            }
            let otherUnit = try await create("newcounty", unit: haimenUnit, regions: [p.neighbour])
            #expect(otherUnit.apiError?.fields?["unitID"] == "只能选择本人管辖地区内的单位")
            #expect(try await User.query(on: app.db).count() == before, "nothing written on a refusal")

            let made = try await create("newcounty", unit: cityUnit, regions: [p.neighbour])
            #expect(made.status == .created)
            let newID = try await app.userID("newcounty")
            #expect(try await RegionScopes.bound([newID], on: app.db)[newID] == [try p.neighbour.requireID()])
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "bind_regions").filter(\.$entityID == newID.uuidString).count()
            #expect(audit == 1)
            // Units and regions: written only inside the city; the directory stays readable.
            let unitsBefore = try await Unit.query(on: app.db).count()
            let foreignUnit = try await app.send(
                .POST, "/api/v1/units", headers: .bearer(token),
                json: UnitInput(code: "HMTEST", name: "海门县测试局", type: "government_department", regionID: try p.haimen.requireID().uuidString, contact: nil))
            #expect(foreignUnit.status == .unprocessableEntity && foreignUnit.apiError?.fields?["regionID"] != nil)
            #expect(try await Unit.query(on: app.db).count() == unitsBefore)
            let ownUnit = try await app.send(
                .POST, "/api/v1/units", headers: .bearer(token),
                json: UnitInput(code: "DHTEST", name: "东湖县测试局", type: "government_department", regionID: try p.neighbour.requireID().uuidString, contact: nil))
            #expect(ownUnit.status == .created)
            let renamed = try await app.send(
                .PUT, "/api/v1/units/\(haimenUnit)", headers: .bearer(token),
                json: UnitInput(code: "UHAIMEN", name: "改名", type: "government_department", regionID: try p.haimen.requireID().uuidString, contact: nil))
            #expect(renamed.status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/units/\(haimenUnit)", headers: .bearer(token)).status == .ok)
            let foreignTown = try await app.send(
                .POST, "/api/v1/regions", headers: .bearer(token),
                json: RegionInput(code: "370801001", name: "海门镇", level: "township", parentID: try p.haimen.requireID().uuidString))
            #expect(foreignTown.status == .unprocessableEntity && foreignTown.apiError?.fields?["parentID"] != nil)
            let ownTown = try await app.send(
                .POST, "/api/v1/regions", headers: .bearer(token),
                json: RegionInput(code: "370791001", name: "东湖镇", level: "township", parentID: try p.neighbour.requireID().uuidString))
            #expect(ownTown.status == .created)

            // Audit: a city-bound audit administrator reads what the city's accounts did, not the province's office.
            try await Self.account(app, "cityauditor", role: .auditAdmin, unitRegion: p.city, regions: [p.city])
            let provMade = try await app.send(
                .POST, "/api/v1/campaigns", headers: .bearer(try await app.apiToken("prov")), json: try await CampaignTests.body(app, name: "省级新建"))
            #expect(provMade.status == .created)
            func actors(_ auditor: String) async throws -> Set<String> {
                let token = try await app.apiToken(auditor)
                return Set(try await app.send(.GET, "/api/v1/audit?per=200", headers: .bearer(token)).decode(Listing<AuditEntryDTO>.self).items.map(\.actorUsername))
            }
            let cityActors = try await actors("cityauditor")
            #expect(cityActors.contains("cityadmin"))
            #expect(!cityActors.contains("prov"))
            #expect(try await actors("auditor").contains("prov"))

            // The new account sees only the city campaign, in part.
            let names = try await app.send(.GET, "/api/v1/campaigns", headers: .bearer(try await app.apiToken("newcounty", password: "Qs-newcounty-2026!x")))
                .decode([CampaignDTO].self).map(\.name)
            #expect(names == [p.cityCampaign.name])
        }
    }
}

/// The region axis of the permission matrix, derived from the route table: every guarded route under a campaign is
/// tried by an administrator bound to another city's county (the campaign does not exist for it: 404, never 200),
/// and every whole-campaign action by an administrator bound to one of the campaign's eight counties (403).
@Suite("Region axis of the route table")
struct RegionAxisTests {
    @Test("campaign routes: another region's campaign is not found; whole-campaign actions need the whole campaign", arguments: TestDatabase.available)
    func routes(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let p = try await RegionScopeAppTests.province(app)
            try await RegionScopeAppTests.account(app, "haimenadmin", role: .admin, unitRegion: p.haimen, regions: [p.haimen])
            try await RegionScopeAppTests.account(app, "donghuadmin", role: .admin, unitRegion: p.neighbour, regions: [p.neighbour])
            let outsider = try await app.webSession("haimenadmin")
            let outsiderToken = try await app.apiToken("haimenadmin")
            let part = try await app.webSession("donghuadmin")
            let partToken = try await app.apiToken("donghuadmin")
            let countyID = try p.countyCampaign.requireID().uuidString
            let cityID = try p.cityCampaign.requireID().uuidString
            let filingsBefore = try await Filing.query(on: app.db).count()
            var tried = 0
            for route in app.routes.all {
                guard let action = route.requiredAction, Permissions.allows(.admin, action) else { continue }
                let parts = route.path.map(\.description)
                let api = parts.starts(with: ["api", "v1"])
                let rest = api ? Array(parts.dropFirst(2)) : parts
                guard rest.count >= 2, rest[0] == "campaigns", rest[1] == ":id" else { continue }
                func path(_ campaign: String) -> String {
                    "/" + route.path.enumerated().map { i, c -> String in
                        if case .parameter = c { return (api ? i == 3 : i == 1) ? campaign : UUID().uuidString }
                        return c.description
                    }.joined(separator: "/")
                }
                func send(_ s: WebSession, _ token: String, _ campaign: String) async throws -> TestingHTTPResponse {
                    if api {
                        return try await app.send(route.method, path(campaign), headers: .bearer(token), raw: route.method == .GET ? nil : "{}")
                    }
                    var headers = s.headers
                    headers.add(name: "X-CSRF-Token", value: s.csrf)
                    return try await app.send(route.method, path(campaign), headers: headers, form: route.method == .GET ? nil : ["_csrf": s.csrf])
                }
                let label = "\(route.method.rawValue) /\(parts.joined(separator: "/"))"
                let other = try await send(outsider, outsiderToken, countyID)
                #expect(other.status == .notFound, "\(label) on another region's campaign → \(other.status)")
                if RegionScope.needsWholeCampaign(action) {
                    let res = try await send(part, partToken, cityID)
                    #expect(res.status == .forbidden, "\(label) on a campaign reached in part → \(res.status)")
                }
                tried += 1
            }
            #expect(tried > 60)
            #expect(try await Filing.query(on: app.db).count() == filingsBefore)
        }
    }
}
