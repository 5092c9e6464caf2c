import Vapor
import YingshangCore

/// Key under which each guarded route records the action it requires (read by the permission-matrix test).
enum RouteActionKey {
    static let key = "yingshang.action"
    static let publicKey = "yingshang.public"
    /// The most a collected body may hold on this route, in bytes (`AnnouncedBodyLimitMiddleware`).
    static let bodyLimitKey = "yingshang.bodyLimit"
    /// The body is streamed to the handler, which checks its size as it reads (uploads).
    static let streamedKey = "yingshang.streamed"
}

extension Route {
    var requiredAction: Action? { userInfo[RouteActionKey.key] as? Action }
    var isPublic: Bool { (userInfo[RouteActionKey.publicKey] as? Bool) ?? false }
}

/// Registers routes that require an action from the permission table; web posts also need a CSRF token.
struct Guarded {
    let builder: any RoutesBuilder
    let api: Bool

    @discardableResult
    func get<R: AsyncResponseEncodable>(
        _ path: PathComponent..., action: Action, use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        register(.GET, path, action, handler)
    }

    /// A download of enterprises' personal data (contacts, phones): the password is asked again first when the last
    /// sign-in or confirmation is older than the window (`ExportReauthMiddleware`).
    @discardableResult
    func personalDataExport<R: AsyncResponseEncodable>(
        _ path: PathComponent..., action: Action, use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        register(.GET, path, action, handler, extra: api ? [] : [ExportReauthMiddleware()])
    }

    @discardableResult
    func post<R: AsyncResponseEncodable>(
        _ path: PathComponent..., action: Action, maxBody: Int? = nil,
        use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        register(.POST, path, action, handler, maxBody: maxBody)
    }

    @discardableResult
    func put<R: AsyncResponseEncodable>(
        _ path: PathComponent..., action: Action, maxBody: Int? = nil,
        use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        register(.PUT, path, action, handler, maxBody: maxBody)
    }

    @discardableResult
    func delete<R: AsyncResponseEncodable>(
        _ path: PathComponent..., action: Action, use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        register(.DELETE, path, action, handler)
    }

    private func register<R: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ path: [PathComponent], _ action: Action,
        _ handler: @escaping @Sendable (Request) async throws -> R, maxBody: Int? = nil, extra: [any Middleware] = []
    ) -> Route {
        var middleware: [any Middleware] = [RequireAction(action: action, api: api)] + extra
        if !api && method != .GET {
            middleware.append(CSRFMiddleware(maxBody: maxBody))
            if Reauthentication.sensitive.contains(action) { middleware.append(ReauthMiddleware(action: action)) }
        }
        let body: HTTPBodyStreamStrategy = maxBody.map { .collect(maxSize: ByteCount(value: $0)) } ?? .collect
        let route = builder.grouped(middleware).on(method, path, body: body, use: handler)
        route.userInfo[RouteActionKey.key] = action
        route.userInfo[RouteActionKey.bodyLimitKey] = maxBody
        return route
    }
}

extension Route {
    /// Marks a route as open to anonymous visitors (login, health, OpenAPI, metrics).
    @discardableResult
    func markPublic() -> Route {
        userInfo[RouteActionKey.publicKey] = true
        return self
    }
}

extension Guarded {
    /// A PUT whose body is streamed to the handler (uploads); CSRF comes from the `X-CSRF-Token` header.
    @discardableResult
    func putStream<R: AsyncResponseEncodable>(
        _ path: PathComponent..., action: Action, use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        var middleware: [any Middleware] = [RequireAction(action: action, api: api)]
        if !api { middleware.append(CSRFMiddleware(headerOnly: true)) }
        let route = builder.grouped(middleware).on(.PUT, path, body: .stream, use: handler)
        route.userInfo[RouteActionKey.key] = action
        route.userInfo[RouteActionKey.streamedKey] = true
        return route
    }
}
