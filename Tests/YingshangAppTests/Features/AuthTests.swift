import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import YingshangApp
import YingshangCore

@Suite("Login, tokens, lockout and CSRF")
struct AuthTests {
    /// `User` and `APIToken` list their properties instead of Fluent finding them by reflection; the lists must be
    /// exactly the reflected ones (the same wrappers in the same order), or a new column would never be read or saved.
    @Test("the listed properties of User and APIToken are exactly the ones Fluent would find by reflection")
    func listedProperties() {
        func reflected(_ model: some Fields) -> [ObjectIdentifier] {
            Mirror(reflecting: model).children.compactMap { $0.value as? any AnyProperty }.map { ObjectIdentifier($0 as AnyObject) }
        }
        func listed(_ model: some Fields) -> [ObjectIdentifier] { model.properties.map { ObjectIdentifier($0 as AnyObject) } }
        let user = User()
        #expect(listed(user) == reflected(user))
        #expect(listed(user).count == 12)
        let token = APIToken()
        #expect(listed(token) == reflected(token))
        #expect(listed(token).count == 5)
    }

    struct LoginReply: Content { let token: String; let expiresAt: Date; let user: UserDTO }

    @Test("API login returns a token, its expiry and the user; the token opens /me", arguments: TestDatabase.available)
    func apiLogin(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let res = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "coordinator", "password": demoPassword])
            #expect(res.status == .ok)
            let reply = try res.decode(LoginReply.self)
            #expect(reply.user.username == "coordinator")
            #expect(reply.user.role == "coordinator")
            #expect(reply.expiresAt > Date())
            #expect(reply.token.count >= 40)
            let me = try await app.send(.GET, "/api/v1/me", headers: .bearer(reply.token))
            #expect(me.status == .ok)
            #expect(try me.decode(UserDTO.self).username == "coordinator")
        }
    }

    @Test("wrong password is 401 with the JSON error envelope in Chinese", arguments: TestDatabase.available)
    func wrongPassword(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let res = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer", "password": "wrong1234"])
            #expect(res.status == .unauthorized)
            #expect(res.apiError?.code == "invalid_credentials")
            #expect(res.apiError?.message == "用户名或密码错误")
            // An unknown user gets exactly the same answer (no user enumeration).
            let unknown = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "ghost", "password": "wrong1234"])
            #expect(unknown.status == .unauthorized)
            #expect(unknown.apiError?.message == "用户名或密码错误")
        }
    }

    @Test("missing fields are 422 naming each field; malformed JSON is 422 too", arguments: TestDatabase.available)
    func missingFields(db: TestDatabase) async throws {
        try await withApp(db, seedDemo: false) { app in
            let res = try await app.send(.POST, "/api/v1/auth/login", raw: "{}")
            #expect(res.status == .unprocessableEntity)
            #expect(res.apiError?.fields?["username"] == "请输入用户名")
            #expect(res.apiError?.fields?["password"] == "请输入密码")
            let bad = try await app.send(.POST, "/api/v1/auth/login", raw: "{oops")
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.apiError?.code == "invalid_body")
        }
    }

    @Test("no token and a bad token are both 401 JSON", arguments: TestDatabase.available)
    func unauthenticated(db: TestDatabase) async throws {
        try await withApp(db, seedDemo: false) { app in
            let none = try await app.send(.GET, "/api/v1/units")
            #expect(none.status == .unauthorized)
            #expect(none.apiError?.code == "unauthorized")
            let bad = try await app.send(.GET, "/api/v1/units", headers: .bearer("not-a-token"))
            #expect(bad.status == .unauthorized)
        }
    }

    @Test("logout revokes the token", arguments: TestDatabase.available)
    func logoutRevokes(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("leader")
            #expect(try await app.send(.POST, "/api/v1/auth/logout", headers: .bearer(token)).status == .noContent)
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(token)).status == .unauthorized)
        }
    }

    @Test("a token past its expiry, or of an account deactivated since, is 401; another account's token is that account's", arguments: TestDatabase.available)
    func tokenExpiryAndDeactivation(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let leader = try await app.apiToken("leader")
            let filer = try await app.apiToken("filer")
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(leader)).decode(UserDTO.self).username == "leader")
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(filer)).decode(UserDTO.self).username == "filer")
            let stored = try #require(try await APIToken.query(on: app.db).filter(\.$tokenHash == APIToken.hash(leader)).first())
            stored.expiresAt = Date().addingTimeInterval(-1)
            try await stored.save(on: app.db)
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(leader)).status == .unauthorized)
            let account = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            account.isActive = false
            try await account.save(on: app.db)
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(filer)).status == .unauthorized)
            #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer("not-a-token")).status == .unauthorized)
        }
    }

    @Test("five wrong passwords lock the account even against the right one; the page says so", arguments: TestDatabase.available)
    func lockout(db: TestDatabase) async throws {
        try await withApp(db) { app in
            for attempt in 1...5 {
                let res = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer", "password": "bad\(attempt)pass"])
                #expect(res.status == .unauthorized)
                #expect(res.apiError?.code == (attempt == 5 ? "account_locked" : "invalid_credentials"))
            }
            let right = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer", "password": demoPassword])
            #expect(right.status == .unauthorized)
            #expect(right.apiError?.code == "account_locked")
            #expect(right.apiError?.message.contains("15 分钟") == true)

            var session = WebSession(cookie: "", csrf: "")
            session.absorb(try await app.send(.GET, "/login"))
            let page = try await app.send(
                .POST, "/login", headers: session.headers,
                form: ["_csrf": session.csrf, "username": "filer", "password": demoPassword])
            #expect(page.status == .unauthorized)
            #expect(page.text.contains("账户已锁定"))

            let user = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            #expect(user.failedLogins == 5)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "login_failed").count() == 4)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "login_locked").count() == 1)
            // Other accounts are unaffected.
            _ = try await app.apiToken("unithead")
        }
    }

    @Test("wrong passwords sent in parallel never get more than five checks and never a server error", arguments: TestDatabase.available)
    func lockoutUnderParallelAttempts(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let statuses = try await withThrowingTaskGroup(of: (HTTPStatus, String?).self) { group in
                for attempt in 0..<40 {
                    group.addTask {
                        let res = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer", "password": "wrong\(attempt)x"])
                        return (res.status, res.apiError?.code)
                    }
                }
                var all: [(HTTPStatus, String?)] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.count == 40)
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0.0 == .unauthorized }, "\(statuses.map(\.0.code))")
            // Each password actually checked leaves one audit entry; the rest were refused as locked unchecked.
            let checked = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["login_failed", "login_locked"]).count()
            #expect(checked == LoginLockout.maxFailures)
            #expect(statuses.filter { $0.1 == "account_locked" }.count == 40 - LoginLockout.maxFailures + 1)
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "filer").first())
            #expect(user.lockedUntil != nil)
        }
    }

    @Test("a browser session ends after 30 idle minutes or 12 hours in all, server-side, with the reason on the login page", arguments: TestDatabase.available)
    func sessionTimeouts(db: TestDatabase) async throws {
        try await withApp(db) { app in
            func age(_ session: WebSession, _ key: String, by seconds: TimeInterval) async throws {
                let id = try #require(session.sessionID)
                let record = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first())
                let value = try #require(record.data[key].flatMap(Double.init))
                record.data[key] = String(value - seconds)
                try await record.save(on: app.db)
            }
            // 29 idle minutes: still signed in.
            let fresh = try await app.webSession("filer")
            try await age(fresh, "seenAt", by: 29 * 60)
            #expect(try await app.send(.GET, "/", headers: fresh.headers).status == .ok)
            // 31 idle minutes: sent to sign in again, told why, and the old session row is gone.
            let idle = try await app.webSession("filer")
            try await age(idle, "seenAt", by: 31 * 60)
            let res = try await app.send(.GET, "/", headers: idle.headers)
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location)?.hasPrefix("/login") == true)
            let id = try #require(idle.sessionID)
            #expect(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first()?.data["userID"] == nil)
            var next = idle
            next.absorb(res)
            let login = try await app.send(.GET, "/login", headers: next.headers)
            #expect(login.text.contains("已自动退出"))
            // Active all along but signed in 13 hours ago: ended too.
            let long = try await app.webSession("filer")
            try await age(long, "startedAt", by: 13 * 3600)
            #expect(try await app.send(.GET, "/", headers: long.headers).status == .seeOther)
        }
    }

    @Test("a session naming a malformed, unknown or deactivated account reads as signed out; one naming the account in lower case still signs it in", arguments: TestDatabase.available)
    func sessionNamingAccounts(db: TestDatabase) async throws {
        try await withApp(db) { app in
            // The session row, its account and the account's regions are read in one statement (`SignedInRead`).
            func naming(_ userID: String, as username: String = "filer") async throws -> HTTPStatus {
                let session = try await app.webSession(username)
                let id = try #require(session.sessionID)
                let record = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first())
                record.data["userID"] = userID
                try await record.save(on: app.db)
                return try await app.send(.GET, "/", headers: session.headers).status
            }
            let filer = try await app.userID("filer")
            #expect(try await naming("not-a-uuid'; DROP TABLE users; --") == .seeOther)
            #expect(try await naming(UUID().uuidString) == .seeOther)
            #expect(try await naming(filer.uuidString.lowercased()) == .ok)
            // The same session id, another account: the page is that account's.
            let coordinator = try await app.userID("coordinator")
            let session = try await app.webSession("filer")
            let sessionID = try #require(session.sessionID)
            let record = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: sessionID)).first())
            record.data["userID"] = coordinator.uuidString
            try await record.save(on: app.db)
            let home = try await app.send(.GET, "/", headers: session.headers).text
            let coordinatorName = try #require(try await User.find(coordinator, on: app.db)).displayName
            #expect(home.contains(coordinatorName))
            // Deactivated after signing in: the next page is the login page.
            let signedIn = try await app.webSession("filer_tax")
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "filer_tax").first())
            user.isActive = false
            try await user.save(on: app.db)
            #expect(try await app.send(.GET, "/", headers: signedIn.headers).status == .seeOther)
            #expect(try await User.query(on: app.db).count() > 0)
        }
    }

    @Test("pages and API calls go on signed in when another instance's migration adds columns to accounts and tokens", arguments: TestDatabase.available)
    func columnsAddedWhileServing(db: TestDatabase) async throws {
        try await withApp(db) { app in
            // On PostgreSQL the session, account and token reads are prepared once per pooled connection; a prepared
            // `SELECT *` would fail on every connection that had run it ("cached plan must not change result type").
            let session = try await app.webSession("coordinator")
            let token = try await app.apiToken("coordinator")
            let name = try #require(try await User.query(on: app.db).filter(\.$username == "coordinator").first()).displayName
            // Enough requests that every pooled connection has prepared the statements.
            for _ in 0..<8 {
                #expect(try await app.send(.GET, "/", headers: session.headers).status == .ok)
                #expect(try await app.send(.GET, "/api/v1/me", headers: .bearer(token)).status == .ok)
            }
            try await app.db.sql().raw("ALTER TABLE users ADD COLUMN added_by_a_later_release TEXT").run()
            try await app.db.sql().raw("ALTER TABLE api_tokens ADD COLUMN added_by_a_later_release TEXT").run()
            for _ in 0..<8 {
                let home = try await app.send(.GET, "/", headers: session.headers)
                #expect(home.status == .ok)
                #expect(home.text.contains(name))
                let me = try await app.send(.GET, "/api/v1/me", headers: .bearer(token))
                #expect(me.status == .ok)
                #expect(me.text.contains("coordinator"))
            }
        }
    }

    @Test("a session read that failed while its table was missing works again once the table is back", arguments: TestDatabase.available)
    func sessionReadRecovers(db: TestDatabase) async throws {
        try await withApp(db) { app in
            // On PostgreSQL a failed preparation would otherwise stay with its pooled connection for good.
            let session = try await app.webSession("coordinator")
            try await app.db.sql().raw("ALTER TABLE _fluent_sessions RENAME TO sessions_moved_away").run()
            #expect(try await app.send(.GET, "/", headers: session.headers).status == .internalServerError)
            try await app.db.sql().raw("ALTER TABLE sessions_moved_away RENAME TO _fluent_sessions").run()
            for _ in 0..<4 {
                #expect(try await app.send(.GET, "/", headers: session.headers).status == .ok)
            }
        }
    }

    @Test("web login sets an HttpOnly, Secure, SameSite session cookie; logout ends the session", arguments: TestDatabase.available)
    func webLogin(db: TestDatabase) async throws {
        try await withApp(db) { app in
            // Looking at the login page makes no session: only the form's CSRF cookie, HttpOnly, Secure, SameSite.
            let sessionsBefore = try await SessionRecord.query(on: app.db).count()
            let loginPage = try await app.send(.GET, "/login")
            #expect(loginPage.headers.setCookie?["yingshang_session"] == nil)
            let csrfCookie = try #require(loginPage.headers.setCookie?["__Host-yingshang_csrf"])
            #expect(csrfCookie.isHTTPOnly && csrfCookie.isSecure && csrfCookie.sameSite == .strict)
            #expect(try await SessionRecord.query(on: app.db).count() == sessionsBefore)
            // A post whose token matches neither a session nor the cookie is refused.
            let forged = try await app.send(
                .POST, "/login", headers: ["Cookie": "__Host-yingshang_csrf=\(csrfCookie.string)"],
                form: ["_csrf": String(csrfCookie.string.reversed()), "username": "unithead", "password": demoPassword])
            #expect(forged.status == .forbidden)

            // A session id planted before login is not the one signed in (no fixation).
            let planted = "fixed-by-an-attacker-0000000000000000000000"
            var s = WebSession(cookie: "yingshang_session=\(planted)", csrf: "")
            s.absorb(loginPage)
            let signedIn = try await app.send(
                .POST, "/login", headers: s.headers, form: ["_csrf": s.csrf, "username": "unithead", "password": demoPassword, "next": "/"])
            #expect(signedIn.status == .seeOther)
            let sessionCookie = try #require(signedIn.headers.setCookie?["yingshang_session"])
            #expect(sessionCookie.isHTTPOnly && sessionCookie.isSecure && sessionCookie.sameSite == .lax)
            // Eight hours, said as Max-Age (the browser ends it; the server's policy ends it earlier when idle).
            let raw = signedIn.headers[.setCookie].first { $0.hasPrefix("yingshang_session=") } ?? ""
            #expect(raw.contains("Max-Age=28800") && !raw.contains("Expires="), "\(raw)")
            s.absorb(signedIn)
            #expect(s.sessionID != nil && s.sessionID != planted)
            #expect(try await app.send(.GET, "/", headers: ["Cookie": "yingshang_session=\(planted)"]).status == .seeOther)
            s.absorb(try await app.send(.GET, "/", headers: s.headers))
            let home = try await app.send(.GET, "/", headers: s.headers)
            #expect(home.status == .ok)
            #expect(home.text.contains("张局长（市场监管局）"))
            #expect(home.text.contains("单位负责人"))

            #expect(try await app.send(.POST, "/logout", headers: s.headers, form: ["_csrf": s.csrf]).status == .seeOther)
            let after = try await app.send(.GET, "/", headers: s.headers)
            #expect(after.status == .seeOther)
            #expect(after.headers.first(name: .location)?.hasPrefix("/login") == true)
        }
    }

    @Test("web login failure re-renders the form with a Chinese message", arguments: TestDatabase.available)
    func webLoginFailure(db: TestDatabase) async throws {
        try await withApp(db) { app in
            var session = WebSession(cookie: "", csrf: "")
            session.absorb(try await app.send(.GET, "/login"))
            let res = try await app.send(
                .POST, "/login", headers: session.headers,
                form: ["_csrf": session.csrf, "username": "admin", "password": "nope12345"])
            #expect(res.status == .unauthorized)
            #expect(res.text.contains("用户名或密码错误"))
        }
    }

    @Test("login never redirects off-site")
    func safeNext() {
        #expect(AuthWebController.safeNext("/units?page=2") == "/units?page=2")
        #expect(AuthWebController.safeNext("https://evil.example") == "/")
        #expect(AuthWebController.safeNext("//evil.example") == "/")
        #expect(AuthWebController.safeNext(nil) == "/")
    }

    @Test("a form post without the CSRF token is refused and changes nothing", arguments: TestDatabase.available)
    func csrfRejected(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let noToken = try await app.send(.POST, "/login", form: ["username": "admin", "password": demoPassword])
            #expect(noToken.status == .forbidden)
            #expect(noToken.text.contains("页面已过期"))

            let s = try await app.webSession("admin")
            let before = try await Unit.query(on: app.db).count()
            let forged = try await app.send(
                .POST, "/units", headers: s.headers,
                form: ["_csrf": "forged", "code": "NEW", "name": "新单位", "type": "other"])
            #expect(forged.status == .forbidden)
            #expect(try await Unit.query(on: app.db).count() == before)

            let ok = try await app.send(
                .POST, "/units", headers: s.headers,
                form: ["_csrf": s.csrf, "code": "NEW", "name": "新单位", "type": "other"])
            #expect(ok.status == .seeOther)
            #expect(try await Unit.query(on: app.db).count() == before + 1)
        }
    }

    @Test("changing one's password enforces the rules and the current password", arguments: TestDatabase.available)
    func changePassword(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let token = try await app.apiToken("filer")
            let bad = try await app.send(
                .POST, "/api/v1/me/password", headers: .bearer(token),
                json: ["currentPassword": "wrong", "newPassword": "short"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.apiError?.fields?["currentPassword"] == "当前密码不正确")
            #expect(bad.apiError?.fields?["newPassword"]?.contains("至少 8 位") == true)
            _ = try await app.apiToken("filer")

            let ok = try await app.send(
                .POST, "/api/v1/me/password", headers: .bearer(token),
                json: ["currentPassword": demoPassword, "newPassword": "newpass2026"])
            #expect(ok.status == .noContent)
            _ = try await app.apiToken("filer", password: "newpass2026")
            let old = try await app.send(.POST, "/api/v1/auth/login", json: ["username": "filer", "password": demoPassword])
            #expect(old.status == .unauthorized)
        }
    }
}

@Suite("Re-authentication")
struct ReauthenticationTests {
    @Test("account changes ask for the password again after 10 minutes; the form goes through as submitted once it is right", arguments: TestDatabase.available)
    func sensitiveChange(db: TestDatabase) async throws {
        try await withApp(db) { app in
            var s = try await app.webSession("admin")
            let scjg = try await app.unitID("SCJG")
            let form = ["_csrf": s.csrf, "username": "newfiler", "displayName": "新填报人", "role": "filer", "unitID": scjg.uuidString,
                        "password": "Abcdefg123", "isActive": "on"]
            // Signed in just now: no question asked.
            #expect(try await app.send(.POST, "/users", headers: s.headers, form: form).status == .seeOther)
            #expect(try await User.query(on: app.db).filter(\.$username == "newfiler").count() == 1)

            // Eleven minutes later (the session's confirmation time moved back), the next account change asks first.
            let id = try #require(s.sessionID)
            let record = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first())
            record.data["authAt"] = String(app.clock.now().timeIntervalSince1970 - 11 * 60)
            try await record.save(on: app.db)
            var second = form
            second["username"] = "newfiler2"
            let asked = try await app.send(.POST, "/users", headers: s.headers, form: second)
            #expect(asked.status == .unauthorized)
            #expect(asked.text.contains("再次确认身份") && asked.text.contains("value=\"newfiler2\"") && asked.text.contains("name=\"_reauth_password\""))
            // The new user's initial password is not echoed into the page; it is asked for again in a password field.
            #expect(!asked.text.contains("Abcdefg123"))
            #expect(asked.text.contains("<input type=\"password\" name=\"password\""))
            #expect(try await User.query(on: app.db).filter(\.$username == "newfiler2").count() == 0)
            s.absorb(asked)
            // A wrong password changes nothing and is audited.
            let wrong = try await app.send(.POST, "/users", headers: s.headers, form: second.merging(["_csrf": s.csrf, "_reauth_password": "nope12345"]) { _, b in b })
            #expect(wrong.status == .unauthorized && wrong.text.contains("密码不正确"))
            #expect(try await User.query(on: app.db).filter(\.$username == "newfiler2").count() == 0)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "reauthenticate_failed").count() == 1)
            // The right one: the change goes through as first submitted.
            let right = try await app.send(.POST, "/users", headers: s.headers, form: second.merging(["_csrf": s.csrf, "_reauth_password": demoPassword]) { _, b in b })
            #expect(right.status == .seeOther)
            #expect(try await User.query(on: app.db).filter(\.$username == "newfiler2").first()?.displayName == "新填报人")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "reauthenticate").count() == 1)
            // Guessing here counts toward the login lockout: the fifth wrong password locks the account and ends the session.
            let again = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first())
            again.data["authAt"] = String(app.clock.now().timeIntervalSince1970 - 11 * 60)
            try await again.save(on: app.db)
            var third = second
            third["username"] = "newfiler3"
            var last = wrong
            for _ in 1...LoginLockout.maxFailures {
                last = try await app.send(.POST, "/users", headers: s.headers, form: third.merging(["_csrf": s.csrf, "_reauth_password": "nope12345"]) { _, b in b })
            }
            #expect(last.status == .seeOther && last.headers.first(name: .location) == "/login")
            #expect(try await User.query(on: app.db).filter(\.$username == "admin").first()?.lockedUntil != nil)
            #expect(try await User.query(on: app.db).filter(\.$username == "newfiler3").count() == 0)
            #expect(try await app.send(.GET, "/", headers: s.headers).status == .seeOther)
            // Non-sensitive posts never ask (a filing save, a question).
            #expect(!Reauthentication.isRequired(for: .editFilings, authenticatedAt: nil, now: app.clock.now()))
        }
    }

    @Test("a personal-data download asks for the password again after 10 minutes, then goes on to the file; elsewhere-pointing next is refused", arguments: TestDatabase.available)
    func personalDataExport(db: TestDatabase) async throws {
        try await withApp(db) { app in
            var s = try await app.webSession("assessor")
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let path = "/campaigns/\(cid)/register.csv"
            // Signed in just now: the download goes through.
            #expect(try await app.send(.GET, path, headers: s.headers).status == .ok)
            let exports = try await AuditEntry.query(on: app.db).filter(\.$action == "export_personal_data").count()

            let id = try #require(s.sessionID)
            let record = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first())
            record.data["authAt"] = String(app.clock.now().timeIntervalSince1970 - 11 * 60)
            try await record.save(on: app.db)
            let asked = try await app.send(.GET, path, headers: s.headers)
            #expect(asked.status == .seeOther)
            let location = try #require(asked.headers.first(name: .location))
            #expect(location.hasPrefix("/account/reauth?next="))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "export_personal_data").count() == exports)
            let page = try await app.send(.GET, location, headers: s.headers)
            #expect(page.status == .ok && page.text.contains("value=\"\(path)\""))
            s.absorb(page)
            let wrong = try await app.send(.POST, "/account/reauth", headers: s.headers, form: ["_csrf": s.csrf, "next": path, "password": "nope12345"])
            #expect(wrong.status == .unprocessableEntity && wrong.text.contains("密码不正确"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "reauthenticate_failed").count() == 1)
            let empty = try await app.send(.POST, "/account/reauth", headers: s.headers, form: ["_csrf": s.csrf, "next": path, "password": ""])
            #expect(empty.status == .unprocessableEntity && empty.text.contains("请输入密码"))
            #expect(try await User.query(on: app.db).filter(\.$username == "assessor").first()?.failedLogins == 1)
            let right = try await app.send(.POST, "/account/reauth", headers: s.headers, form: ["_csrf": s.csrf, "next": path, "password": demoPassword])
            #expect(right.status == .seeOther)
            #expect(right.headers.first(name: .location) == path)
            #expect(try await app.send(.GET, path, headers: s.headers).status == .ok)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "export_personal_data").count() == exports + 1)
            // "next" never leaves the site.
            let away = try await app.send(.POST, "/account/reauth", headers: s.headers, form: ["_csrf": s.csrf, "next": "//evil.example/x", "password": demoPassword])
            #expect(away.headers.first(name: .location) == "/")
        }
    }
}

@Suite("Session sweeping")
struct SessionSweepTests {
    @Test("expired sessions are deleted, live ones kept; a new session records when it was made", arguments: TestDatabase.available)
    func sweep(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let live = try await app.webSession("filer")
            let now = app.clock.now()
            func stored(_ data: [String: String]) async throws -> UUID {
                let r = SessionRecord(key: SessionID(string: UUID().uuidString), data: SessionData(initialData: data))
                try await r.create(on: app.db)
                return try r.requireID()
            }
            let t = { (ago: TimeInterval) in String(now.addingTimeInterval(-ago).timeIntervalSince1970) }
            let idle = try await stored(["userID": UUID().uuidString, "startedAt": t(3600), "seenAt": t(31 * 60)])
            let old = try await stored(["userID": UUID().uuidString, "startedAt": t(13 * 3600), "seenAt": t(60)])
            let visitor = try await stored(["flash": "x", "createdAt": t(2 * 3600)])
            let legacy = try await stored(["csrf": "abc"])
            let recent = try await stored(["lang": "en", "createdAt": t(60)])
            #expect(try await SessionSweeper.sweep(on: app.db, policy: app.settings.sessionPolicy, now: now) == 4)
            for gone in [idle, old, visitor, legacy] { #expect(try await SessionRecord.find(gone, on: app.db) == nil) }
            #expect(try await SessionRecord.find(recent, on: app.db) != nil)
            // The signed-in user's session survives and still works.
            #expect(try await app.send(.GET, "/", headers: live.headers).status == .ok)
            let liveID = try #require(live.sessionID)
            let mine = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: liveID)).first())
            #expect(mine.data["createdAt"] != nil)
        }
    }
}
