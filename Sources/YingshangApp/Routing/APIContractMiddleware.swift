import Vapor

/// What the OpenAPI document promises about requests that match no operation or carry bad paging:
/// a method the path does not take answers 405 with `Allow` (not 404), and `page`/`per` under /api must be
/// positive integers (`per` at most 200, `page` at most a million) or the request is refused with 422 instead of silently defaulted.
struct APIContractMiddleware: Middleware {
    static let maxPer = 200
    static let maxPage = 1_000_000

    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if req.url.path.hasPrefix("/api/") {
            if let problems = Self.pagingProblems(req.url.query), !problems.isEmpty {
                return req.eventLoop.makeFailedFuture(AppError.invalid(problems))
            }
        }
        return next.respond(to: req).flatMapErrorThrowing { error in
            guard let abort = error as? any AbortError, abort.status == .notFound, req.route == nil else { throw error }
            let allowed = Self.methods(for: req.url.path, in: req.application.routes.all)
            guard !allowed.isEmpty, !allowed.contains(req.method.rawValue) else { throw error }
            let names = allowed.sorted().joined(separator: ", ")
            throw AppError(status: .methodNotAllowed, code: "method_not_allowed", message: "此地址不支持 \(req.method.rawValue) 请求（可用：\(names)）",
                           headers: ["Allow": names])
        }
    }

    /// Field → problem for `page` and `per` in a raw query string (every occurrence is checked).
    static func pagingProblems(_ query: String?) -> [String: String]? {
        guard let query, !query.isEmpty else { return nil }
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = kv.first.map(String.init), key == "page" || key == "per" else { continue }
            let raw = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? "") : ""
            let upper = key == "per" ? maxPer : maxPage
            if let n = Int(raw), (1...upper).contains(n) { continue }
            out[key] = key == "per" ? "per 应为 1–\(maxPer) 的整数" : "page 应为 1–\(maxPage) 的整数"
        }
        return out
    }

    /// The methods registered for a concrete path (parameters match any segment).
    static func methods(for path: String, in routes: [Route]) -> Set<String> {
        let parts = path.split(separator: "/").map(String.init)
        var found = Set<String>()
        for route in routes where route.path.count == parts.count {
            let matches = zip(route.path, parts).allSatisfy { component, part in
                switch component {
                case .constant(let c): return c == part
                case .parameter: return true
                case .anything, .catchall: return true
                }
            }
            if matches { found.insert(route.method.rawValue) }
        }
        return found
    }
}
