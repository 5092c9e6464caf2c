import Fluent
import NIOConcurrencyHelpers
import Vapor
import YingshangCore

/// The security policy the security administrator set (one row; none until first saved: the start-up settings apply).
final class SecurityPolicyRecord: Model, @unchecked Sendable {
    static let schema = "security_policies"

    @ID(key: .id) var id: UUID?
    @Field(key: "idle_minutes") var idleMinutes: Int
    @Field(key: "max_session_hours") var maxSessionHours: Int
    @Field(key: "max_failures") var maxFailures: Int
    @Field(key: "lock_minutes") var lockMinutes: Int
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var policy: SecurityPolicy {
        SecurityPolicy(idleMinutes: idleMinutes, maxSessionHours: maxSessionHours, maxFailures: maxFailures, lockMinutes: lockMinutes)
    }
}

struct CreateSecurityPolicy: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(SecurityPolicyRecord.schema)
            .id()
            .field("idle_minutes", .int, .required)
            .field("max_session_hours", .int, .required)
            .field("max_failures", .int, .required)
            .field("lock_minutes", .int, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SecurityPolicyRecord.schema).delete()
    }
}

/// Reads the policy in force, cached per application for a short time (several instances pick up a change within
/// `ttl`; the instance that saved it at once).
enum SecurityPolicyService {
    static let ttl: TimeInterval = 30

    /// A lock, not an actor: every signed-in request reads it, and a hit is read on the request's event loop.
    final class Cache: Sendable {
        struct Key: StorageKey { typealias Value = Cache }
        private let value = NIOLockedValueBox<(policy: SecurityPolicy, at: Date)?>(nil)
        func get(now: Date) -> SecurityPolicy? {
            value.withLockedValue { $0.flatMap { now.timeIntervalSince($0.at) < SecurityPolicyService.ttl ? $0.policy : nil } }
        }
        func put(_ policy: SecurityPolicy, now: Date) { value.withLockedValue { $0 = (policy, now) } }
        func clear() { value.withLockedValue { $0 = nil } }
    }

    /// The policy when this instance has it cached (no database read).
    static func cached(_ app: Application) -> SecurityPolicy? {
        app.storage[Cache.Key.self]?.get(now: app.clock.now())
    }

    /// The start-up settings (YINGSHANG_SESSION_IDLE_MINUTES, …) until the security administrator saves a policy.
    static func fallback(_ app: Application) -> SecurityPolicy {
        let s = app.settings.sessionPolicy
        return SecurityPolicy(
            idleMinutes: max(1, Int(s.idle / 60)), maxSessionHours: max(1, Int(s.absolute / 3600)),
            maxFailures: LoginLockout.maxFailures, lockMinutes: Int(LoginLockout.lockDuration / 60))
    }

    static func current(_ app: Application, on db: any Database) async throws -> SecurityPolicy {
        let now = app.clock.now()
        let cache = app.storage[Cache.Key.self]
        if let cached = cache?.get(now: now) { return cached }
        let policy = try await SecurityPolicyRecord.query(on: db).sort(\.$updatedAt, .descending).first()?.policy ?? fallback(app)
        cache?.put(policy, now: now)
        return policy
    }

    /// Saves the policy (audited) and clears this instance's cache so it takes effect here at once.
    static func save(_ policy: SecurityPolicy, previous before: SecurityPolicy, by caller: Caller, clearing cache: Cache?) async throws {
        let problems = policy.problems
        if !problems.isEmpty { throw AppError.invalid(problems) }
        try await caller.db.writeTransaction { db in
            let record = try await SecurityPolicyRecord.query(on: db).first() ?? SecurityPolicyRecord()
            record.idleMinutes = policy.idleMinutes
            record.maxSessionHours = policy.maxSessionHours
            record.maxFailures = policy.maxFailures
            record.lockMinutes = policy.lockMinutes
            record.updatedBy = caller.user.username
            record.updatedAt = caller.clock.now()
            try await record.save(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "security_policy", entityID: record.id, before: before, after: policy)
        }
        cache?.clear()
    }
}

/// `/security-policy`: the security administrator's page.
struct SecurityPolicyWebController {
    struct Form: Content {
        var idleMinutes: String?
        var maxSessionHours: String?
        var maxFailures: String?
        var lockMinutes: String?
    }

    struct Body: Encodable {
        let values: [String: String]
        let errors: [String: String]
        let ranges: [String: String]
    }

    func register(_ g: Guarded) {
        g.get("security-policy", action: .manageSecurityPolicy, use: show)
        g.post("security-policy", action: .manageSecurityPolicy, use: save)
    }

    private func page(_ req: Request, values: [String: String], errors: [String: String]) async throws -> View {
        func range(_ r: ClosedRange<Int>) -> String { "\(r.lowerBound)–\(r.upperBound)" }
        return try await req.render(
            "security/policy", title: "安全策略",
            Body(
                values: values, errors: errors,
                ranges: [
                    "idleMinutes": range(SecurityPolicy.idleRange), "maxSessionHours": range(SecurityPolicy.maxSessionRange),
                    "maxFailures": range(SecurityPolicy.maxFailuresRange), "lockMinutes": range(SecurityPolicy.lockRange),
                ]))
    }

    @Sendable func show(req: Request) async throws -> View {
        let p = try await SecurityPolicyService.current(req.application, on: req.db)
        return try await page(
            req,
            values: [
                "idleMinutes": String(p.idleMinutes), "maxSessionHours": String(p.maxSessionHours), "maxFailures": String(p.maxFailures),
                "lockMinutes": String(p.lockMinutes),
            ], errors: [:])
    }

    @Sendable func save(req: Request) async throws -> Response {
        let f = try req.content.decode(Form.self)
        let values = ["idleMinutes": f.idleMinutes ?? "", "maxSessionHours": f.maxSessionHours ?? "", "maxFailures": f.maxFailures ?? "",
                      "lockMinutes": f.lockMinutes ?? ""]
        var errors: [String: String] = [:]
        func int(_ key: String) -> Int {
            let t = (values[key] ?? "").trimmingCharacters(in: .whitespaces)
            guard let n = Int(t) else {
                errors[key] = "应为整数"
                return 0
            }
            return n
        }
        let policy = SecurityPolicy(
            idleMinutes: int("idleMinutes"), maxSessionHours: int("maxSessionHours"), maxFailures: int("maxFailures"),
            lockMinutes: int("lockMinutes"))
        return try await req.submitForm(
            successMessage: "已保存安全策略（各实例 \(Int(SecurityPolicyService.ttl)) 秒内生效）", redirectTo: "/security-policy",
            renderForm: { try await page(req, values: values, errors: $0) },
            write: {
                if !errors.isEmpty { throw AppError.invalid(errors.merging(policy.problems) { a, _ in a }) }
                try await SecurityPolicyService.save(
                    policy, previous: try await SecurityPolicyService.current(req.application, on: req.db), by: try req.caller(),
                    clearing: req.application.storage[SecurityPolicyService.Cache.Key.self])
            })
    }
}
