import Fluent
import Vapor
import YingshangCore

/// Logs in the user whose id the session holds (web pages).
struct SessionUserAuthenticator: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let raw = req.session.data["userID"], let id = UUID(uuidString: raw),
            let user = try await User.find(id, on: req.db), user.isActive
        {
            req.auth.login(user)
        }
        return try await next.respond(to: req)
    }
}

/// Logs in the user owning a valid `Authorization: Bearer` token (API).
struct BearerUserAuthenticator: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = req.headers.bearerAuthorization {
            let hash = APIToken.hash(bearer.token)
            if let token = try await APIToken.query(on: req.db).filter(\.$tokenHash == hash).with(\.$user).first(),
                token.expiresAt > Date(), token.user.isActive
            {
                req.auth.login(token.user)
                req.storage[BearerTokenKey.self] = token
            }
        }
        return try await next.respond(to: req)
    }
}

struct BearerTokenKey: StorageKey { typealias Value = APIToken }

/// Refuses a request whose user may not perform `action`: 401 (API) or a redirect to login (web) without a user,
/// 403 with a wrong role.
struct RequireAction: AsyncMiddleware {
    let action: Action
    let api: Bool

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let user = req.auth.get(User.self) else {
            if api { throw AppError.unauthorized() }
            let target = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
            return req.redirect(to: "/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        guard let role = user.userRole, Permissions.allows(role, action) else {
            throw AppError.forbidden()
        }
        return try await next.respond(to: req)
    }
}

extension Request {
    /// The signed-in user; routes behind `RequireAction` always have one.
    func currentUser() throws -> User {
        guard let user = auth.get(User.self) else { throw AppError.unauthorized() }
        return user
    }

    func currentRole() throws -> Role {
        guard let role = try currentUser().userRole else { throw AppError.forbidden() }
        return role
    }
}
