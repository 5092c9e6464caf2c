import Foundation

/// Sensitive changes ask for the password again when the last sign-in or confirmation is older than the window
/// (等保 2.0 身份鉴别: 重要操作再次鉴别). A session left open on an office computer cannot be used to create an
/// administrator or reset someone's password.
public enum Reauthentication {
    public static let window: TimeInterval = 10 * 60

    /// Account administration (creating, changing, disabling users, password resets), granting roles and the
    /// security policy.
    public static let sensitive: Set<Action> = [.manageUsers, .assignRoles, .manageSecurityPolicy]

    public static func isRequired(for action: Action, authenticatedAt: Date?, now: Date) -> Bool {
        guard sensitive.contains(action) else { return false }
        return isStale(authenticatedAt: authenticatedAt, now: now)
    }

    /// Whether the last sign-in or confirmation is too old (also asked before downloads of personal data).
    public static func isStale(authenticatedAt: Date?, now: Date) -> Bool {
        guard let at = authenticatedAt else { return true }
        return now.timeIntervalSince(at) > window || at > now
    }

    /// Where to go after confirming: only a path on this site (never "//host" or a full URL).
    public static func safeNext(_ raw: String?) -> String? {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), raw.count <= 2000,
            !raw.contains(where: { $0.isNewline })
        else { return nil }
        return raw
    }
}
