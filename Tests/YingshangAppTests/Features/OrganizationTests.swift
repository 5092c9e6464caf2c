import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

@Suite("Regions, units and users")
struct OrganizationTests {
    @Test("demo county: 12 townships, ~25 units, one user per role; loading twice changes nothing", arguments: TestDatabase.available)
    func demoIsIdempotent(db: TestDatabase) async throws {
        try await withApp(db) { app in
            #expect(try await Region.query(on: app.db).filter(\.$level == "township").count() == 12)
            let units = try await Unit.query(on: app.db).count()
            #expect(units >= 25)
            let roles = Set(try await User.query(on: app.db).all().compactMap(\.userRole))
            #expect(roles == Set(Role.allCases))
            let hashes = try await User.query(on: app.db).sort(\.$username).all().map(\.passwordHash)
            let audits = try await AuditEntry.query(on: app.db).count()

            let again = try await DemoLoader.load(app: app, password: demoPassword)
            #expect(again.created == 0)
            #expect(try await Unit.query(on: app.db).count() == units)
            #expect(try await User.query(on: app.db).sort(\.$username).all().map(\.passwordHash) == hashes)
            #expect(try await AuditEntry.query(on: app.db).count() == audits)
        }
    }

    @Test("unit heads see only their own unit's users; another unit's user is 403", arguments: TestDatabase.available)
    func unitHeadIsolation(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("unithead")
            let list = try await app.send(.GET, "/api/v1/users?per=200", headers: .bearer(token))
            #expect(list.status == .ok)
            let users = try list.decode(Listing<UserDTO>.self)
            let scjg = try await app.unitID("SCJG")
            #expect(!users.items.isEmpty)
            #expect(!users.items.isEmpty && users.items.allSatisfy { $0.unitID == scjg })
            #expect(users.total == users.items.count)

            let taxFiler = try await app.userID("filer_tax")
            let other = try await app.send(.GET, "/api/v1/users/\(taxFiler)", headers: .bearer(token))
            #expect(other.status == .forbidden)
            let own = try await app.send(.GET, "/api/v1/users/\(try await app.userID("filer"))", headers: .bearer(token))
            #expect(own.status == .ok)

            let s = try await app.webSession("unithead")
            let page = try await app.send(.GET, "/users", headers: s.headers)
            #expect(page.text.contains("刘填报"))
            #expect(!page.text.contains("陈填报"))
        }
    }

    @Test("filers see only their own unit", arguments: TestDatabase.available)
    func filerIsolation(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("filer_tax")
            let list = try await app.send(.GET, "/api/v1/units", headers: .bearer(token))
            let units = try list.decode(Listing<UnitDTO>.self)
            #expect(units.items.map(\.code) == ["SWJ"])
            let scjg = try await app.unitID("SCJG")
            #expect(try await app.send(.GET, "/api/v1/units/\(scjg)", headers: .bearer(token)).status == .forbidden)
            // Coordinators see every unit.
            let coord = try await app.apiToken("coordinator")
            let all = try await app.send(.GET, "/api/v1/units?per=200", headers: .bearer(coord)).decode(Listing<UnitDTO>.self)
            #expect(all.total >= 25)
        }
    }

    @Test("lists search and paginate", arguments: TestDatabase.available)
    func searchAndPaginate(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("admin")
            let page1 = try await app.send(.GET, "/api/v1/units?per=10&page=1", headers: .bearer(token)).decode(Listing<UnitDTO>.self)
            let page3 = try await app.send(.GET, "/api/v1/units?per=10&page=3", headers: .bearer(token)).decode(Listing<UnitDTO>.self)
            #expect(page1.items.count == 10)
            #expect(page3.items.count == page1.total - 20)
            #expect(Set(page1.items.map(\.id)).isDisjoint(with: page3.items.map(\.id)))
            let search = try await app.send(.GET, "/api/v1/units?q=%E4%BE%9B%E7%94%B5", headers: .bearer(token))  // 供电
            #expect(try search.decode(Listing<UnitDTO>.self).items.map(\.code) == ["GD"])
            let s = try await app.webSession("admin")
            let html = try await app.send(.GET, "/units?q=%E6%B3%95%E9%99%A2", headers: s.headers).text  // 法院
            #expect(html.contains("青山县人民法院"))
            #expect(!html.contains("青山县财政局"))
        }
    }

    @Test("invalid region, unit and user bodies are 422 with Chinese field errors and store nothing", arguments: TestDatabase.available)
    func validation(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("admin")
            let counts = (try await Region.query(on: app.db).count(), try await Unit.query(on: app.db).count(),
                          try await User.query(on: app.db).count(), try await AuditEntry.query(on: app.db).count())
            let county = try #require(try await Region.query(on: app.db).filter(\.$code == "370799").first()?.id)

            let region = try await app.send(
                .POST, "/api/v1/regions", headers: .bearer(token),
                json: ["code": "37079", "name": "", "level": "township", "parentID": county.uuidString])
            #expect(region.status == .unprocessableEntity)
            #expect(region.apiError?.fields?["code"]?.contains("9 位") == true)
            #expect(region.apiError?.fields?["name"] != nil)
            let wrongParent = try await app.send(
                .POST, "/api/v1/regions", headers: .bearer(token),
                json: ["code": "370800001", "name": "外县镇", "level": "township", "parentID": county.uuidString])
            #expect(wrongParent.apiError?.fields?["code"]?.contains("370799") == true)

            let unit = try await app.send(
                .POST, "/api/v1/units", headers: .bearer(token), json: ["code": "SPJ", "name": "重复", "type": "bogus"])
            #expect(unit.status == .unprocessableEntity)
            #expect(unit.apiError?.fields?["code"] == "单位代码 SPJ 已存在")
            #expect(unit.apiError?.fields?["type"] != nil)

            let user = try await app.send(
                .POST, "/api/v1/users", headers: .bearer(token),
                json: ["username": "Bad Name", "displayName": "x", "role": "king", "unitID": UUID().uuidString, "password": "123"])
            #expect(user.status == .unprocessableEntity)
            let fields = user.apiError?.fields ?? [:]
            #expect(Set(fields.keys) == ["username", "role", "unitID", "password"])

            #expect(try await Region.query(on: app.db).count() == counts.0)
            #expect(try await Unit.query(on: app.db).count() == counts.1)
            #expect(try await User.query(on: app.db).count() == counts.2)
            #expect(try await AuditEntry.query(on: app.db).count() == counts.3)
        }
    }

    @Test("the web form shows the error next to the field and keeps the typed values", arguments: TestDatabase.available)
    func webFormErrors(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("admin")
            let res = try await app.send(
                .POST, "/units", headers: s.headers,
                form: ["_csrf": s.csrf, "code": "SPJ", "name": "我的新单位", "type": "government_department"])
            #expect(res.status == .unprocessableEntity)
            #expect(res.text.contains("<p class=\"field-error\">单位代码 SPJ 已存在</p>"))
            #expect(res.text.contains("value=\"我的新单位\""))
        }
    }

    @Test("a unit with users and a county with townships cannot be deleted", arguments: TestDatabase.available)
    func guardedDeletes(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("admin")
            let scjg = try await app.unitID("SCJG")
            let res = try await app.send(.DELETE, "/api/v1/units/\(scjg)", headers: .bearer(token))
            #expect(res.status == .conflict)
            #expect(res.apiError?.message.contains("2 个用户") == true)
            #expect(try await Unit.find(scjg, on: app.db) != nil)

            let county = try #require(try await Region.query(on: app.db).filter(\.$code == "370799").first()?.id)
            let r = try await app.send(.DELETE, "/api/v1/regions/\(county)", headers: .bearer(token))
            #expect(r.status == .conflict)

            // An admin cannot delete or demote themselves.
            let me = try await app.userID("admin")
            #expect(try await app.send(.DELETE, "/api/v1/users/\(me)", headers: .bearer(token)).status == .conflict)
        }
    }

    @Test("admin creates a user who can then log in; disabling revokes their tokens", arguments: TestDatabase.available)
    func userLifecycle(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("admin")
            let unit = try await app.unitID("GD")
            let created = try await app.send(
                .POST, "/api/v1/users", headers: .bearer(token),
                json: ["username": "filer_gd", "displayName": "供电填报员", "role": "filer", "unitID": unit.uuidString, "password": "power2026"])
            #expect(created.status == .created)
            let user = try created.decode(UserDTO.self)
            let theirToken = try await app.apiToken("filer_gd", password: "power2026")

            struct Update: Encodable, Sendable {
                let username: String, displayName: String, role: String, unitID: String, isActive: Bool
            }
            let disabled = try await app.send(
                .PUT, "/api/v1/users/\(user.id)", headers: .bearer(token),
                json: Update(username: "filer_gd", displayName: "供电填报员", role: "filer", unitID: unit.uuidString, isActive: false))
            #expect(disabled.status == .ok)
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(theirToken)).status == .unauthorized)
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer_gd", "password": "power2026"])
            #expect(login.status == .unauthorized)
        }
    }
}
