import Foundation
import Testing
@testable import YingshangCore

@Suite("Permissions table")
struct PermissionsTests {
    @Test("every role has a row and can see home and change its password", arguments: Role.allCases)
    func everyRoleBasics(role: Role) {
        #expect(Permissions.table[role] != nil)
        #expect(Permissions.allows(role, .viewHome))
        #expect(Permissions.allows(role, .changeOwnPassword))
    }

    @Test("三员分立: only the system administrator manages users, units and regions; only the security administrator grants roles and sets the policy; only the audit administrator reads the audit log")
    func threeAdministrators() {
        for action in [Action.manageUsers, .manageUnits, .manageRegions] {
            #expect(Permissions.roles(allowedTo: action) == [.admin])
        }
        #expect(Permissions.roles(allowedTo: .assignRoles) == [.securityAdmin])
        #expect(Permissions.roles(allowedTo: .manageSecurityPolicy) == [.securityAdmin])
        #expect(Permissions.roles(allowedTo: .viewAudit) == [.auditAdmin])
        // The audit administrator can change nothing: every action it holds is a read (or its own password).
        let audit = Permissions.table[.auditAdmin] ?? []
        #expect(audit == [.viewHome, .changeOwnPassword, .viewNotifications, .viewAudit])
        // The security administrator does no business work and cannot manage accounts or read the trail.
        let security = Permissions.table[.securityAdmin] ?? []
        #expect(!security.contains(.manageUsers) && !security.contains(.viewAudit) && !security.contains(.editFilings))
    }

    @Test("role assignment: a new account gets a working role from the system administrator; changes and administrator roles are the security administrator's; never one's own")
    func roleAssignment() {
        #expect(RoleAssignment.problem(actor: .admin, current: nil, requested: .filer, ownAccount: false) == nil)
        #expect(RoleAssignment.problem(actor: .admin, current: nil, requested: .admin, ownAccount: false) != nil)
        #expect(RoleAssignment.problem(actor: .admin, current: nil, requested: .auditAdmin, ownAccount: false) != nil)
        #expect(RoleAssignment.problem(actor: .admin, current: .filer, requested: .unitHead, ownAccount: false) != nil)
        #expect(RoleAssignment.problem(actor: .admin, current: .filer, requested: .filer, ownAccount: false) == nil)
        #expect(RoleAssignment.problem(actor: .securityAdmin, current: .filer, requested: .auditAdmin, ownAccount: false) == nil)
        #expect(RoleAssignment.problem(actor: .securityAdmin, current: .admin, requested: .coordinator, ownAccount: false) == nil)
        #expect(RoleAssignment.problem(actor: .securityAdmin, current: .securityAdmin, requested: .admin, ownAccount: true) != nil)
        #expect(RoleAssignment.problem(actor: .coordinator, current: .filer, requested: .unitHead, ownAccount: false) != nil)
        #expect(RoleAssignment.rolesForNewAccount(actor: .admin) == [.coordinator, .leader, .unitHead, .filer, .assessor])
        #expect(RoleAssignment.mayManageAccount(actor: .admin, target: .filer))
        #expect(RoleAssignment.mayManageAccount(actor: .admin, target: .admin))
        #expect(!RoleAssignment.mayManageAccount(actor: .admin, target: .auditAdmin))
        #expect(!RoleAssignment.mayManageAccount(actor: .admin, target: .securityAdmin))
        #expect(!RoleAssignment.mayManageAccount(actor: .securityAdmin, target: .filer))
    }

    @Test("the security policy refuses values that would switch protection off")
    func securityPolicyBounds() {
        #expect(SecurityPolicy.standard.problems.isEmpty)
        #expect(SecurityPolicy.standard.idleMinutes == 30)
        var p = SecurityPolicy.standard
        p.maxFailures = 1000
        p.idleMinutes = 0
        #expect(Set(p.problems.keys) == ["maxFailures", "idleMinutes"])
        #expect(p.problems["maxFailures"]?.contains("3–10") == true)
    }

    @Test("leader is read-only")
    func leaderReadOnly() {
        let allowed = Permissions.table[.leader] ?? []
        #expect(allowed.allSatisfy { !$0.rawValue.hasSuffix(".manage") })
    }

    @Test("campaigns and the catalog are run by the bureau; unit heads confirm; leaders watch the dispatch")
    func campaignRoles() {
        #expect(Permissions.roles(allowedTo: .manageCampaigns) == [.admin, .coordinator])
        #expect(Permissions.roles(allowedTo: .manageCatalog) == [.admin, .coordinator])
        #expect(Permissions.roles(allowedTo: .confirmAssignment) == [.admin, .unitHead])
        #expect(Permissions.roles(allowedTo: .viewDispatch) == [.admin, .coordinator, .leader, .unitHead])
        // The leaders' board shows every unit's progress and open flags: the bureau and the leaders, not the units.
        #expect(Permissions.roles(allowedTo: .viewCockpit) == [.admin, .coordinator, .leader])
        #expect(Set(Permissions.roles(allowedTo: .viewCatalog)) == Set(Role.allCases).subtracting([.securityAdmin, .auditAdmin]))
    }

    @Test("filers cannot list users; unit heads can")
    func userListing() {
        #expect(!Permissions.allows(.filer, .viewUsers))
        #expect(Permissions.allows(.unitHead, .viewUsers))
    }

    @Test("unit-scoped roles only reach their own unit")
    func unitScope() {
        #expect(UnitScope.canAccess(role: .filer, userUnitID: "a", recordUnitID: "a"))
        #expect(!UnitScope.canAccess(role: .filer, userUnitID: "a", recordUnitID: "b"))
        #expect(!UnitScope.canAccess(role: .unitHead, userUnitID: "a", recordUnitID: nil))
        #expect(UnitScope.canAccess(role: .coordinator, userUnitID: "a", recordUnitID: "b"))
    }
}

@Suite("Passwords and lockout")
struct PasswordTests {
    @Test func policy() {
        #expect(PasswordPolicy.problems(password: "abc12345", username: "filer").isEmpty)
        #expect(!PasswordPolicy.problems(password: "abc123", username: nil).isEmpty)
        #expect(!PasswordPolicy.problems(password: "abcdefgh", username: nil).isEmpty)
        #expect(!PasswordPolicy.problems(password: "12345678", username: nil).isEmpty)
        #expect(!PasswordPolicy.problems(password: "Filer123", username: "filer123").isEmpty)
    }

    @Test("passwords are compared in NFKC: full-width letters and digits equal their ASCII forms; control characters are refused")
    func normalisation() {
        // U+FF41 U+FF42 U+FF43 U+FF11 U+FF12 U+FF13 U+FF14 U+FF15: what a Chinese IME in full-width mode types.
        #expect(PasswordPolicy.normalized("\u{FF41}\u{FF42}\u{FF43}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}") == "abc12345")
        // The ligature "ﬁ" (U+FB01) decomposes to "fi"; a composed é stays one character either way it is typed.
        #expect(PasswordPolicy.normalized("\u{FB01}le1234x") == "file1234x")
        #expect(PasswordPolicy.normalized("caf\u{0065}\u{0301}12345") == PasswordPolicy.normalized("caf\u{00E9}12345"))
        #expect(PasswordPolicy.problems(password: "abc12345\n", username: nil) == ["密码不能包含控制字符（如换行、制表符）"])
        #expect(PasswordPolicy.problems(password: "abc\t12345", username: nil).contains("密码不能包含控制字符（如换行、制表符）"))
        #expect(PasswordPolicy.problems(password: "\u{FF41}bc12345", username: nil).isEmpty)
    }

    @Test("five failures lock for fifteen minutes; success resets")
    func lockout() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var state = LoginLockout.State(failedCount: 0, lockedUntil: nil)
        for _ in 1...4 {
            state = LoginLockout.afterFailure(state, now: now)
            #expect(!LoginLockout.isLocked(state, now: now))
        }
        state = LoginLockout.afterFailure(state, now: now)
        #expect(LoginLockout.isLocked(state, now: now))
        #expect(LoginLockout.minutesLeft(state, now: now) == 15)
        #expect(LoginLockout.isLocked(state, now: now.addingTimeInterval(14 * 60)))
        #expect(!LoginLockout.isLocked(state, now: now.addingTimeInterval(15 * 60)))
        // After expiry one more failure does not re-lock at once.
        let later = LoginLockout.afterFailure(state, now: now.addingTimeInterval(16 * 60))
        #expect(later.failedCount == 1)
        #expect(!LoginLockout.isLocked(later, now: now.addingTimeInterval(16 * 60)))
        #expect(LoginLockout.afterSuccess() == .init(failedCount: 0, lockedUntil: nil))
    }

    @Test func usernames() {
        #expect(UsernameRules.problem("filer_scjg") == nil)
        #expect(UsernameRules.problem("Filer") != nil)
        #expect(UsernameRules.problem("ab") != nil)
        #expect(UsernameRules.problem("1abc") != nil)
        #expect(UsernameRules.problem("张三") != nil)
    }

    @Test func unitRules() {
        #expect(UnitRules.validate(code: "SPJ", name: "行政审批服务局").isEmpty)
        #expect(UnitRules.validate(code: "", name: "x").map(\.field) == ["code"])
        #expect(UnitRules.validate(code: "A B", name: "  ").map(\.field) == ["code", "name"])
    }
}

@Suite("Personal information")
struct PersonalDataTests {
    @Test("phones and names are masked for every role but the assessor")
    func masking() {
        #expect(PersonalData.maskPhone("13812345678") == "138****5678")
        #expect(PersonalData.maskPhone("0531-8888") == "053****8888")
        #expect(PersonalData.maskPhone("12345") == "***45")
        #expect(PersonalData.maskPhone("") == "")
        #expect(PersonalData.maskName("张三") == "张*")
        #expect(PersonalData.maskName("欧阳娜娜") == "欧***")
        #expect(PersonalData.maskName("李") == "李*")
        for role in Role.allCases {
            #expect(PersonalData.phone("13812345678", for: role) == (role == .assessor ? "13812345678" : "138****5678"))
        }
    }

    @Test("masking trims as Foundation's whitespace set does: random names and phones give the former results")
    func maskingAgreesWithFoundation() {
        // The former implementation, through Foundation, as the reference.
        func phone(_ s: String) -> String {
            let c = Array(s.trimmingCharacters(in: .whitespaces))
            if c.isEmpty { return "" }
            if c.count >= 7 { return String(c.prefix(3)) + "****" + String(c.suffix(4)) }
            return String(repeating: "*", count: max(0, c.count - 2)) + String(c.suffix(2))
        }
        func name(_ s: String) -> String {
            let c = Array(s.trimmingCharacters(in: .whitespaces))
            guard let f = c.first else { return "" }
            return String(f) + String(repeating: "*", count: max(1, c.count - 1))
        }
        let pieces = ["1", "8", "-", "张", "欧阳", " ", "\t", "\u{3000}", "\u{A0}", "\n", "e\u{301}", "😀", "\r\n", "\u{2009}"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let s = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "1" }.joined()
            #expect(PersonalData.maskPhone(s) == phone(s), "\(s.debugDescription)")
            #expect(PersonalData.maskName(s) == name(s), "\(s.debugDescription)")
        }
        #expect(PersonalData.maskName("\u{3000}张三 ") == "张*")
    }
}
