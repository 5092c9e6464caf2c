/// A survey submission's JSON body, `{"token": "…", "answers": {"code": "value", …}}`, read without Foundation's
/// decoder (which was an eighth of a submission's time). Only that plain shape is read here; anything else (another
/// key, a repeated key, a number or nested value, an unpaired surrogate, bytes that are not UTF-8, trailing text)
/// gives nil and the caller hands the body to Foundation's decoder, which accepts or refuses it as before. So this
/// reader may never accept a body Foundation would read differently; tests compare the two on random bodies.
public enum SubmissionJSON {
    public struct Body: Equatable, Sendable {
        public var token: String?
        public var answers: [String: String]?
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Body? {
        var reader = Reader(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        return reader.body()
    }

    public static func parse(_ bytes: [UInt8]) -> Body? {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// A flat object of strings, `{"key": "value", …}` (a register row's extra columns), with the same rules as the
    /// answers of a body: nil for anything else, and the caller falls back to Foundation's decoder.
    /// `capacity`: the members expected (room reserved at once).
    public static func stringObject(_ bytes: UnsafeRawBufferPointer, capacity: Int = 4) -> [String: String]? {
        var reader = Reader(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        guard let object = reader.answers(capacity: capacity) else { return nil }
        reader.skipSpace()
        return reader.at == reader.bytes.count ? object : nil
    }

    public static func stringObject(_ text: String, capacity: Int = 4) -> [String: String]? {
        var text = text
        return text.withUTF8 { stringObject(UnsafeRawBufferPointer($0), capacity: capacity) }
    }

    /// True for a Content-Type naming JSON (`application/json`, any parameters, any case).
    public static func isJSON(contentType: String?) -> Bool {
        guard let contentType else { return false }
        if contentType == "application/json" || contentType == "application/json; charset=utf-8" { return true }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return type.lowercased() == "application/json"
    }

    /// Reads within `withUnsafeBufferPointer`/`withContiguousStorageIfAvailable` only; never kept.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func body() -> Body? {
            var out = Body()
            // Only the two keys are read, each once.
            var sawToken = false
            var sawAnswers = false
            guard expect(UInt8(ascii: "{")) else { return nil }
            if peek(UInt8(ascii: "}")) {
                at += 1
            } else {
                while true {
                    guard let key = string(), expect(UInt8(ascii: ":")) else { return nil }
                    switch key {
                    case "token":
                        guard !sawToken else { return nil }
                        sawToken = true
                        if null() { out.token = nil } else {
                            guard let v = string() else { return nil }
                            out.token = v
                        }
                    case "answers":
                        guard !sawAnswers else { return nil }
                        sawAnswers = true
                        if null() { out.answers = nil } else {
                            guard let v = answers() else { return nil }
                            out.answers = v
                        }
                    default: return nil
                    }
                    if peek(UInt8(ascii: ",")) { at += 1; continue }
                    guard expect(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipSpace()
            return at == bytes.count ? out : nil
        }

        mutating func answers(capacity: Int = 128) -> [String: String]? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var out: [String: String] = [:]
            out.reserveCapacity(capacity)
            if peek(UInt8(ascii: "}")) { at += 1; return out }
            while true {
                // One hash of the key: a repeated key replaces a value, and is refused.
                guard let key = string(), expect(UInt8(ascii: ":")), let value = string(), out.updateValue(value, forKey: key) == nil else { return nil }
                if peek(UInt8(ascii: ",")) { at += 1; continue }
                return expect(UInt8(ascii: "}")) ? out : nil
            }
        }

        mutating func skipSpace() {
            // RFC 8259 whitespace: space, tab, line feed, carriage return.
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0A || bytes[at] == 0x0D { at += 1 }
        }

        mutating func peek(_ byte: UInt8) -> Bool {
            skipSpace()
            return at < bytes.count && bytes[at] == byte
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            guard peek(byte) else { return false }
            at += 1
            return true
        }

        mutating func null() -> Bool {
            skipSpace()
            guard bytes.count - at >= 4, bytes[at] == UInt8(ascii: "n"), bytes[at + 1] == UInt8(ascii: "u"),
                bytes[at + 2] == UInt8(ascii: "l"), bytes[at + 3] == UInt8(ascii: "l")
            else { return false }
            at += 4
            return true
        }

        /// A JSON string; nil for anything Foundation might read otherwise or refuse.
        mutating func string() -> String? {
            guard expect(UInt8(ascii: "\"")) else { return nil }
            // Most strings have no escape: taken as one slice of the input.
            let start = at
            while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\"), bytes[at] >= 0x20 { at += 1 }
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: "\"") {
                at += 1
                return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<(at - 1)]), as: UTF8.self)
            }
            var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<at]))
            while at < bytes.count {
                let b = bytes[at]
                at += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard at < bytes.count else { return nil }
                    let e = bytes[at]
                    at += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return nil }
                        var scalar: Unicode.Scalar?
                        if (0xD800..<0xDC00).contains(unit) {
                            // A high surrogate must be followed by an escaped low one.
                            guard bytes.count - at >= 6, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else { return nil }
                            at += 2
                            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        } else {
                            scalar = Unicode.Scalar(unit)
                        }
                        guard let scalar else { return nil }
                        out.append(contentsOf: String(scalar).utf8)
                    default: return nil
                    }
                case 0..<0x20: return nil
                default: out.append(b)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - at >= 4 else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[at]
                at += 1
                let d: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
    }
}
