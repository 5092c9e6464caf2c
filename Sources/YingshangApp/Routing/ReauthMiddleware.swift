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
        let error: String
    }

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let now = req.clock.now()
        let at = req.hasSession ? req.session.data[Self.sessionKey].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) : nil
        guard Reauthentication.isRequired(for: action, authenticatedAt: at, now: now) else { return try await next.respond(to: req) }
        let fields = Self.formFields(req)
        var error = ""
        if let password = fields.first(where: { $0.name == Self.passwordField })?.value {
            let user = try req.currentUser()
            // The login's own check: failures count toward the same lockout, so a left-open session cannot be used
            // to guess the password here either.
            let outcome = try await LoginService.login(username: user.username, password: password, req: req, now: now)
            if case .locked = outcome {
                req.session.destroy()
                return req.redirect(to: "/login")
            }
            if case .success = outcome {
                req.session.data[Self.sessionKey] = String(now.timeIntervalSince1970)
                try await AuditLog.record(
                    on: req.db, req: req, actor: user, action: "reauthenticate", entityType: "user", entityID: user.id,
                    before: noSnapshot, after: ["for": action.rawValue])
                return try await next.respond(to: req)
            }
            error = "密码不正确，请重新输入"
            try await AuditLog.record(
                on: req.db, req: req, actor: user, action: "reauthenticate_failed", entityType: "user", entityID: user.id,
                before: noSnapshot, after: ["for": action.rawValue])
        }
        let page = try await req.render(
            "auth/reauth", title: "再次确认身份",
            PageBody(
                action: req.url.string, fields: fields.filter { $0.name != Self.passwordField && $0.name != CSRF.fieldName },
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
