/// The six account roles. Enterprise respondents answer surveys through tokens, not accounts.
public enum Role: String, CaseIterable, Codable, Sendable {
    case admin
    case coordinator
    case leader
    case unitHead = "unit_head"
    case filer
    case assessor

    public var chineseName: String {
        switch self {
        case .admin: return "系统管理员"
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
        case .coordinator: return "Coordinator"
        case .leader: return "County leader"
        case .unitHead: return "Unit head"
        case .filer: return "Filer"
        case .assessor: return "Assessor"
        }
    }

    /// Unit-scoped roles see and change only their own unit's data.
    public var isUnitScoped: Bool { self == .unitHead || self == .filer }
}
