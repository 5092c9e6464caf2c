/// Administrative-division codes (行政区划代码, GB/T 2260): 6 digits for province/city/county,
/// 9 digits for a township (the county code + 3 digits, GB/T 10114), 12 for a village.
public enum DivisionCode {
    /// First two digits of the provincial-level divisions in GB/T 2260.
    static let provincePrefixes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82",
    ]

    /// Problems with a 6-digit division code (empty when valid).
    public static func validateCounty(_ code: String) -> String? {
        guard code.count == 6, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return "行政区划代码应为 6 位数字"
        }
        guard provincePrefixes.contains(String(code.prefix(2))) else {
            return "行政区划代码前两位“\(code.prefix(2))”不是有效的省级代码"
        }
        return nil
    }

    /// Validates a region code for its level; a township's code must start with its parent's code.
    public static func validate(_ code: String, level: RegionLevel, parentCode: String?) -> String? {
        switch level {
        case .province, .city, .county:
            return validateCounty(code)
        case .township:
            guard code.count == 9 || code.count == 12, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return "乡镇/街道代码应为 9 位（或 12 位）数字"
            }
            if let parentCode, !code.hasPrefix(parentCode) {
                return "乡镇/街道代码应以上级区划代码 \(parentCode) 开头"
            }
            return validateCounty(String(code.prefix(6)))
        }
    }
}

public enum RegionLevel: String, CaseIterable, Codable, Sendable {
    case province, city, county, township

    public var chineseName: String {
        switch self {
        case .province: return "省"
        case .city: return "市"
        case .county: return "县（市、区）"
        case .township: return "乡镇/街道"
        }
    }

    /// The level a parent must have; nil means no parent is required.
    public var allowedParentLevels: Set<RegionLevel> {
        switch self {
        case .province: return []
        case .city: return [.province]
        case .county: return [.province, .city]
        case .township: return [.county]
        }
    }
}
