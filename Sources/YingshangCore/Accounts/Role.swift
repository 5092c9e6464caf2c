/// The account roles. Enterprise respondents answer surveys through tokens, not accounts.
/// Administration is split three ways (等保 2.0 三员分立): the system administrator keeps accounts and the
/// organisation, the security administrator grants roles and sets the password and session policy, the audit
/// administrator reads and exports the audit log; none can do another's part.
public enum Role: String, CaseIterable, Codable, Sendable {
    case admin
    case securityAdmin = "security_admin"
    case auditAdmin = "audit_admin"
    case coordinator
    case leader
    case unitHead = "unit_head"
    case filer
    case assessor

    public var chineseName: String {
        switch self {
        case .admin: return "系统管理员"
        case .securityAdmin: return "安全管理员"
        case .auditAdmin: return "审计管理员"
        case .coordinator: return "审批局/营商办工作人员"
        case .leader: return "县领导"
        case .unitHead: return "单位负责人"
        case .filer: return "单位填报人"
        case .assessor: return "第三方评估机构"
        }
    }

    public var englishName: String {
        switch self {
        case .admin: return "System administrator"
        case .securityAdmin: return "Security administrator"
        case .auditAdmin: return "Audit administrator"
        case .coordinator: return "Coordinator"
        case .leader: return "County leader"
        case .unitHead: return "Unit head"
        case .filer: return "Filer"
        case .assessor: return "Assessor"
        }
    }

    /// The three administrator roles of 三员分立: granted and taken away only by the security administrator.
    public var isAdministrator: Bool { self == .admin || self == .securityAdmin || self == .auditAdmin }

    /// Unit-scoped roles see and change only their own unit's data.
    public var isUnitScoped: Bool { self == .unitHead || self == .filer }
}
