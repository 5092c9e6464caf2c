import NIOConcurrencyHelpers
import Vapor

/// A body announced (Content-Length) larger than its route will collect is refused at once with 413, before any of
/// it is read: otherwise the server first reads up to the limit and a client can keep a connection busy sending
/// what will be refused anyway. Routes registered through `Guarded` carry their limit; any other JSON or form body
/// is always collected, so the application's default applies. Streamed uploads check their size as they read.
struct AnnouncedBodyLimitMiddleware: Middleware {
    /// What a route's user info says about its limit, read once per route (a route's user info is a dictionary of
    /// `Any`: three lookups and casts on every request were a thirtieth of a survey submission).
    private enum Rule {
        case none
        case fixed(Int)
        /// The application's default for collected bodies.
        case applicationDefault
        /// The application's default, for a JSON or form body only (any other is not collected).
        case collectedBodies
    }

    private let rules = NIOLockedValueBox<[ObjectIdentifier: Rule]>([:])

    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let announced = req.headers.first(name: .contentLength).flatMap(Int.init), let limit = limit(for: req), announced > limit {
            return req.eventLoop.makeFailedFuture(AppError(
                status: .payloadTooLarge, code: "too_large",
                message: "提交的内容（\(Self.size(announced))）超过此处上限 \(Self.size(limit))"))
        }
        return next.respond(to: req)
    }

    private func limit(for req: Request) -> Int? {
        switch rule(for: req.route) {
        case .none: return nil
        case .fixed(let limit): return limit
        case .applicationDefault: return req.application.routes.defaultMaxBodySize.value
        case .collectedBodies:
            guard Self.isJSONOrForm(req.headers) else { return nil }
            return req.application.routes.defaultMaxBodySize.value
        }
    }

    private func rule(for route: Route?) -> Rule {
        guard let route else { return .collectedBodies }
        let id = ObjectIdentifier(route)
        if let known = rules.withLockedValue({ $0[id] }) { return known }
        // Uploads have their own, larger limits, checked against the announced length by their handlers (evidence
        // 50 MB by default, registers 640 MB); the 1 MB default for collected bodies refused every upload over 1 MB.
        let info = route.userInfo
        let rule: Rule
        if info[RouteActionKey.streamedKey] as? Bool == true {
            rule = .none
        } else if let limit = info[RouteActionKey.bodyLimitKey] as? Int {
            rule = .fixed(limit)
        } else if info[RouteActionKey.key] == nil {
            rule = .collectedBodies
        } else {
            rule = .applicationDefault
        }
        // Routes live as long as the application, and this middleware belongs to one application.
        rules.withLockedValue { $0[id] = rule }
        return rule
    }

    /// Vapor's `contentType == .json || == .urlEncodedForm`, answered without parsing for the values clients send.
    static func isJSONOrForm(_ headers: HTTPHeaders) -> Bool {
        switch headers.first(name: .contentType) {
        case "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded": return true
        default:
            guard let type = headers.contentType else { return false }
            return type == .json || type == .urlEncodedForm
        }
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(max(1, bytes >> 10)) KB"
    }
}
