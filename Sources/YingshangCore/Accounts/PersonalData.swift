import Foundation

/// Personal information of enterprises' contacts and of respondents (PIPL 个人信息保护法, 最小必要): contact names
/// and phone numbers are shown only to the role that contacts enterprises (the assessor, for the survey); every
/// other role sees them masked, in pages, APIs and exports.
public enum PersonalData {
    public static func canSeeContacts(_ role: Role) -> Bool { role == .assessor }

    /// 13812345678 → 138****5678; shorter numbers keep only their last two characters.
    public static func maskPhone(_ phone: String) -> String {
        let chars = Array(phone.trimmingCharacters(in: .whitespaces))
        if chars.isEmpty { return "" }
        if chars.count >= 7 { return String(chars.prefix(3)) + "****" + String(chars.suffix(4)) }
        return String(repeating: "*", count: max(0, chars.count - 2)) + String(chars.suffix(2))
    }

    /// 张三 → 张*, 欧阳娜娜 → 欧***: the family name stays so a caller can still address the person.
    public static func maskName(_ name: String) -> String {
        let chars = Array(name.trimmingCharacters(in: .whitespaces))
        guard let first = chars.first else { return "" }
        return String(first) + String(repeating: "*", count: max(1, chars.count - 1))
    }

    public static func contact(_ name: String, for role: Role) -> String { canSeeContacts(role) ? name : maskName(name) }
    public static func phone(_ phone: String, for role: Role) -> String { canSeeContacts(role) ? phone : maskPhone(phone) }
}
