import Foundation

/// Minimum password rules: at least 8 characters with a letter and a digit, and not the username.
public enum PasswordPolicy {
    public static let minimumLength = 8

    /// The form a password is hashed and checked in: Unicode NFKC, so a full-width "Ａ１" typed by a Chinese input
    /// method and the ASCII "A1" are the same password (RFC 8265's OpaqueString profile normalises likewise).
    public static func normalized(_ password: String) -> String {
        password.precomposedStringWithCompatibilityMapping
    }

    public static func problems(password raw: String, username: String?) -> [String] {
        var problems: [String] = []
        if raw.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.append("密码不能包含控制字符（如换行、制表符）")
        }
        let password = normalized(raw)
        if password.count < minimumLength { problems.append("密码至少 \(minimumLength) 位") }
        if password.count > 72 { problems.append("密码不能超过 72 位") }
        if !password.contains(where: { $0.isLetter }) || !password.contains(where: { $0.isNumber }) {
            problems.append("密码须同时包含字母和数字")
        }
        if let username, !username.isEmpty, password.lowercased() == username.lowercased() {
            problems.append("密码不能与用户名相同")
        }
        return problems
    }
}

/// Login lockout: 5 failed attempts lock the account for 15 minutes.
public enum LoginLockout {
    public static let maxFailures = 5
    public static let lockDuration: TimeInterval = 15 * 60

    public struct State: Equatable, Sendable {
        public var failedCount: Int
        public var lockedUntil: Date?
        public init(failedCount: Int, lockedUntil: Date?) {
            self.failedCount = failedCount
            self.lockedUntil = lockedUntil
        }
    }

    public static func isLocked(_ state: State, now: Date) -> Bool {
        if let until = state.lockedUntil, until > now { return true }
        return false
    }

    /// The state after a failed attempt; the fifth failure in a row starts the lock.
    public static func afterFailure(_ state: State, now: Date) -> State {
        // An expired lock starts a fresh count.
        var count = state.failedCount
        if let until = state.lockedUntil, until <= now { count = 0 }
        count += 1
        if count >= maxFailures {
            return State(failedCount: count, lockedUntil: now.addingTimeInterval(lockDuration))
        }
        return State(failedCount: count, lockedUntil: nil)
    }

    public static func afterSuccess() -> State { State(failedCount: 0, lockedUntil: nil) }

    /// Whole minutes left, rounded up, for the message on the login page.
    public static func minutesLeft(_ state: State, now: Date) -> Int {
        guard let until = state.lockedUntil, until > now else { return 0 }
        return Int((until.timeIntervalSince(now) / 60).rounded(.up))
    }
}

/// Usernames: 3–32 of lowercase letters, digits, '_', '.', '-'; starting with a letter.
public enum UsernameRules {
    public static func problem(_ username: String) -> String? {
        let ok = username.count >= 3 && username.count <= 32
            && username.first.map { $0.isASCII && $0.isLowercase } == true
            && username.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || "_.-".contains($0) }
        return ok ? nil : "用户名须为 3–32 位小写字母、数字、_ . -，以字母开头"
    }
}
