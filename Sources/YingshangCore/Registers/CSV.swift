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
/// Rows come out as Swift strings; `CSVRecordParser` underneath hands out raw bytes for the fast import path.
public struct CSVByteParser: Sendable {
    private var records = CSVRecordParser()

    public init() {}

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ onRow: ([String]) throws -> Void) rethrows {
        try records.feed(bytes) { try onRow($0.strings) }
    }

    /// The last record when the input does not end with a line break.
    public mutating func finish(_ onRow: ([String]) throws -> Void) rethrows {
        try records.finish { try onRow($0.strings) }
    }
}

/// One CSV record as bytes: the fields unescaped and laid end to end, with where each one ends.
public struct ByteRecord: Sendable {
    public internal(set) var bytes: [UInt8] = []
    public internal(set) var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    public func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    public var strings: [String] {
        (0..<ends.count).map { String(decoding: bytes[range($0)], as: UTF8.self) }
    }
}

/// RFC 4180 over UTF-8 bytes without making strings: a quote opens a quoted field only at the start of a field,
/// `""` inside quotes is a quote, records end with CRLF or LF (or CR). Runs of ordinary bytes are copied in one go.
public struct CSVRecordParser: Sendable {
    private var record = ByteRecord()
    private var fieldStart = 0
    private var inQuotes = false
    private var quoteSeen = false
    private var afterCR = false

    public init() {}

    private mutating func endField() {
        record.ends.append(record.bytes.count)
        fieldStart = record.bytes.count
    }

    private mutating func reset() {
        record.bytes.removeAll(keepingCapacity: true)
        record.ends.removeAll(keepingCapacity: true)
        fieldStart = 0
    }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ onRecord: (ByteRecord) throws -> Void) rethrows {
        let n = bytes.count
        var i = 0
        while i < n {
            if inQuotes {
                var j = i
                while j < n && bytes[j] != 0x22 { j += 1 }
                record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<j]))
                if j < n {
                    inQuotes = false
                    quoteSeen = true
                }
                i = j + 1
                continue
            }
            let b = bytes[i]
            if quoteSeen {
                quoteSeen = false
                if b == 0x22 {
                    record.bytes.append(0x22)
                    inQuotes = true
                    i += 1
                    continue
                }
            }
            if afterCR {
                afterCR = false
                if b == 0x0A {
                    i += 1
                    continue
                }
            }
            switch b {
            case 0x22 where record.bytes.count == fieldStart:
                inQuotes = true
                i += 1
            case 0x2C:
                endField()
                i += 1
            case 0x0D, 0x0A:
                endField()
                try onRecord(record)
                reset()
                afterCR = b == 0x0D
                i += 1
            default:
                var j = i + 1
                while j < n {
                    let c = bytes[j]
                    if c == 0x2C || c == 0x0A || c == 0x0D { break }
                    j += 1
                }
                record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<j]))
                i = j
            }
        }
    }

    /// The last record when the input does not end with a line break.
    public mutating func finish(_ onRecord: (ByteRecord) throws -> Void) rethrows {
        quoteSeen = false
        inQuotes = false
        if record.bytes.count > fieldStart || !record.ends.isEmpty {
            endField()
            try onRecord(record)
            reset()
        }
    }
}

public enum TextDecoding {
    /// NSStringEncoding value of kCFStringEncodingGB_18030_2000 (the enum is unavailable on Linux).
    public static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

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
