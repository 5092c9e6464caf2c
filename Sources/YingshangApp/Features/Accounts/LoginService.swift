import Fluent
import SQLKit
import Vapor
import YingshangCore

/// Password login shared by the web form and the API, with the lockout of the security policy (default 5 failures, 15 minutes).
enum LoginService {
    enum Outcome {
        case success(User)
        case invalid
        case locked(minutes: Int, after: Int)
    }

    static func login(username rawUsername: String, password: String, req: Request, now: Date) async throws
        -> Outcome
    {
        let username = rawUsername.trimmingCharacters(in: .whitespaces).lowercased()
        let policy = try await SecurityPolicyService.current(req.application, on: req.db)
        guard let user = try await User.query(on: req.db).filter(\.$username == username).first(), user.isActive,
            let id = user.id
        else {
            return .invalid
        }
        // The attempt is counted in one conditional UPDATE before the (slow) password check, so parallel attempts
        // can never check more passwords than the policy allows: the sixth finds no row to update.
        guard let attempt = try await claimAttempt(id, maxFailures: policy.maxFailures, now: now, on: req.db) else {
            let state = try await User.find(id, on: req.db)?.lockState ?? user.lockState
            let minutes = LoginLockout.minutesLeft(state, now: now)
            return .locked(minutes: minutes > 0 ? minutes : policy.lockMinutes, after: policy.maxFailures)
        }
        if try await req.password.async.verify(PasswordPolicy.normalized(password), created: user.passwordHash) {
            try await req.db.writeTransaction { db in
                try await db.sql().update(User.schema)
                    .set("failed_logins", to: SQLBind(0)).set("locked_until", to: SQLLiteral.null)
                    .set("last_login_at", to: SQLBind(now))
                    .where("id", .equal, SQLBind(id)).run()
            }
            user.lockState = LoginLockout.afterSuccess()
            user.lastLoginAt = now
            return .success(user)
        }
        let locks = attempt >= policy.maxFailures
        let until = now.addingTimeInterval(policy.lockDuration)
        try await req.db.writeTransaction { db in
            if locks {
                try await db.sql().update(User.schema).set("locked_until", to: SQLBind(until))
                    .where("id", .equal, SQLBind(id)).run()
            }
            try await AuditLog.record(
                on: db, req: req, actor: user, action: locks ? "login_locked" : "login_failed", entityType: "user",
                entityID: id, before: noSnapshot, after: ["failedLogins": attempt])
        }
        if locks { return .locked(minutes: policy.lockMinutes, after: policy.maxFailures) }
        return .invalid
    }

    /// Counts one attempt unless the account is locked or already has `maxFailures` attempts counted; an expired
    /// lock starts a fresh count. Returns the attempt's number (1…maxFailures), nil when refused.
    private static func claimAttempt(_ id: UUID, maxFailures: Int, now: Date, on db: any Database) async throws -> Int? {
        try await db.writeTransaction { db in
            let sql = try db.sql()
            let row = try await sql.raw(
                """
                UPDATE users SET
                  failed_logins = CASE WHEN (locked_until IS NOT NULL AND locked_until <= \(bind: now)) THEN 1 ELSE failed_logins + 1 END,
                  locked_until = CASE WHEN (locked_until IS NOT NULL AND locked_until <= \(bind: now)) THEN NULL ELSE locked_until END
                WHERE id = \(bind: id)
                  AND ((locked_until IS NOT NULL AND locked_until <= \(bind: now)) OR (locked_until IS NULL AND failed_logins < \(literal: maxFailures)))
                RETURNING failed_logins
                """
            ).first()
            return try row?.decode(column: "failed_logins", as: Int.self)
        }
    }

    static func message(for outcome: Outcome) -> String {
        switch outcome {
        case .success: return ""
        case .invalid: return "用户名或密码错误"
        case .locked(let minutes, let after):
            return "连续 \(after) 次密码错误，账户已锁定，请 \(minutes) 分钟后再试或联系管理员"
        }
    }

    /// Checks a new password against the policy and the confirmation; returns field errors.
    static func newPasswordProblems(_ new: String, confirm: String?, username: String) -> [String: String] {
        var fields: [String: String] = [:]
        let problems = PasswordPolicy.problems(password: new, username: username)
        if !problems.isEmpty { fields["newPassword"] = problems.joined(separator: "；") }
        if let confirm, confirm != new { fields["confirmPassword"] = "两次输入的新密码不一致" }
        return fields
    }
}
