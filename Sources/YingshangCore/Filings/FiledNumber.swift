import Foundation

/// The one parser of a number someone filed, imported or answered: validation, verification and scoring all read
/// a value through it, so a value accepted when saved is the value scored. Surrounding spaces and line breaks are
/// ignored; full-width digits and points from a Chinese input method (１２．５) read as 12.5; NaN and infinities
/// are not numbers.
public enum FiledNumber {
    public static func parse(_ raw: String) -> Double? {
        // Plain ASCII without surrounding whitespace (almost every answer) needs neither NFKC nor trimming: both are
        // the identity on it.
        if let first = raw.utf8.first, let last = raw.utf8.last, !String.isASCIIWhitespace(first), !String.isASCIIWhitespace(last),
            raw.utf8.allSatisfy({ $0 < 0x80 })
        {
            guard let d = Double(raw), d.isFinite else { return nil }
            return d
        }
        let text = raw.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, let d = Double(text), d.isFinite else { return nil }
        return d
    }
}
