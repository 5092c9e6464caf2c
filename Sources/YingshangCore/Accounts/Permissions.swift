/// Everything a route can require. Routes name one action; `Permissions.table` says which roles may do it.
public enum Action: String, CaseIterable, Codable, Sendable {
    case viewHome = "home.view"
    case changeOwnPassword = "account.change_password"
    case viewRegions = "region.view"
    case manageRegions = "region.manage"
    case viewUnits = "unit.view"
    case manageUnits = "unit.manage"
    case viewUsers = "user.view"
    case manageUsers = "user.manage"
    case viewAudit = "audit.view"
    case viewCatalog = "catalog.view"
    case manageCatalog = "catalog.manage"
    case viewCampaigns = "campaign.view"
    case manageCampaigns = "campaign.manage"
    case confirmAssignment = "assignment.confirm"
    case updateTaskStatus = "task.update_status"
    case viewDispatch = "dispatch.view"
    case manageCalendar = "calendar.manage"
    case viewFilings = "filing.view"
    case editFilings = "filing.edit"
    case transitionFilings = "filing.transition"
    case viewQuestions = "question.view"
    case askQuestions = "question.ask"
    case answerQuestions = "question.answer"
    case viewNotifications = "notification.view"
    case viewRegister = "register.view"
    case manageRegister = "register.manage"
    case drawSamples = "sample.draw"
    case viewScores = "score.view"
    case runScoring = "score.run"
    case manageScoreRules = "score.rules"
    case viewRectifications = "rectification.view"
    case editRectifications = "rectification.edit"
    case verifyRectifications = "rectification.verify"
    case viewLibrary = "library.view"
    case submitPractices = "library.submit"
    case manageLibrary = "library.manage"
    case viewFlags = "flag.view"
    case manageVerification = "verification.manage"
    case respondFlags = "flag.respond"
    case assignRoles = "user.assign_role"
    case manageSecurityPolicy = "security.policy"
    /// The leaders' board (驾驶舱) for a meeting-room display: the whole county at once.
    case viewCockpit = "cockpit.view"
    /// Issue and revoke the keys departments' systems push case records with.
    case manageFeeds = "feed.manage"
}

/// The single role → allowed actions table that every route consults.
public enum Permissions {
    public static let table: [Role: Set<Action>] = [
        // The system administrator may do everything but the other two administrators' parts.
        .admin: Set(Action.allCases).subtracting([.viewAudit, .assignRoles, .manageSecurityPolicy]),
        .securityAdmin: [.viewHome, .changeOwnPassword, .viewNotifications, .viewUnits, .viewUsers, .assignRoles, .manageSecurityPolicy],
        .auditAdmin: [.viewHome, .changeOwnPassword, .viewNotifications, .viewAudit],
        .coordinator: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewUsers, .viewCatalog, .manageCatalog,
            .viewCampaigns, .manageCampaigns, .updateTaskStatus, .viewDispatch, .manageCalendar, .viewFilings,
            .transitionFilings, .viewQuestions, .answerQuestions, .viewNotifications, .viewRegister, .manageRegister,
            .viewScores, .runScoring, .manageScoreRules, .viewRectifications, .editRectifications, .verifyRectifications,
            .viewLibrary, .submitPractices, .manageLibrary, .viewFlags, .viewCockpit, .manageFeeds,
        ],
        .leader: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewCatalog, .viewCampaigns, .viewDispatch, .viewFilings,
            .viewQuestions, .viewNotifications, .viewRegister, .viewScores, .viewRectifications, .viewLibrary, .viewFlags,
            .viewCockpit,
        ],
        .unitHead: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewUsers, .viewCatalog, .viewCampaigns,
            .confirmAssignment, .updateTaskStatus, .viewDispatch, .viewFilings, .editFilings, .transitionFilings,
            .viewQuestions, .askQuestions, .viewNotifications, .viewScores, .viewRectifications, .editRectifications,
            .viewLibrary, .submitPractices, .viewFlags, .respondFlags,
        ],
        .filer: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewCatalog, .viewCampaigns, .updateTaskStatus,
            .viewFilings, .editFilings, .transitionFilings, .viewQuestions, .askQuestions, .viewNotifications,
            .viewRectifications, .editRectifications, .viewLibrary, .submitPractices, .viewFlags, .respondFlags,
        ],
        .assessor: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewCatalog, .viewCampaigns, .viewFilings, .viewQuestions,
            .viewNotifications, .viewRegister, .manageRegister, .drawSamples, .viewScores, .runScoring, .viewRectifications,
            .viewLibrary, .viewFlags, .manageVerification,
        ],
    ]

    public static func allows(_ role: Role, _ action: Action) -> Bool {
        table[role]?.contains(action) ?? false
    }

    /// The roles allowed to do an action, in declaration order (used by docs and the matrix test).
    public static func roles(allowedTo action: Action) -> [Role] {
        Role.allCases.filter { allows($0, action) }
    }
}

/// Whether a user may touch a record owned by a unit: unit-scoped roles only their own unit.
public enum UnitScope {
    public static func canAccess(role: Role, userUnitID: String?, recordUnitID: String?) -> Bool {
        guard role.isUnitScoped else { return true }
        guard let userUnitID, let recordUnitID else { return false }
        return userUnitID == recordUnitID
    }
}

/// Who may give which role (三员分立): the system administrator gives a new account a working role; changing a
/// role, and any administrator role, is the security administrator's; nobody changes their own. Accounts of the
/// security and audit administrators are beyond the system administrator's reach (else a password reset would
/// let the system administrator act as the auditor).
public enum RoleAssignment {
    /// nil when `actor` may make an account's role `requested` (`current` nil for a new account).
    public static func problem(actor: Role, current: Role?, requested: Role, ownAccount: Bool) -> String? {
        if current == requested { return nil }
        if ownAccount { return "不能修改自己的角色" }
        if requested.isAdministrator || current?.isAdministrator == true {
            return Permissions.allows(actor, .assignRoles) ? nil : "管理员角色只能由安全管理员授予或收回"
        }
        if current == nil { return Permissions.allows(actor, .manageUsers) ? nil : "无权新建用户" }
        return Permissions.allows(actor, .assignRoles) ? nil : "已有账户的角色只能由安全管理员调整"
    }

    /// Whether `actor` may edit, reset, disable or delete an account holding `target`.
    public static func mayManageAccount(actor: Role, target: Role?) -> Bool {
        guard Permissions.allows(actor, .manageUsers) else { return false }
        return target != .securityAdmin && target != .auditAdmin
    }

    /// The roles a new account may be given by `actor`.
    public static func rolesForNewAccount(actor: Role) -> [Role] {
        Role.allCases.filter { problem(actor: actor, current: nil, requested: $0, ownAccount: false) == nil }
    }
}
