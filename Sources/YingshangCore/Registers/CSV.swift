import Foundation

/// RFC 4180 CSV: fields separated by commas, quoted fields may hold commas, quotes ("") and line breaks;
/// records end with CRLF or LF.
public enum CSV {
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var parser = CSVByteParser()
        var utf8 = Array(text.utf8)
        utf8.withUnsafeBufferPointer { parser.feed($0) { rows.append($0) } }
        parser.finish { rows.append($0) }
        utf8.removeAll()
        return rows
    }
}

/// RFC 4180 parsing over UTF-8 bytes fed in chunks of any size, so a large file is read a piece at a time.
/// A quote opens a quoted field only at the start of a field; `""` inside quotes is a quote.
public struct CSVByteParser: Sendable {
    private var field: [UInt8] = []
    private var row: [String] = []
    private var inQuotes = false
    private var quoteSeen = false
    private var afterCR = false

    public init() {}

    private mutating func endField() {
        row.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
    }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ onRow: ([String]) throws -> Void) rethrows {
        for b in bytes {
            if quoteSeen {
                quoteSeen = false
                if b == 0x22 {
                    field.append(0x22)
                    continue
                }
                inQuotes = false
            } else if inQuotes {
                if b == 0x22 { quoteSeen = true } else { field.append(b) }
                continue
            }
            if afterCR {
                afterCR = false
                if b == 0x0A { continue }
            }
            switch b {
            case 0x22 where field.isEmpty:
                inQuotes = true
            case 0x2C:
                endField()
            case 0x0D, 0x0A:
                endField()
                try onRow(row)
                row.removeAll(keepingCapacity: true)
                afterCR = b == 0x0D
            default:
                field.append(b)
            }
        }
    }

    /// The last record when the input does not end with a line break.
    public mutating func finish(_ onRow: ([String]) throws -> Void) rethrows {
        quoteSeen = false
        inQuotes = false
        if !field.isEmpty || !row.isEmpty {
            endField()
            try onRow(row)
            row.removeAll()
        }
    }
}

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
