import Fluent
import Vapor
import YingshangCore

/// CSRF protection for every web form post. A signed-in user's token lives in the session (synchroniser token);
/// a visitor without a session (the login page, an enterprise's survey) gets a double-submit cookie instead, so
/// that looking at a page never writes a session row (a session is made only once something must be remembered).
enum CSRF {
    static let sessionKey = "csrf"
    static let fieldName = "_csrf"

    /// `__Host-` binds the cookie to this host over HTTPS (no subdomain can plant one); plain HTTP is for local demos.
    static func cookieName(secure: Bool) -> String { secure ? "__Host-yingshang_csrf" : "yingshang_csrf" }

    static func token(for req: Request) -> String {
        if req.hasSession {
            if let existing = req.session.data[sessionKey] { return existing }
            let token = Base64URL.randomToken()
            req.session.data[sessionKey] = token
            return token
        }
        if let issued = req.storage[IssuedCookieToken.self] { return issued }
        if let existing = req.cookies[cookieName(secure: req.application.settings.secureCookies)]?.string, existing.count == 43 {
            return existing
        }
        let token = Base64URL.randomToken()
        req.storage[IssuedCookieToken.self] = token
        return token
    }

    /// What a post must carry: the session's token, else the visitor's cookie.
    static func expected(for req: Request) -> String? {
        if req.hasSession, let t = req.session.data[sessionKey] { return t }
        return req.cookies[cookieName(secure: req.application.settings.secureCookies)]?.string
    }

    struct IssuedCookieToken: StorageKey { typealias Value = String }
}

/// Sets the visitor's CSRF cookie when a page issued one (see `CSRF.token`).
struct CSRFCookieMiddleware: Middleware {
    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: req).map { res in Self.setCookie(req, res) }
    }

    private static func setCookie(_ req: Request, _ res: Response) -> Response {
        if let token = req.storage[CSRF.IssuedCookieToken.self] {
            let secure = req.application.settings.secureCookies
            res.cookies[CSRF.cookieName(secure: secure)] = HTTPCookies.Value(
                string: token, expires: nil, maxAge: nil, domain: nil, path: "/", isSecure: secure, isHTTPOnly: true,
                sameSite: .strict)
        }
        return res
    }
}

struct CSRFMiddleware: Middleware {
    /// The most body this route accepts; the token is read from the body, so it is collected here first — up to
    /// the route's own limit (the application's 1 MB by default). A smaller cap here made a form within the limit,
    /// e.g. a best practice of three 5,000-character fields (~135 KB URL-encoded), fail with a bare 413.
    var maxBody: Int? = nil
    /// Streamed uploads carry the token in the `X-CSRF-Token` header; their body must not be collected.
    var headerOnly = false

    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard req.method != .GET && req.method != .HEAD else { return next.respond(to: req) }
        if headerOnly { return Self.check(req, sent: req.headers.first(name: "X-CSRF-Token"), next) }
        return req.body.collect(max: maxBody ?? req.application.routes.defaultMaxBodySize.value).flatMap { _ in
            Self.check(req, sent: (try? req.content.get(String.self, at: CSRF.fieldName)) ?? req.headers.first(name: "X-CSRF-Token"), next)
        }
    }

    private static func check(_ req: Request, sent: String?, _ next: any Responder) -> EventLoopFuture<Response> {
        guard let expected = CSRF.expected(for: req), let sent, constantTimeEquals(Array(expected.utf8), Array(sent.utf8)) else {
            return req.eventLoop.makeFailedFuture(AppError(
                status: .forbidden, code: "csrf_failed", message: "页面已过期或表单校验失败，请刷新页面后重新提交"))
        }
        return next.respond(to: req)
    }

    private static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// The session store, writing only when there is something to keep: a session that would hold nothing is never
/// created, and one whose data did not change during the request is not rewritten. (Vapor's middleware saves the
/// session of every request that has one, and creates one for every request that merely looked.)
struct SparseSessionDriver: SessionDriver {
    let inner: any SessionDriver
    /// Reads a stored session's data by key (the row `inner` writes), or nil when there is none: given by the
    /// application, which reads the signed-in account in the same statement (`SignedInRead`).
    let read: @Sendable (_ key: String, _ request: Request) -> EventLoopFuture<SessionData?>

    private struct ReadData: StorageKey { typealias Value = SessionData }

    func createSession(_ data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        if data.snapshot.isEmpty {
            // Nothing to remember: an id that names no row (the next request finds none and starts empty again).
            return request.eventLoop.makeSucceededFuture(SessionID(string: Base64URL.randomToken()))
        }
        var stamped = data
        if stamped["createdAt"] == nil { stamped["createdAt"] = String(request.clock.now().timeIntervalSince1970) }
        return inner.createSession(stamped, for: request)
    }

    /// Read with one SQL statement (`read`): every signed-in request reads its session, and Fluent's model decoding
    /// made that read cost three times a trivial route.
    func readSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<SessionData?> {
        // Our ids are 43 characters; a forged long cookie is not looked up.
        guard sessionID.string.utf8.count <= 128 else { return request.eventLoop.makeSucceededFuture(nil) }
        return read(sessionID.string, request).map { data in
            if let data { request.storage[ReadData.self] = data }
            return data
        }
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        if let read = request.storage[ReadData.self], read == data { return request.eventLoop.makeSucceededFuture(sessionID) }
        return inner.updateSession(sessionID, to: data, for: request)
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<Void> {
        inner.deleteSession(sessionID, for: request)
    }
}

/// Deletes stored sessions that can no longer be used (`SessionPolicy.isSweepable`), a page of rows at a time.
enum SessionSweeper {
    static func sweep(on db: any Database, policy: SessionPolicy, now: Date) async throws -> Int {
        var removed = 0
        var after: UUID?
        while true {
            var q = SessionRecord.query(on: db).sort(\.$id).limit(1000)
            if let after { q = q.filter(\.$id > after) }
            let page = try await q.all()
            guard let last = page.last?.id else { break }
            after = last
            let dead = page.filter { policy.isSweepable($0.data.snapshot, now: now) }.compactMap(\.id)
            if !dead.isEmpty {
                try await SessionRecord.query(on: db).filter(\.$id ~~ dead).delete()
                removed += dead.count
            }
            if page.count < 1000 { break }
        }
        return removed
    }

    /// Every `YINGSHANG_SWEEP_SECONDS` (default 10 minutes), once across all instances (`ScheduledWork`).
    static func start(app: Application) -> Task<Void, Never> {
        let logger = app.logger
        let fallback = app.settings.sessionPolicy
        return ScheduledWork.every(app.settings.sweepSeconds, name: "session-sweep", app: app) { db, now in
            let policy = (try? await SecurityPolicyService.current(app, on: db).session) ?? fallback
            let n = try await sweep(on: db, policy: policy, now: now)
            if n > 0 { logger.notice("removed \(n) expired sessions") }
        }
    }
}

