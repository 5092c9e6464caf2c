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
}

/// The single role → allowed actions table that every route consults.
public enum Permissions {
    public static let table: [Role: Set<Action>] = [
        .admin: Set(Action.allCases),
        .coordinator: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewUsers, .viewCatalog, .manageCatalog,
            .viewCampaigns, .manageCampaigns, .updateTaskStatus, .viewDispatch, .manageCalendar, .viewFilings,
            .transitionFilings, .viewQuestions, .answerQuestions, .viewNotifications, .viewRegister, .manageRegister,
            .viewScores, .runScoring, .manageScoreRules, .viewRectifications, .editRectifications, .verifyRectifications,
            .viewLibrary, .submitPractices, .manageLibrary, .viewFlags,
        ],
        .leader: [
            .viewHome, .changeOwnPassword, .viewRegions, .viewUnits, .viewCatalog, .viewCampaigns, .viewDispatch, .viewFilings,
            .viewQuestions, .viewNotifications, .viewRegister, .viewScores, .viewRectifications, .viewLibrary, .viewFlags,
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
