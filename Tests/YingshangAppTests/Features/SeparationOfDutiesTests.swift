import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// 等保 2.0 三员分立 through the web and the API: the system administrator keeps accounts, the security administrator
/// grants roles and sets the policy, the audit administrator reads the trail; each is refused the others' part.
@Suite("Separation of the three administrators")
struct SeparationOfDutiesTests {
    @Test("the system administrator creates working accounts but cannot give or change roles, nor touch the other administrators' accounts", arguments: TestDatabase.available)
    func systemAdministrator(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("admin")
            let unit = try await app.unitID("SWJ").uuidString
            var form = ["_csrf": s.csrf, "username": "boss", "displayName": "新管理员", "role": "admin", "unitID": unit, "password": "Boss2026pass", "isActive": "on"]
            let refused = try await app.send(.POST, "/users", headers: s.headers, form: form)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("管理员角色只能由安全管理员授予或收回"))
            #expect(refused.text.contains("value=\"boss\""))
            #expect(try await User.query(on: app.db).filter(\.$username == "boss").count() == 0)
            // The form offers the working roles only.
            let blank = try await app.send(.GET, "/users/new", headers: s.headers).text
            #expect(blank.contains("value=\"filer\"") && !blank.contains("value=\"audit_admin\"") && !blank.contains("value=\"admin\""))
            form["role"] = "filer"
            #expect(try await app.send(.POST, "/users", headers: s.headers, form: form).status == .seeOther)
            let boss = try #require(try await User.query(on: app.db).filter(\.$username == "boss").first())
            #expect(boss.role == "filer")

            // Changing an existing account's role is not the system administrator's, in the form or the API.
            form["role"] = "unit_head"
            form["password"] = ""
            let change = try await app.send(.POST, "/users/\(try boss.requireID())", headers: s.headers, form: form)
            #expect(change.status == .unprocessableEntity)
            #expect(change.text.contains("已有账户的角色只能由安全管理员调整"))
            let token = try await app.apiToken("admin")
            let api = try await app.send(
                .PUT, "/api/v1/users/\(try boss.requireID())", headers: .bearer(token),
                json: ["username": "boss", "displayName": "新管理员", "role": "admin", "unitID": unit])
            #expect(api.status == .unprocessableEntity)
            #expect(try await User.find(boss.id, on: app.db)?.role == "filer")

            // The auditor's account is out of reach: no edit, no reset, no delete, whatever the UI shows.
            let auditor = try #require(try await User.query(on: app.db).filter(\.$username == "auditor").first()).requireID()
            #expect(try await app.send(.GET, "/users/\(auditor)/edit", headers: s.headers).status == .forbidden)
            #expect(try await app.send(.POST, "/users/\(auditor)/delete", headers: s.headers, form: ["_csrf": s.csrf]).status == .forbidden)
            #expect(try await app.send(
                .PUT, "/api/v1/users/\(auditor)", headers: .bearer(token),
                json: ["username": "auditor", "displayName": "x", "role": "audit_admin", "unitID": unit, "password": "Taken0ver2026"]).status == .forbidden)
            #expect(try await app.send(.DELETE, "/api/v1/users/\(auditor)", headers: .bearer(token)).status == .forbidden)
            #expect(try await User.find(auditor, on: app.db) != nil)
            let list = try await app.send(.GET, "/users?q=auditor", headers: s.headers).text
            #expect(!list.contains("/users/\(auditor)/edit"))
            // Nor may the system administrator read the audit log.
            #expect(try await app.send(.GET, "/audit", headers: s.headers).status == .forbidden)
        }
    }

    @Test("the security administrator changes roles (audited, tokens ended, never its own) and nothing else", arguments: TestDatabase.available)
    func securityAdministrator(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("secadmin")
            let filer = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            let fid = try filer.requireID()
            _ = try await app.apiToken("filer")
            #expect(try await APIToken.query(on: app.db).filter(\.$user.$id == fid).count() > 0)
            let page = try await app.send(.GET, "/users/\(fid)/role", headers: s.headers)
            #expect(page.status == .ok)
            #expect(page.text.contains("单位填报人"))
            let done = try await app.send(.POST, "/users/\(fid)/role", headers: s.headers, form: ["_csrf": s.csrf, "role": "unit_head"])
            #expect(done.status == .seeOther)
            #expect(try await User.find(fid, on: app.db)?.role == "unit_head")
            #expect(try await APIToken.query(on: app.db).filter(\.$user.$id == fid).count() == 0)
            let entry = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "assign_role").filter(\.$actorUsername == "secadmin").first())
            #expect(entry.beforeJSON?.contains("filer") == true && entry.afterJSON?.contains("unit_head") == true)

            let me = try #require(try await User.query(on: app.db).filter(\.$username == "secadmin").first()).requireID()
            let own = try await app.send(.POST, "/users/\(me)/role", headers: s.headers, form: ["_csrf": s.csrf, "role": "admin"])
            #expect(own.status == .unprocessableEntity)
            #expect(own.text.contains("不能修改自己的角色"))
            let bogus = try await app.send(.POST, "/users/\(fid)/role", headers: s.headers, form: ["_csrf": s.csrf, "role": "root"])
            #expect(bogus.status == .unprocessableEntity)
            #expect(try await User.find(fid, on: app.db)?.role == "unit_head")
            // No account management, no audit log, no business pages.
            #expect(try await app.send(.GET, "/users/new", headers: s.headers).status == .forbidden)
            #expect(try await app.send(.GET, "/audit", headers: s.headers).status == .forbidden)
            #expect(try await app.send(.GET, "/filings", headers: s.headers).status == .forbidden)
        }
    }

    @Test("the security policy: saved values take effect on the lockout; a bad value is named beside its field and nothing changes", arguments: TestDatabase.available)
    func securityPolicy(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let s = try await app.webSession("secadmin")
            let shown = try await app.send(.GET, "/security-policy", headers: s.headers)
            #expect(shown.status == .ok)
            #expect(shown.text.contains("name=\"maxFailures\" value=\"5\""))
            let bad = try await app.send(
                .POST, "/security-policy", headers: s.headers,
                form: ["_csrf": s.csrf, "idleMinutes": "30", "maxSessionHours": "12", "maxFailures": "100", "lockMinutes": "十五"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("连续密码错误次数应在 3–10 之间"))
            #expect(bad.text.contains("应为整数"))
            #expect(bad.text.contains("value=\"十五\""))
            #expect(try await SecurityPolicyRecord.query(on: app.db).count() == 0)

            let ok = try await app.send(
                .POST, "/security-policy", headers: s.headers,
                form: ["_csrf": s.csrf, "idleMinutes": "15", "maxSessionHours": "8", "maxFailures": "3", "lockMinutes": "20"])
            #expect(ok.status == .seeOther)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$entityType == "security_policy").count() == 1)
            // Three wrong passwords now lock the account, for 20 minutes.
            var last = ""
            for i in 0..<3 {
                last = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer_tax", "password": "wrong-\(i)-pass"]).text
            }
            #expect(last.contains("连续 3 次密码错误"))
            #expect(last.contains("20 分钟"))
            let locked = try #require(try await User.query(on: app.db).filter(\.$username == "filer_tax").first())
            #expect(locked.lockedUntil != nil)
            // The policy is the security administrator's alone.
            let admin = try await app.webSession("admin")
            #expect(try await app.send(.GET, "/security-policy", headers: admin.headers).status == .forbidden)
        }
    }

    @Test("a unit's news about filings reaches its working staff, not the security or audit administrator who could not open it", arguments: TestDatabase.available)
    func unitNotifications(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let spj = try await app.unitID("SPJ")
            try await InAppNotification.notifyUnit(spj, message: "测试通知", link: "/filings", at: Date(), on: app.db)
            func count(_ username: String) async throws -> Int {
                let id = try #require(try await User.query(on: app.db).filter(\.$username == username).first()).requireID()
                return try await InAppNotification.query(on: app.db).filter(\.$user.$id == id).filter(\.$message == "测试通知").count()
            }
            #expect(try await count("coordinator") == 1)
            #expect(try await count("secadmin") == 0)
            #expect(try await count("auditor") == 0)
            // Nor does the daily digest on their notifications page point at filings.
            for user in ["secadmin", "auditor"] {
                let page = try await app.send(.GET, "/notifications", headers: try await app.webSession(user).headers)
                #expect(page.status == .ok)
                #expect(!page.text.contains("/filings/"), "\(user)")
            }
            #expect(try await app.send(.GET, "/notifications", headers: try await app.webSession("coordinator").headers).text.contains("/filings/"))
        }
    }

    @Test("the audit administrator exports the log (the export is audited); a refused request by a signed-in user is audited with its path", arguments: TestDatabase.available)
    func auditExportAndRefusals(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let admin = try await app.webSession("admin")
            #expect(try await app.send(.GET, "/audit.csv", headers: admin.headers).status == .forbidden)
            let refused = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "permission_denied").filter(\.$actorUsername == "admin").first())
            #expect(refused.afterJSON?.contains("/audit.csv") == true)
            #expect(refused.afterJSON?.contains("GET") == true)

            let auditor = try await app.webSession("auditor")
            let csv = try await app.send(.GET, "/audit.csv?action=permission_denied", headers: auditor.headers)
            #expect(csv.status == .ok)
            #expect(csv.headers.contentType?.description.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.first.map { String($0.drop { $0 == "\u{FEFF}" }) }?.hasPrefix("序号,时间,操作人,操作") == true)
            #expect(lines.count == 2)
            #expect(lines.last?.contains("越权访问被拒") == true)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "export").filter(\.$actorUsername == "auditor").count() == 1)

            // A flood of the same forbidden request is written once a minute, not once per request.
            for _ in 0..<30 { #expect(try await app.send(.GET, "/users/new", headers: auditor.headers).status == .forbidden) }
            let flood = try await AuditEntry.query(on: app.db).filter(\.$action == "permission_denied").filter(\.$actorUsername == "auditor").all()
            #expect(flood.count == 1)
            #expect(flood.first?.afterJSON?.contains("/users/new") == true)
            // The chain stays intact with refusals and exports in it.
            #expect(try await AuditLog.verify(on: app.db).finding == nil)
        }
    }
}
