import Foundation

/// RFC 4180 CSV: fields separated by commas, quoted fields may hold commas, quotes ("") and line breaks;
/// records end with CRLF or LF.
public enum CSV {
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return chars.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else {
                            inQuotes = false
                            pending = n
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty:
                inQuotes = true
            case ",":
                row.append(field)
                field = ""
            case "\r":
                if let n = next(), n != "\n" { pending = n }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            default:
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}

/// Text files from county offices come as UTF-8 (with or without BOM) or GB18030/GBK (Excel on Chinese Windows).
public enum TextDecoding {
    /// NSStringEncoding value of kCFStringEncodingGB_18030_2000 (the enum is unavailable on Linux).
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    public enum Detected: String, Sendable {
        case utf8, utf8BOM = "utf8-bom", gb18030
    }

    public static func decode(_ data: Data) -> (String, Detected)? {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            return String(data: data.dropFirst(3), encoding: .utf8).map { ($0, .utf8BOM) }
        }
        if let s = String(data: data, encoding: .utf8) { return (s, .utf8) }
        if let s = String(data: data, encoding: gb18030) { return (s, .gb18030) }
        return nil
    }
}
