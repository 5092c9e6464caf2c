import Fluent
import Vapor
import YingshangCore

/// `/api/v1/auth/*` and `/api/v1/me`: bearer tokens for API clients.
struct AuthAPIController {
    struct LoginBody: Content {
        let username: String?
        let password: String?
    }

    struct LoginResponse: Content {
        let token: String
        let expiresAt: Date
        let user: UserDTO
    }

    struct PasswordBody: Content {
        let currentPassword: String?
        let newPassword: String?
    }

    func register(_ api: any RoutesBuilder, guarded: Guarded) {
        api.post("auth", "login", use: login).markPublic()
        guarded.post("auth", "logout", action: .viewHome, use: logout)
        guarded.get("me", action: .viewHome, use: me)
        guarded.post("me", "password", action: .changeOwnPassword, use: changePassword)
    }

    /// Exchanges a username and password for a bearer token.
    @Sendable func login(req: Request) async throws -> LoginResponse {
        let body = try req.content.decode(LoginBody.self)
        var fields: [String: String] = [:]
        if (body.username ?? "").isEmpty { fields["username"] = "请输入用户名" }
        if (body.password ?? "").isEmpty { fields["password"] = "请输入密码" }
        guard fields.isEmpty, let username = body.username, let password = body.password else {
            throw AppError.invalid(fields)
        }
        let outcome = try await LoginService.login(username: username, password: password, req: req, now: req.clock.now())
        guard case .success(let user) = outcome else {
            let code = if case .locked = outcome { "account_locked" } else { "invalid_credentials" }
            throw AppError(status: .unauthorized, code: code, message: LoginService.message(for: outcome))
        }
        let token = Base64URL.randomToken()
        let expiresAt = req.clock.now().addingTimeInterval(req.application.settings.apiTokenLifetime)
        try await APIToken(tokenHash: APIToken.hash(token), userID: user.requireID(), expiresAt: expiresAt).save(
            on: req.db)
        return LoginResponse(token: token, expiresAt: expiresAt, user: try UserDTO(user))
    }

    /// Revokes the token used for this request.
    @Sendable func logout(req: Request) async throws -> HTTPStatus {
        if let id = req.storage[BearerTokenKey.self] { try await APIToken.query(on: req.db).filter(\.$id == id).delete() }
        return .noContent
    }

    @Sendable func me(req: Request) async throws -> UserDTO {
        try UserDTO(req.currentUser())
    }

    @Sendable func changePassword(req: Request) async throws -> HTTPStatus {
        let user = try req.currentUser()
        let body = try req.content.decode(PasswordBody.self)
        try await AccountActions.changePassword(
            req: req, user: user, current: body.currentPassword ?? "", new: body.newPassword ?? "", confirm: nil)
        return .noContent
    }
}

/// Changing one's own password, shared by web and API.
enum AccountActions {
    static func changePassword(req: Request, user: User, current: String, new: String, confirm: String?) async throws {
        var fields = LoginService.newPasswordProblems(new, confirm: confirm, username: user.username)
        if !(try await req.password.async.verify(PasswordPolicy.normalized(current), created: user.passwordHash)) {
            fields["currentPassword"] = "当前密码不正确"
        }
        guard fields.isEmpty else { throw AppError.invalid(fields) }
        user.passwordHash = try await req.password.async.hash(PasswordPolicy.normalized(new))
        try await req.db.writeTransaction { db in
            try await user.save(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "change_password", entityType: "user", entityID: user.id,
                before: noSnapshot, after: noSnapshot)
        }
    }
}
