import Fluent
import Vapor
import YingshangCore

/// Who acts, on which database, at what time — what a service needs from a request. Controllers build it with
/// `req.caller()`; the CLI, jobs and tests build it with `app.caller(user)`, so services never see a `Request`.
struct Caller: Sendable {
    let user: User
    let role: Role
    /// The regions the account reaches (issue 21); unrestricted for the CLI and jobs unless given.
    let scope: RegionScope
    let db: any Database
    let clock: AppClock
    /// The client address for the audit log; nil outside a request.
    let ip: String?
    /// Bcrypt on the thread pool, for the services that set passwords.
    let passwords: AsyncPasswordHasher
    /// Caches a change must clear (the public page after a publication).
    let pageCaches: PageCaches

    /// The same caller on another database handle (inside a transaction).
    func on(_ db: any Database) -> Caller {
        Caller(
            user: user, role: role, scope: scope, db: db, clock: clock, ip: ip, passwords: passwords, pageCaches: pageCaches)
    }
}

extension Request {
    /// The signed-in user as a service's caller (401 without one, 403 without a role).
    func caller() throws -> Caller {
        Caller(
            user: try currentUser(), role: try currentRole(), scope: resolvedRegionScope, db: db, clock: clock, ip: AuditLog.clientIP(self),
            passwords: password.async, pageCaches: application.pageCaches)
    }
}

extension Application {
    /// A caller outside any request: the CLI, jobs and tests acting as `user`.
    func caller(_ user: User, scope: RegionScope = .unrestricted) throws -> Caller {
        guard let role = user.userRole else { throw AppError.forbidden() }
        return Caller(
            user: user, role: role, scope: scope, db: db, clock: clock, ip: nil, passwords: password.async, pageCaches: pageCaches)
    }
}
