import Vapor

/// A body announced (Content-Length) larger than its route will collect is refused at once with 413, before any of
/// it is read: otherwise the server first reads up to the limit and a client can keep a connection busy sending
/// what will be refused anyway. Routes registered through `Guarded` carry their limit; any other JSON or form body
/// is always collected, so the application's default applies. Streamed uploads check their size as they read.
struct AnnouncedBodyLimitMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let announced = req.headers.first(name: .contentLength).flatMap(Int.init), let limit = limit(for: req), announced > limit {
            throw AppError(
                status: .payloadTooLarge, code: "too_large",
                message: "提交的内容（\(Self.size(announced))）超过此处上限 \(Self.size(limit))")
        }
        return try await next.respond(to: req)
    }

    private func limit(for req: Request) -> Int? {
        // Uploads have their own, larger limits, checked against the announced length by their handlers (evidence
        // 50 MB by default, registers 640 MB); the 1 MB default for collected bodies refused every upload over 1 MB.
        let info = req.route?.userInfo ?? [:]
        if info[RouteActionKey.streamedKey] as? Bool == true { return nil }
        if let limit = info[RouteActionKey.bodyLimitKey] as? Int { return limit }
        if info[RouteActionKey.key] == nil {
            guard let type = req.headers.contentType, type == .json || type == .urlEncodedForm else { return nil }
        }
        return req.application.routes.defaultMaxBodySize.value
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(max(1, bytes >> 10)) KB"
    }
}
