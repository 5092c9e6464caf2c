import Foundation

/// How numbers are shown to people: one formatter for every page, workbook and report, so a value reads the same
/// everywhere (scores to two decimals as published, shares as whole percents unless asked otherwise).
public enum Display {
    /// Shown where there is no value.
    public static let missing = "—"

    /// A number with a fixed count of decimals ("87.50"); `missing` for nil.
    public static func fixed(_ d: Double?, digits: Int = 2) -> String {
        guard let d, d.isFinite else { return missing }
        return String(format: "%.\(max(0, min(digits, 6)))f", d)
    }

    /// A share (0…1) as a percent ("50%", "12.5%" with one digit); `missing` for nil.
    public static func percent(_ share: Double?, digits: Int = 0) -> String {
        guard let share, share.isFinite else { return missing }
        return fixed(share * 100, digits: digits) + "%"
    }

    /// `part` of `whole` as a percent; `missing` when there is no whole.
    public static func percent(_ part: Int, of whole: Int, digits: Int = 0) -> String {
        whole > 0 ? percent(Double(part) / Double(whole), digits: digits) : missing
    }

    /// Money kept in fen, shown in yuan with two decimals ("12.30").
    public static func yuan(fen: Int) -> String {
        let sign = fen < 0 ? "-" : ""
        let a = abs(fen)
        return "\(sign)\(a / 100).\(a % 100 < 10 ? "0" : "")\(a % 100)"
    }
}
