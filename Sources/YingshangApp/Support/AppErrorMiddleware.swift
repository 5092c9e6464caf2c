import Fluent
import Vapor
import YingshangCore

/// Turns every error into `{"error":{code,message,fields}}` under /api and into a Chinese error page elsewhere.
struct AppErrorMiddleware: Middleware {
    let environment: Environment

    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // A future chain, not an async middleware: an answer passes through without a hop to Swift's thread pool and
        // back (each async middleware costs one per request); only an error takes the async path to be rendered.
        next.respond(to: req).flatMapError { error in
            let promise = req.eventLoop.makePromise(of: Response.self)
            promise.completeWithTask { try await self.respond(to: req, failedWith: error) }
            return promise.futureResult
        }
    }

    private func respond(to req: Request, failedWith error: any Error) async throws -> Response {
        let response = try await errorResponse(req, error)
        // 等保: refusals of a signed-in user are audited (who tried what); anonymous 401s are not, they would let
        // anyone fill the log.
        if response.status == .forbidden, let user = req.auth.get(User.self) {
            let path = String(req.url.path.prefix(200))
            let key = "\(user.id?.uuidString ?? user.username) \(req.method.rawValue) \(path)"
            // The same refusal repeated within a minute is written once (RefusalThrottle says why).
            if let suppressed = req.application.refusalThrottle.admit(key, at: req.clock.now()) {
                var after = ["method": req.method.rawValue, "path": path]
                if suppressed > 0 { after["repeatedSinceLastEntry"] = String(suppressed) }
                try? await AuditLog.record(
                    on: req.db, req: req, actor: user, action: "permission_denied", entityType: "route", entityID: nil,
                    before: noSnapshot, after: after)
            }
        }
        if let e = error as? AppError { for (name, value) in e.headers { response.headers.replaceOrAdd(name: name, value: value) } }
        // A refused request may have left part of its body unread (a name, size or permission refused before
        // the upload was read): the connection is closed after the answer instead of being reused with those
        // bytes still in it, which stalled the browser's next request on it.
        if req.method != .GET && req.method != .HEAD {
            response.headers.replaceOrAdd(name: .connection, value: "close")
        }
        return response
    }

    private func errorResponse(_ req: Request, _ error: any Error) async throws -> Response {
        let (status, code, message, fields) = describe(error)
        if status.code >= 500 {
            req.logger.report(error: error)
        }
        // Page scripts (uploads) ask for JSON so they can show the reason beside the field.
        let wantsJSON = req.headers[.accept].contains { $0.contains("application/json") && !$0.contains("text/html") }
        if req.url.path.hasPrefix("/api/") || wantsJSON {
            let response = Response(status: status)
            try response.content.encode(ErrorBody(error: .init(code: code, message: message, fields: fields)), as: .json)
            return response
        }
        return try await errorPage(req, status: status, message: message, fields: fields)
    }

    private func describe(_ error: any Error) -> (HTTPResponseStatus, String, String, [String: String]?) {
        switch error {
        case let e as AppError:
            return (e.status, e.code, e.message, e.fields)
        case let e as WorkCalendar.MissingYear:
            return (.conflict, "calendar_missing", e.description, nil)
        case let e as any DatabaseError where e.isConstraintFailure:
            // A delete of a record others still point to, or a duplicate: the transaction rolled back.
            return (.conflict, "conflict", "该记录仍被其他记录引用或与已有记录重复，未作修改", nil)
        case let e as DecodingError:
            return (.unprocessableEntity, "invalid_body", "请求内容格式错误：\(Self.describe(e))", nil)
        case let e as any AbortError:
            switch e.status {
            case .notFound: return (.notFound, "not_found", "页面或记录不存在", nil)
            case .unauthorized: return (.unauthorized, "unauthorized", "请先登录", nil)
            case .forbidden: return (.forbidden, "forbidden", "您没有权限执行此操作", nil)
            case .payloadTooLarge: return (.payloadTooLarge, "too_large", "提交的内容过大", nil)
            case .unsupportedMediaType:
                return (.unsupportedMediaType, "unsupported_media_type", "不支持的内容类型", nil)
            case .badRequest, .unprocessableEntity:
                return (.unprocessableEntity, "invalid_body", "请求内容格式错误：\(e.reason)", nil)
            default:
                // Internal reasons (template or driver errors) are logged, not shown.
                if e.status.code >= 500 {
                    return (e.status, "internal_error", "服务器内部错误，请稍后重试或联系管理员", nil)
                }
                return (e.status, "error", e.reason, nil)
            }
        default:
            return (.internalServerError, "internal_error", "服务器内部错误，请稍后重试或联系管理员", nil)
        }
    }

    /// Names the offending field of a JSON body in Chinese.
    static func describe(_ e: DecodingError) -> String {
        func path(_ ctx: DecodingError.Context) -> String {
            ctx.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch e {
        case .typeMismatch(_, let ctx): return "字段“\(path(ctx))”类型不正确"
        case .valueNotFound(_, let ctx): return "字段“\(path(ctx))”不能为空"
        case .keyNotFound(let key, _): return "缺少字段“\(key.stringValue)”"
        case .dataCorrupted(let ctx): return ctx.codingPath.isEmpty ? "不是有效的 JSON" : "字段“\(path(ctx))”格式不正确"
        @unknown default: return "无法解析"
        }
    }

    /// Web pages that do not re-render their form still show which field was wrong.
    private func errorPage(_ req: Request, status: HTTPResponseStatus, message: String, fields: [String: String]?) async throws
        -> Response
    {
        struct ErrorPageBody: Encodable {
            let status: UInt
            let heading: String
            let message: String
            let details: [String]
            let back: String?
        }
        let heading: String
        switch status {
        case .notFound: heading = "页面不存在"
        case .forbidden: heading = "没有权限"
        case .unauthorized: heading = "请先登录"
        case .internalServerError: heading = "服务器出错了"
        default: heading = "请求无法完成"
        }
        do {
            let view = try await req.render(
                "errors/error", title: "\(status.code) \(heading)",
                ErrorPageBody(
                    status: status.code, heading: heading, message: message,
                    details: (fields ?? [:]).sorted { $0.key < $1.key }.map(\.value),
                    back: req.headers.first(name: .referer).flatMap { URL(string: $0)?.path }))
            let response = try await view.encodeResponse(for: req)
            response.status = status
            return response
        } catch {
            // The error page itself failed (e.g. the database is down): plain text is better than nothing.
            let response = Response(status: status, body: .init(string: "\(status.code) \(heading)：\(message)"))
            response.headers.contentType = .plainText
            return response
        }
    }
}

/// One refusal throttle per instance, shared by all requests.
final class SharedRefusalThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private var throttle = RefusalThrottle()

    func admit(_ key: String, at now: Date) -> Int? {
        lock.withLock { throttle.admit(key, at: now) }
    }

    struct Key: StorageKey { typealias Value = SharedRefusalThrottle }
}

extension Application {
    /// Set once in `configure` (never lazily from concurrent requests); a bare Application gets a fresh one per use.
    var refusalThrottle: SharedRefusalThrottle {
        storage[SharedRefusalThrottle.Key.self] ?? SharedRefusalThrottle()
    }
}
