import Foundation

/// Personal information of enterprises' contacts and of respondents (PIPL 个人信息保护法, 最小必要): contact names
/// and phone numbers are shown only to the role that contacts enterprises (the assessor, for the survey); every
/// other role sees them masked, in pages, APIs and exports.
public enum PersonalData {
    public static func canSeeContacts(_ role: Role) -> Bool { role == .assessor }

    /// 13812345678 → 138****5678; shorter numbers keep only their last two characters.
    public static func maskPhone(_ phone: String) -> String {
        let chars = trimmed(phone)
        let count = chars.count
        if count == 0 { return "" }
        if count >= 7 { return String(chars.prefix(3)) + "****" + String(chars.suffix(4)) }
        return String(repeating: "*", count: max(0, count - 2)) + String(chars.suffix(2))
    }

    /// 张三 → 张*, 欧阳娜娜 → 欧***: the family name stays so a caller can still address the person.
    public static func maskName(_ name: String) -> String {
        let chars = trimmed(name)
        guard let first = chars.first else { return "" }
        return String(first) + String(repeating: "*", count: max(1, chars.count - 1))
    }

    /// What Foundation's `trimmingCharacters(in: .whitespaces)` leaves (tab and the space separators, Zs), without
    /// bridging to NSString: masking was nearly half of a million-row export's time.
    static func trimmed(_ text: String) -> Substring {
        func blank(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
        return Substring(scalars[start...last])
    }

    public static func contact(_ name: String, for role: Role) -> String { canSeeContacts(role) ? name : maskName(name) }
    public static func phone(_ phone: String, for role: Role) -> String { canSeeContacts(role) ? phone : maskPhone(phone) }
}
