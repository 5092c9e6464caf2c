import Fluent
import Vapor
import YingshangCore

/// Login, logout and change-password pages.
struct AuthWebController {
    struct LoginForm: Content {
        let username: String?
        let password: String?
        let next: String?
    }

    struct LoginPage: Encodable {
        let username: String
        let next: String
        let error: String?
    }

    struct PasswordForm: Content {
        let currentPassword: String?
        let newPassword: String?
        let confirmPassword: String?
    }

    struct PasswordPage: Encodable {
        let errors: [String: String]
    }

    func register(_ web: any RoutesBuilder, guarded: Guarded) {
        web.get("login", use: loginPage).markPublic()
        web.grouped(CSRFMiddleware()).post("login", use: login).markPublic()
        guarded.post("logout", action: .viewHome, use: logout)
        guarded.get("account", "password", action: .changeOwnPassword, use: passwordPage)
        guarded.post("account", "password", action: .changeOwnPassword, use: changePassword)
    }

    @Sendable func loginPage(req: Request) async throws -> Response {
        if req.auth.has(User.self) { return req.redirect(to: "/") }
        let next = req.query[String.self, at: "next"] ?? "/"
        return try await req.render("auth/login", title: "登录", LoginPage(username: "", next: next, error: nil))
            .encodeResponse(for: req)
    }

    @Sendable func login(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let next = Self.safeNext(form.next)
        let outcome = try await LoginService.login(
            username: form.username ?? "", password: form.password ?? "", req: req, now: req.clock.now())
        guard case .success(let user) = outcome else {
            let view = try await req.render(
                "auth/login", title: "登录",
                LoginPage(username: form.username ?? "", next: next, error: LoginService.message(for: outcome)))
            let response = try await view.encodeResponse(for: req)
            response.status = .unauthorized
            return response
        }
        // A new session id and CSRF token at login, so an id or token planted before authentication is worthless.
        if let old = req.session.id {
            try await req.application.sessions.driver.deleteSession(old, for: req).get()
            req.session.id = nil
        }
        req.session.data[CSRF.sessionKey] = nil
        req.session.data["userID"] = try user.requireID().uuidString
        let now = String(req.clock.now().timeIntervalSince1970)
        req.session.data["startedAt"] = now
        req.session.data["seenAt"] = now
        req.session.data[ReauthMiddleware.sessionKey] = now
        return req.redirect(to: next)
    }

    @Sendable func logout(req: Request) async throws -> Response {
        req.auth.logout(User.self)
        req.session.destroy()
        return req.redirect(to: "/login")
    }

    @Sendable func passwordPage(req: Request) async throws -> View {
        try await req.render("auth/password", title: "修改密码", PasswordPage(errors: [:]))
    }

    @Sendable func changePassword(req: Request) async throws -> Response {
        let user = try req.currentUser()
        let form = try req.content.decode(PasswordForm.self)
        do {
            try await AccountActions.changePassword(
                req: req, user: user, current: form.currentPassword ?? "", new: form.newPassword ?? "",
                confirm: form.confirmPassword ?? "")
        } catch let error as AppError where error.status == .unprocessableEntity {
            let view = try await req.render("auth/password", title: "修改密码", PasswordPage(errors: error.fields ?? [:]))
            let response = try await view.encodeResponse(for: req)
            response.status = .unprocessableEntity
            return response
        }
        req.setFlash("密码已修改")
        return req.redirect(to: "/")
    }

    /// Only same-site relative paths are followed after login (no open redirect).
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\") else { return "/" }
        return raw
    }
}
