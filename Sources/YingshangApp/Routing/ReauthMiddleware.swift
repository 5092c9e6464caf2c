import Vapor
import YingshangCore

/// Before a sensitive web post (`Reauthentication.sensitive`), asks for the password again if the last sign-in or
/// confirmation is older than the window. The confirmation page carries the original form's fields, so the change
/// goes through as submitted once the password is right; nothing is changed before that.
struct ReauthMiddleware: AsyncMiddleware {
    let action: Action
    static let sessionKey = "authAt"
    static let passwordField = "_reauth_password"

    struct Field: Encodable {
        let name: String
        let value: String
    }

    struct PageBody: Encodable {
        let action: String
        let fields: [Field]
        /// Password fields of the original form (a new user's initial password, a reset): never echoed into the page,
        /// asked for again instead.
        let secretFields: [String]
        let error: String
    }

    static func isSecret(_ name: String) -> Bool { name != passwordField && name.lowercased().contains("password") }

    enum Confirmation { case confirmed, wrong, locked }

    /// The one password re-check of both flows (a sensitive post, a personal-data download): through the login
    /// itself, so failures count toward the same lockout and a left-open session cannot be used to guess the
    /// password; the lock ends the session. Both outcomes are audited with what they were for.
    static func confirm(password: String, for purpose: String, req: Request, now: Date) async throws -> Confirmation {
        let user = try req.currentUser()
        let outcome = try await LoginService.login(username: user.username, password: password, req: req, now: now)
        switch outcome {
        case .locked:
            req.session.destroy()
            return .locked
        case .success:
            req.session.data[sessionKey] = String(now.timeIntervalSince1970)
            try await AuditLog.record(
                on: req.db, req: req, actor: user, action: "reauthenticate", entityType: "user", entityID: user.id,
                before: noSnapshot, after: ["for": purpose])
            return .confirmed
        case .invalid:
            try await AuditLog.record(
                on: req.db, req: req, actor: user, action: "reauthenticate_failed", entityType: "user", entityID: user.id,
                before: noSnapshot, after: ["for": purpose])
            return .wrong
        }
    }

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let now = req.clock.now()
        let at = req.hasSession ? req.session.data[Self.sessionKey].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) : nil
        guard Reauthentication.isRequired(for: action, authenticatedAt: at, now: now) else { return try await next.respond(to: req) }
        let fields = Self.formFields(req)
        var error = ""
        if let password = fields.first(where: { $0.name == Self.passwordField })?.value {
            switch try await Self.confirm(password: password, for: action.rawValue, req: req, now: now) {
            case .locked:
                return req.redirect(to: "/login")
            case .confirmed:
                return try await next.respond(to: req)
            case .wrong:
                error = "密码不正确，请重新输入"
            }
        }
        let page = try await req.render(
            "auth/reauth", title: "再次确认身份",
            PageBody(
                action: req.url.string,
                fields: fields.filter { $0.name != Self.passwordField && $0.name != CSRF.fieldName && !Self.isSecret($0.name) },
                secretFields: fields.filter { Self.isSecret($0.name) && !$0.value.isEmpty }.map(\.name),
                error: error))
        let res = try await page.encodeResponse(for: req)
        res.status = .unauthorized
        return res
    }

    /// The posted form as name/value pairs in order (repeated names such as `roles[]` kept).
    static func formFields(_ req: Request) -> [Field] {
        guard req.headers.contentType == .urlEncodedForm, let buffer = req.body.data else { return [] }
        let raw = String(buffer: buffer)
        return raw.split(separator: "&").compactMap { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = kv.first, !name.isEmpty else { return nil }
            return Field(name: name, value: kv.count > 1 ? kv[1] : "")
        }
    }
}

/// Before a download of personal data (`Guarded.personalDataExport`): a stale confirmation sends the browser to
/// `/account/reauth`, which comes back to the download once the password is right.
struct ExportReauthMiddleware: Middleware {
    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let at = req.hasSession ? req.session.data[ReauthMiddleware.sessionKey].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) : nil
        guard Reauthentication.isStale(authenticatedAt: at, now: req.clock.now()) else { return next.respond(to: req) }
        var components = URLComponents()
        components.path = "/account/reauth"
        components.queryItems = [URLQueryItem(name: "next", value: req.url.string)]
        return req.eventLoop.makeSucceededFuture(req.redirect(to: components.string ?? "/account/reauth"))
    }
}

/// `/account/reauth`: the password again, then back to where the user was going (a personal-data download).
struct ReauthWebController {
    struct PageBody: Encodable {
        let next: String
        let error: String
    }

    func register(_ g: Guarded) {
        g.get("account", "reauth", action: .changeOwnPassword, use: page)
        g.post("account", "reauth", action: .changeOwnPassword, use: confirm)
    }

    @Sendable func page(req: Request) async throws -> View {
        let next = Reauthentication.safeNext(req.query[String.self, at: "next"]) ?? "/"
        return try await req.render("auth/reauth-export", title: "再次确认身份", PageBody(next: next, error: ""))
    }

    @Sendable func confirm(req: Request) async throws -> Response {
        struct Form: Content {
            var next: String?
            var password: String?
        }
        let form = try req.content.decode(Form.self)
        let next = Reauthentication.safeNext(form.next) ?? "/"
        let now = req.clock.now()
        func again(_ error: String) async throws -> Response {
            let res = try await req.render("auth/reauth-export", title: "再次确认身份", PageBody(next: next, error: error))
                .encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        // An empty field is a slip, not a guess: it does not count toward the lockout.
        guard let password = form.password, !password.isEmpty else { return try await again("请输入密码") }
        switch try await ReauthMiddleware.confirm(password: password, for: "export_personal_data", req: req, now: now) {
        case .confirmed: return req.redirect(to: next)
        case .locked: return req.redirect(to: "/login")
        case .wrong: return try await again("密码不正确，请重新输入")
        }
    }
}
