import Fluent
import FluentSQL
import PostgresKit
import Vapor
import YingshangCore

/// Logs in the user whose id the session holds (web pages).
///
/// A future chain, not an async middleware: with the policy cached and the account read with the session (the usual
/// case), signing in is plain work on the request's event loop, without a hop to Swift's pool and back.
struct SessionUserAuthenticator: Middleware {
    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // Only a request that brought a session cookie can be signed in; asking `req.session` would make one.
        guard req.hasSession, let raw = req.session.data["userID"], let id = UUID(uuidString: raw) else { return next.respond(to: req) }
        if let policy = SecurityPolicyService.cached(req.application), let account = SignedInRead.account(id, of: req) {
            Self.signIn(req, account.user, policy: policy.session)
            return next.respond(to: req)
        }
        return req.eventLoop.makeFutureWithTask {
            let policy = try await SecurityPolicyService.current(req.application, on: req.db).session
            let user = try await SignedInRead.user(id, of: req)
            Self.signIn(req, user, policy: policy)
        }.flatMap { next.respond(to: req) }
    }

    /// Logs in `user` (the session's account, nil if it no longer exists) unless the session has expired, which ends it.
    private static func signIn(_ req: Request, _ user: User?, policy: SessionPolicy) {
        let now = req.clock.now()
        let started = req.session.data["startedAt"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) ?? now
        let seen = req.session.data["seenAt"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) ?? now
        if policy.isExpired(startedAt: started, lastSeen: seen, now: now) {
            // Ended server-side: the sign-in is wiped from the stored session (only the reason stays for the
            // login page), and the browser is sent to sign in again.
            req.session.data = SessionData()
            req.session.data["flash"] = "error|长时间未操作或登录时间过长，已自动退出，请重新登录"
        } else if let user, user.isActive {
            req.auth.login(user)
            if req.session.data["startedAt"] == nil { req.session.data["startedAt"] = String(now.timeIntervalSince1970) }
            if req.session.data["seenAt"] == nil || policy.needsTouch(lastSeen: seen, now: now) {
                req.session.data["seenAt"] = String(now.timeIntervalSince1970)
            }
        }
    }
}

/// Logs in the user owning a valid `Authorization: Bearer` token (API): one statement, on the event loop on SQLite.
struct BearerUserAuthenticator: Middleware {
    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard let bearer = req.headers.bearerAuthorization else { return next.respond(to: req) }
        return SignedInRead.bearer(hash: APIToken.hash(bearer.token), for: req).flatMap { found in
            if let found, found.user.isActive {
                req.auth.login(found.user)
                req.storage[BearerTokenKey.self] = found.token
            }
            return next.respond(to: req)
        }
    }
}

/// The id of the token that signed this request in (logout revokes it).
struct BearerTokenKey: StorageKey { typealias Value = UUID }

extension User {
    /// The account a session names, read with one SQL statement and decoded into a tracked model (as `find` would
    /// give, so a later `save` updates it): every signed-in page starts here, and Fluent's query building was a
    /// fifth of a page's time.
    static func signedIn(_ id: UUID, on db: any Database) async throws -> User? {
        if let rows = try await PreparedStatements.rows(ByID(id: id), on: db) { return try rows.first?.decode(fluentModel: User.self) }
        guard let sql = db as? any SQLDatabase else { return try await User.find(id, on: db) }
        return try await sql.raw("SELECT * FROM \(ident: User.schema) WHERE id = \(bind: id)").first()?.decode(fluentModel: User.self)
    }

    private struct ByID: PreparedRead {
        static let name = "yingshang_user_by_id"
        static let sql = "SELECT \(PreparedStatements.columns(of: User.self, alias: "u")) FROM \(User.schema) u WHERE u.id = $1"
        let id: UUID
        func makeBindings() throws -> PostgresBindings { try .of(id) }
    }
}

/// Refuses a request whose user may not perform `action`: 401 (API) or a redirect to login (web) without a user,
/// 403 with a wrong role.
///
/// A future chain: when the account's region scope is known without a read (an unbound account, or resolved before),
/// the check is plain work on the event loop.
struct RequireAction: Middleware {
    let action: Action
    let api: Bool

    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard let user = req.auth.get(User.self) else {
            if api { return req.eventLoop.makeFailedFuture(AppError.unauthorized()) }
            let target = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
            return req.eventLoop.makeSucceededFuture(
                req.redirect(to: "/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")))
        }
        guard let role = user.userRole, Permissions.allows(role, action) else {
            return req.eventLoop.makeFailedFuture(AppError.forbidden())
        }
        if req.knownRegionScope() != nil { return next.respond(to: req) }
        return req.eventLoop.makeFutureWithTask { _ = try await req.regionScope() }.flatMap { next.respond(to: req) }
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

/// The session row, the account it names, that account's bound regions and what the page layout shows of it (its
/// unit's name, its unread count, the audit revision) read in one statement: every signed-in request needs the first
/// three and every signed-in page the rest, and each statement was a round trip of its own on PostgreSQL and a hop to
/// SQLite's thread and back (docs/benchmarks.md, sessions 24 and 30).
/// The account is only a prefetch: `SessionUserAuthenticator` still checks it is the session's and active, and a
/// request whose prefetch is missing or names another account reads as before.
enum SignedInRead {
    struct Account: Sendable {
        let user: User
        /// The regions the account is bound to (`RegionScopes.scope`); empty: unrestricted.
        let boundRegions: [String]
        /// What the page layout shows, read with a session (nil for an API token).
        let layout: LayoutRead?
    }

    /// The layout's line about the account, as read with the session (`Request.layout`).
    struct LayoutRead: Sendable {
        let unitName: String
        let unread: Int
        let revision: Int
    }

    private struct Prefetched: StorageKey { typealias Value = Account }

    /// The session's data, keeping the account (if the row names one that exists) for the rest of the request.
    ///
    /// A future: on SQLite the statement goes from the request's event loop to SQLite's thread and back, without
    /// a hop to Swift's pool (PostgreSQL's prepared statements are async only, so that path takes one).
    static func session(key: String, for req: Request) -> EventLoopFuture<SessionData?> {
        PreparedStatements.rows(PostgresStatement(key: key), on: req.db, eventLoop: req.eventLoop) { sql in
            sql.raw("""
                SELECT s.data AS yingshang_session_data,
                (SELECT group_concat(r.region_id, ',') FROM \(ident: UserRegion.schema) r WHERE r.user_id = u.id) AS yingshang_bound_regions,
                (SELECT name FROM \(ident: Unit.schema) n WHERE n.id = u.unit_id) AS yingshang_unit_name,
                (SELECT COUNT(*) FROM \(ident: InAppNotification.schema) m WHERE m.user_id = u.id AND m.read_at IS NULL) AS yingshang_unread,
                \(AuditLog.revisionExpression) AS yingshang_revision,
                \(unsafeRaw: PreparedStatements.columns(of: User.self, alias: "u"))
                FROM \(ident: SessionRecord.schema) s
                LEFT JOIN \(ident: User.schema) u ON u.id = (CASE WHEN json_valid(s.data) THEN json_extract(s.data, '$.userID') END)
                WHERE s.\(ident: "key") = \(bind: key)
                """)
        }.flatMapThrowing { rows in
            guard let row = rows.first else { return nil }
            let data = try row.decode(column: "yingshang_session_data", as: SessionData.self)
            if try !row.decodeNil(column: "id"), let bound = try boundRegions(row) {
                let layout = LayoutRead(
                    unitName: try row.decode(column: "yingshang_unit_name", as: String?.self) ?? "",
                    unread: try row.decode(column: "yingshang_unread", as: Int.self),
                    revision: try row.decode(column: "yingshang_revision", as: Int.self))
                req.storage[Prefetched.self] = Account(user: try row.decode(fluentModel: User.self), boundRegions: bound, layout: layout)
            }
            return data
        }
    }

    /// The account of an unexpired API token with this hash and its bound regions, in one statement (every API call
    /// starts here; it was three: the token, the account, the regions). Returns the token's id.
    static func bearer(hash: String, for req: Request) -> EventLoopFuture<(token: UUID, user: User)?> {
        PreparedStatements.rows(PostgresBearerStatement(hash: hash), on: req.db, eventLoop: req.eventLoop) { sql in
            sql.raw("""
                SELECT t.id AS yingshang_token_id, t.expires_at AS yingshang_token_expires_at,
                (SELECT group_concat(r.region_id, ',') FROM \(ident: UserRegion.schema) r WHERE r.user_id = u.id) AS yingshang_bound_regions,
                \(unsafeRaw: PreparedStatements.columns(of: User.self, alias: "u"))
                FROM \(ident: APIToken.schema) t JOIN \(ident: User.schema) u ON u.id = t.user_id
                WHERE t.token_hash = \(bind: hash)
                """)
        }.flatMapThrowing { rows in
            guard let row = rows.first, try row.decode(column: "yingshang_token_expires_at", as: Date.self) > req.clock.now() else { return nil }
            let user = try row.decode(fluentModel: User.self)
            if let bound = try boundRegions(row) { req.storage[Prefetched.self] = Account(user: user, boundRegions: bound, layout: nil) }
            return (try row.decode(column: "yingshang_token_id", as: UUID.self), user)
        }
    }

    /// The account's bound regions as read with it; nil when an id does not read back (an empty list would mean
    /// unrestricted): then there is no prefetch and the scope is read as before.
    private static func boundRegions(_ row: any SQLRow) throws -> [String]? {
        let listed = (try row.decode(column: "yingshang_bound_regions", as: String?.self) ?? "").split(separator: ",")
        let bound = listed.compactMap { UUID(uuidString: String($0))?.uuidString }
        return bound.count == listed.count ? bound : nil
    }

    /// `bearer` on PostgreSQL, prepared once per connection.
    private struct PostgresBearerStatement: PreparedRead {
        static let name = "yingshang_bearer_read"
        static let sql = """
            SELECT t.id AS yingshang_token_id, t.expires_at AS yingshang_token_expires_at,
            (SELECT string_agg(CAST(r.region_id AS text), ',') FROM \(UserRegion.schema) r WHERE r.user_id = u.id) AS yingshang_bound_regions,
            \(PreparedStatements.columns(of: User.self, alias: "u"))
            FROM \(APIToken.schema) t JOIN \(User.schema) u ON u.id = t.user_id
            WHERE t.token_hash = $1
            """
        let hash: String
        func makeBindings() throws -> PostgresBindings { try .of(hash) }
    }

    /// The same read on PostgreSQL, prepared once per connection. The id is cast only when it has a UUID's form, so
    /// a damaged session reads as signed out instead of failing.
    private struct PostgresStatement: PreparedRead {
        static let name = "yingshang_signed_in_read"
        static let sql = """
            SELECT s.data AS yingshang_session_data,
            (SELECT string_agg(CAST(r.region_id AS text), ',') FROM \(UserRegion.schema) r WHERE r.user_id = u.id) AS yingshang_bound_regions,
            (SELECT name FROM \(Unit.schema) n WHERE n.id = u.unit_id) AS yingshang_unit_name,
            (SELECT COUNT(*) FROM \(InAppNotification.schema) m WHERE m.user_id = u.id AND m.read_at IS NULL) AS yingshang_unread,
            \(AuditLog.revisionSQL) AS yingshang_revision,
            \(PreparedStatements.columns(of: User.self, alias: "u"))
            FROM \(SessionRecord.schema) s LEFT JOIN \(User.schema) u ON u.id = (CASE
                WHEN s.data->>'userID' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN CAST(s.data->>'userID' AS uuid) END)
            WHERE s."key" = $1
            """
        let key: String
        func makeBindings() throws -> PostgresBindings { try .of(key) }
    }

    /// The account `id`: the prefetched one when it is that, or read now.
    static func user(_ id: UUID, of req: Request) async throws -> User? {
        if let account = account(id, of: req) { return account.user }
        return try await User.signedIn(id, on: req.db)
    }

    /// The prefetched account when it is `id`'s.
    static func account(_ id: UUID, of req: Request) -> Account? {
        guard let account = req.storage[Prefetched.self], account.user.id == id else { return nil }
        return account
    }
}
