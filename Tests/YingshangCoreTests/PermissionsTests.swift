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

    @Test("only admin manages users, units and regions and reads the audit log")
    func adminOnly() {
        for action in [Action.manageUsers, .manageUnits, .manageRegions, .viewAudit] {
            #expect(Permissions.roles(allowedTo: action) == [.admin])
        }
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
        #expect(Set(Permissions.roles(allowedTo: .viewCatalog)) == Set(Role.allCases))
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
}
