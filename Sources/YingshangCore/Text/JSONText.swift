/// JSON text for flat string maps, written directly: an enterprise's answers are stored as a JSON object on every
/// submission, and Foundation's encoder was a tenth of a submission's time. Keys are sorted so equal maps give equal text.
public enum JSONText {
    public static func object(_ values: [String: String]) -> String {
        var out = "{"
        out.reserveCapacity(values.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        for (i, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out += "," }
            string(key, into: &out)
            out += ":"
            string(value, into: &out)
        }
        return out + "}"
    }

    /// A JSON string (RFC 8259 §7): quote, backslash and control characters escaped; everything else as it is (UTF-8).
    static func string(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
