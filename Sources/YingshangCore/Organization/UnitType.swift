import Foundation

/// What kind of body a unit (单位) is; drives labels and later which indicators it usually leads.
public enum UnitType: String, CaseIterable, Codable, Sendable {
    case governmentDepartment = "government_department"
    case publicUtility = "public_utility"
    case judicial = "judicial"
    case financialInstitution = "financial_institution"
    case township = "township"
    case thirdParty = "third_party"
    case other = "other"

    public var chineseName: String {
        switch self {
        case .governmentDepartment: return "政府部门"
        case .publicUtility: return "公用事业单位"
        case .judicial: return "司法机关"
        case .financialInstitution: return "金融机构"
        case .township: return "乡镇/街道"
        case .thirdParty: return "第三方评估机构"
        case .other: return "其他"
        }
    }

    public var englishName: String {
        switch self {
        case .governmentDepartment: return "Government department"
        case .publicUtility: return "Public utility"
        case .judicial: return "Judicial body"
        case .financialInstitution: return "Financial institution"
        case .township: return "Township"
        case .thirdParty: return "Third-party assessor"
        case .other: return "Other"
        }
    }
}

/// Validation of unit fields, shared by the web form, the API and the CLI.
public enum UnitRules {
    public static func validate(code: String, name: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let okChars = code.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
        if code.isEmpty || code.count > 32 || !okChars {
            problems.append(.init(field: "code", message: "单位代码必填，1–32 位字母、数字、- 或 _"))
        }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.count > 100 {
            problems.append(.init(field: "name", message: "单位名称必填，不超过 100 个字符"))
        }
        return problems
    }
}

