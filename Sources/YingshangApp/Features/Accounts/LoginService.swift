import Fluent
import Vapor
import YingshangCore

/// Password login shared by the web form and the API, with the 5-failure / 15-minute lockout.
enum LoginService {
    enum Outcome {
        case success(User)
        case invalid
        case locked(minutes: Int)
    }

    static func login(username rawUsername: String, password: String, req: Request, now: Date = Date()) async throws
        -> Outcome
    {
        let username = rawUsername.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await User.query(on: req.db).filter(\.$username == username).first(), user.isActive else {
            return .invalid
        }
        if LoginLockout.isLocked(user.lockState, now: now) {
            return .locked(minutes: LoginLockout.minutesLeft(user.lockState, now: now))
        }
        if try await req.password.async.verify(password, created: user.passwordHash) {
            user.lockState = LoginLockout.afterSuccess()
            user.lastLoginAt = now
            try await user.save(on: req.db)
            return .success(user)
        }
        user.lockState = LoginLockout.afterFailure(user.lockState, now: now)
        try await req.db.writeTransaction { db in
            try await user.save(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "login_failed", entityType: "user", entityID: user.id,
                before: noSnapshot, after: ["failedLogins": user.failedLogins])
        }
        if LoginLockout.isLocked(user.lockState, now: now) {
            return .locked(minutes: LoginLockout.minutesLeft(user.lockState, now: now))
        }
        return .invalid
    }

    static func message(for outcome: Outcome) -> String {
        switch outcome {
        case .success: return ""
        case .invalid: return "用户名或密码错误"
        case .locked(let minutes):
            return "连续 \(LoginLockout.maxFailures) 次密码错误，账户已锁定，请 \(minutes) 分钟后再试或联系管理员"
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
