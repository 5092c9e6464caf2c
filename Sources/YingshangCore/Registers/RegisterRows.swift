import Foundation

/// Validated register rows packed as bytes, ready to be bound to an insert without making a string per cell:
/// ten columns a row (credit code, name, township code, industry letter, size, status, founded, contact, phone,
/// extra attributes as a JSON object), each a span of `bytes` or null.
public struct RegisterRowBatch: Sendable {
    public static let columns = 10
    public private(set) var bytes: [UInt8] = []
    /// Two numbers per cell: start in `bytes` and length, length -1 for null.
    public private(set) var spans: [Int32] = []
    public private(set) var count = 0

    public init() {}

    /// Room for about `bytes` of cells, so a chunk's batch is allocated once rather than doubled a dozen times.
    public init(reserving bytes: Int) {
        self.bytes.reserveCapacity(bytes + bytes / 8)
        spans.reserveCapacity(bytes / 100 * Self.columns * 2)
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        count = 0
    }

    /// A cell as text (null as nil), for the PostgreSQL path and tests.
    public func string(row: Int, column: Int) -> String? {
        let k = (row * Self.columns + column) * 2
        let length = Int(spans[k + 1])
        guard length >= 0 else { return nil }
        let start = Int(spans[k])
        return String(decoding: bytes[start..<start + length], as: UTF8.self)
    }

    /// Copies a record's bytes in one piece; its cells are then added as spans of the copy (`appendSpan`), rather than
    /// each copied on its own (ten appends a row were a fifth of the reading thread's time).
    mutating func appendRecord(_ record: UnsafeBufferPointer<UInt8>) -> Int {
        let base = bytes.count
        bytes.append(contentsOf: record)
        return base
    }

    mutating func appendSpan(start: Int, count: Int) {
        spans.append(Int32(start))
        spans.append(Int32(count))
    }

    mutating func appendNull() {
        spans.append(0)
        spans.append(-1)
    }

    mutating func append(_ cell: UnsafeBufferPointer<UInt8>) {
        spans.append(Int32(bytes.count))
        spans.append(Int32(cell.count))
        bytes.append(contentsOf: cell)
    }

    mutating func appendOptional(_ cell: UnsafeBufferPointer<UInt8>) {
        if cell.isEmpty { appendNull() } else { append(cell) }
    }

    mutating func append(_ cell: [UInt8]) {
        cell.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(_ text: String?) {
        guard var text else { return appendNull() }
        text.withUTF8 { append($0) }
    }

    mutating func beginJSON() -> Int {
        bytes.append(UInt8(ascii: "{"))
        return bytes.count - 1
    }

    mutating func appendJSONMember(key: [UInt8], value: UnsafeBufferPointer<UInt8>, first: Bool) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: key)
        bytes.append(UInt8(ascii: ":"))
        Self.appendJSONString(value, to: &bytes)
    }

    mutating func endJSON(start: Int) {
        bytes.append(UInt8(ascii: "}"))
        spans.append(Int32(start))
        spans.append(Int32(bytes.count - start))
    }

    mutating func endRow() { count += 1 }

    /// A row checked the slow way.
    public mutating func append(_ r: EnterpriseRecord) {
        append(r.uscc)
        append(r.name)
        append(r.townshipCode)
        append(r.industry)
        append(r.size)
        append(r.status)
        append(r.founded?.description)
        append(r.contact)
        append(r.phone)
        let start = beginJSON()
        for (i, key) in r.extra.keys.sorted().enumerated() {
            var value = r.extra[key] ?? ""
            value.withUTF8 { appendJSONMember(key: Self.jsonString(key), value: $0, first: i == 0) }
        }
        endJSON(start: start)
        endRow()
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; the bytes must be valid UTF-8.
    static func appendJSONString(_ s: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(0x22)
        for b in s {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0..<0x20: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    public static func jsonString(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var s = s
        s.withUTF8 { appendJSONString($0, to: &out) }
        return out
    }
}

extension EnterpriseRegister {
    /// Byte forms of the lists a row is checked against, built once per file.
    struct FastTables: Sendable {
        /// Field index of each column, -1 when the file has no such column.
        let index: [Int]
        let townships: [(key: [UInt8], code: [UInt8])]
        let industryNames: [(name: [UInt8], letter: [UInt8])]
        /// The lists, and the sizes and statuses, looked up by hashing a cell's bytes (a county has dozens of township
        /// names and codes, and comparing a cell with each was a tenth of the reading thread's time).
        let townshipTable: ByteTable
        let industryTable: ByteTable
        let sizeTable: ByteTable
        let statusTable: ByteTable
        /// Extra columns in key order, with their names already as JSON strings.
        let extras: [(index: Int, key: [UInt8])]
        /// Two extra columns share a header: the slow path decides which value wins.
        let extrasAmbiguous: Bool
        let usccValue: [Int8]

        init(columns: [Int: Column], extras: [Int: String], townships: [String: String]) {
            var index = [Int](repeating: -1, count: Column.allCases.count)
            for (i, c) in columns { index[Column.allCases.firstIndex(of: c) ?? 0] = i }
            self.index = index
            self.townships = townships.map { (Array($0.key.utf8), Array($0.value.utf8)) }
            industryNames = EnterpriseRegister.industries.map { (Array($0.1.utf8), Array($0.0.utf8)) }
            townshipTable = ByteTable(self.townships.map(\.key))
            industryTable = ByteTable(industryNames.map(\.name))
            sizeTable = ByteTable(EnterpriseRegister.sizes.map { Array($0.utf8) })
            statusTable = ByteTable(EnterpriseRegister.statuses.map { Array($0.utf8) })
            self.extras = extras.sorted { $0.value < $1.value }.map { ($0.key, RegisterRowBatch.jsonString($0.value)) }
            extrasAmbiguous = Set(extras.values).count != extras.count
            var value = [Int8](repeating: -1, count: 256)
            for (v, c) in USCC.alphabet.enumerated() { value[Int(c.asciiValue ?? 0)] = Int8(v) }
            usccValue = value
        }

        func column(_ c: Column) -> Int {
            switch c {
            case .uscc: return index[0]
            case .name: return index[1]
            case .township: return index[2]
            case .industry: return index[3]
            case .size: return index[4]
            case .status: return index[5]
            case .founded: return index[6]
            case .contact: return index[7]
            case .phone: return index[8]
            }
        }
    }
}

extension EnterpriseRegister.RowValidator {
    /// The fast path for a CSV record already in its canonical form: appends the row to `batch` and returns true,
    /// or returns false (nothing appended, nothing remembered) when the row needs `check` — whitespace to trim,
    /// a bad or repeated credit code, another spelling of a date or township, invalid UTF-8, anything unusual.
    /// `check` stays the one authority on what is valid and on every error message.
    public mutating func checkBytes(_ record: ByteRecord, rowNumber: Int, into batch: inout RegisterRowBatch) -> Bool {
        let t = fast
        return record.bytes.withUnsafeBufferPointer { buf -> Bool in
            let n = record.count
            func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> {
                guard i >= 0, i < n else { return UnsafeBufferPointer(rebasing: buf[0..<0]) }
                return UnsafeBufferPointer(rebasing: buf[record.range(i)])
            }
            for i in 0..<n {
                let c = cell(i)
                if !c.isEmpty && (!Self.isValidUTF8(c) || Self.hasEdgeWhitespace(c)) { return false }
            }
            // Credit code: 18 characters of the alphabet with the right check character, not seen before.
            let code = cell(t.column(.uscc))
            guard code.count == 18 else { return false }
            var sum = 0
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for (k, b) in code.enumerated() {
                let v = Int(t.usccValue[Int(b)])
                guard v >= 0 else { return false }
                if k < 17 { sum += v * USCC.weights[k] }
                if k < 9 { hi = hi << 7 | UInt64(b & 0x7F) } else { lo = lo << 7 | UInt64(b & 0x7F) }
            }
            guard Int(t.usccValue[Int(code[17])]) == (31 - sum % 31) % 31 else { return false }
            let key = EnterpriseRegister.USCCKey(hi: hi, lo: lo)
            guard existing.isEmpty || !existing.contains(key) else { return false }

            let name = cell(t.column(.name))
            guard !name.isEmpty, name.count <= 200 else { return false }
            var township: [UInt8]? = nil
            let town = cell(t.column(.township))
            if !town.isEmpty {
                township = t.townshipTable.index(of: town).map { t.townships[$0].code }
                if township == nil, town.count == 12, town.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    let prefix = UnsafeBufferPointer(rebasing: town[town.startIndex..<town.startIndex + 9])
                    township = t.townshipTable.index(of: prefix).map { t.townships[$0].code }
                }
                if township == nil { return false }
            }
            var industry: [UInt8]? = nil
            let ind = cell(t.column(.industry))
            if !ind.isEmpty {
                if ind.count == 1, let b = ind.first, (b >= 0x41 && b <= 0x54) || (b >= 0x61 && b <= 0x74) {
                    industry = [b & ~0x20]
                } else {
                    industry = t.industryTable.index(of: ind).map { t.industryNames[$0].letter }
                }
                if industry == nil { return false }
            }
            let size = cell(t.column(.size))
            if !size.isEmpty && t.sizeTable.index(of: size) == nil { return false }
            let status = cell(t.column(.status))
            if !status.isEmpty && t.statusTable.index(of: status) == nil { return false }
            let founded = cell(t.column(.founded))
            if !founded.isEmpty && !Self.isCanonicalDay(founded) { return false }
            if t.extrasAmbiguous && t.extras.contains(where: { !cell($0.index).isEmpty }) { return false }

            // Last, so a row turned away leaves nothing behind; a repeated code goes to `check` for its message.
            guard seen.insert(key, row: Int32(clamping: rowNumber)) == nil else { return false }
            // The cells stored as read are spans of one copy of the record; the township and industry as looked up.
            let base = batch.appendRecord(UnsafeBufferPointer(rebasing: buf[0..<(n > 0 ? record.ends[n - 1] : 0)]))
            func stored(_ i: Int, optional: Bool) {
                let r = i >= 0 && i < n ? record.range(i) : 0..<0
                if r.isEmpty && optional { batch.appendNull() } else { batch.appendSpan(start: base + r.lowerBound, count: r.count) }
            }
            stored(t.column(.uscc), optional: false)
            stored(t.column(.name), optional: false)
            if let township { batch.append(township) } else { batch.appendNull() }
            if let industry { batch.append(industry) } else { batch.appendNull() }
            stored(t.column(.size), optional: true)
            stored(t.column(.status), optional: true)
            stored(t.column(.founded), optional: true)
            stored(t.column(.contact), optional: true)
            stored(t.column(.phone), optional: true)
            let start = batch.beginJSON()
            var first = true
            for e in t.extras {
                let v = cell(e.index)
                if v.isEmpty { continue }
                batch.appendJSONMember(key: e.key, value: v, first: first)
                first = false
            }
            batch.endJSON(start: start)
            batch.endRow()
            return true
        }
    }

    static func same(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { pa in
            guard let x = pa.baseAddress, let y = b.baseAddress else { return a.isEmpty }
            return memcmp(x, y, a.count) == 0
        }
    }

    /// Room for `rows` credit codes, so the duplicate check does not rehash while a large file is read.
    public mutating func reserve(_ rows: Int) {
        seen.reserve(rows)
    }

    /// Exactly YYYY-MM-DD naming a real day: what `Day.description` writes, so it is stored as given.
    static func isCanonicalDay(_ c: UnsafeBufferPointer<UInt8>) -> Bool {
        guard c.count == 10, c[4] == 0x2D, c[7] == 0x2D else { return false }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                let d = Int(c[i]) - 0x30
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return false }
        return Day(year: y, month: m, day: d) != nil
    }

    /// Whether the first or last character may be whitespace (a superset of what trimming removes, so a row
    /// that passes needs no trimming).
    static func hasEdgeWhitespace(_ c: UnsafeBufferPointer<UInt8>) -> Bool {
        func isSpace(_ v: UInt32) -> Bool {
            v == 0x20 || (0x09...0x0D).contains(v) || v == 0x85 || v == 0xA0 || v == 0x1680 || v == 0x180E
                || (0x2000...0x205F).contains(v) || v == 0x3000 || v == 0xFEFF
        }
        guard let f = c.first, let l = c.last else { return false }
        if f < 0x80 { if isSpace(UInt32(f)) { return true } } else if isSpace(scalar(c, at: 0)) { return true }
        if l < 0x80 { return isSpace(UInt32(l)) }
        var s = c.count - 1
        while s > 0 && c[s] & 0xC0 == 0x80 && c.count - s < 4 { s -= 1 }
        return isSpace(scalar(c, at: s))
    }

    /// The scalar starting at `i` of valid UTF-8.
    static func scalar(_ c: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt32 {
        let b = c[i]
        let (need, first): (Int, UInt32) =
            b < 0xE0 ? (1, UInt32(b & 0x1F)) : b < 0xF0 ? (2, UInt32(b & 0x0F)) : (3, UInt32(b & 0x07))
        var v = first
        for k in 1...need where i + k < c.count { v = v << 6 | UInt32(c[i + k] & 0x3F) }
        return v
    }

    static func isValidUTF8(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = p.count
        while i < n {
            let b = p[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let need: Int
            var v: UInt32
            let minimum: UInt32
            if b & 0xE0 == 0xC0 {
                need = 1; v = UInt32(b & 0x1F); minimum = 0x80
            } else if b & 0xF0 == 0xE0 {
                need = 2; v = UInt32(b & 0x0F); minimum = 0x800
            } else if b & 0xF8 == 0xF0 {
                need = 3; v = UInt32(b & 0x07); minimum = 0x10000
            } else {
                return false
            }
            guard i + need < n else { return false }
            for k in 1...need {
                let c = p[i + k]
                guard c & 0xC0 == 0x80 else { return false }
                v = v << 6 | UInt32(c & 0x3F)
            }
            if v < minimum || v > 0x10FFFF || (0xD800...0xDFFF).contains(v) { return false }
            i += need + 1
        }
        return true
    }
}

extension EnterpriseRegister {
    /// An 18-character ASCII credit code as two 63-bit words (nine 7-bit characters each, first character highest):
    /// the words compare in the same order as the text, and sorting 750,000 of them is far faster than strings.
    public struct PackedCode: Comparable, Hashable, Sendable {
        let hi: UInt64
        let lo: UInt64

        public init?(_ code: UnsafeBufferPointer<UInt8>) {
            guard code.count == 18 else { return nil }
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for (i, b) in code.enumerated() {
                guard b > 0 && b < 0x80 else { return nil }
                if i < 9 { hi = hi << 7 | UInt64(b) } else { lo = lo << 7 | UInt64(b) }
            }
            self.hi = hi
            self.lo = lo
        }

        public init?(_ code: some StringProtocol) {
            // A slice of a native string is read in place: a million-row frame makes no million copies.
            if let packed = code.utf8.withContiguousStorageIfAvailable({ PackedCode($0) }) {
                guard let packed else { return nil }
                self = packed
                return
            }
            var s = String(code)
            guard let packed = s.withUTF8({ PackedCode($0) }) else { return nil }
            self = packed
        }

        public static func < (a: PackedCode, b: PackedCode) -> Bool { a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo }

        public var text: String {
            String(unsafeUninitializedCapacity: 18) { buffer in
                for i in 0..<9 {
                    buffer[i] = UInt8(truncatingIfNeeded: hi >> (7 * (8 - i))) & 0x7F
                    buffer[9 + i] = UInt8(truncatingIfNeeded: lo >> (7 * (8 - i))) & 0x7F
                }
                return 18
            }
        }
    }

    /// A stratum's credit codes in string order, kept packed (16 bytes each) until a few are chosen: a million-row
    /// frame makes no million strings. A stratum holding any code that does not pack (an old code of another length)
    /// is kept as sorted text instead.
    public struct SortedCodes: RandomAccessCollection, Sendable, Equatable {
        private enum Storage: Sendable {
            case packed([PackedCode])
            case text([String])
        }

        private let storage: Storage

        public init(packed: [PackedCode], others: [String]) {
            storage = others.isEmpty ? .packed(packed.sorted()) : .text((packed.map(\.text) + others).sorted())
        }

        public init(_ codes: [some StringProtocol]) {
            var packed: [PackedCode] = []
            var others: [String] = []
            packed.reserveCapacity(codes.count)
            for c in codes {
                if let p = PackedCode(c) { packed.append(p) } else { others.append(String(c)) }
            }
            self.init(packed: packed, others: others)
        }

        /// Codes joined by commas (PostgreSQL's `string_agg`), read as bytes: splitting the text by characters took
        /// most of a draw's time on a million-row register.
        public init(joined text: String) {
            var text = text
            var packed: [PackedCode] = []
            var others: [String] = []
            text.withUTF8 { bytes in
                packed.reserveCapacity(bytes.count / 19 + 1)
                var start = 0
                for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: ",") {
                    if i > start {
                        let piece = UnsafeBufferPointer(rebasing: bytes[start..<i])
                        if let p = PackedCode(piece) { packed.append(p) } else { others.append(String(decoding: piece, as: UTF8.self)) }
                    }
                    start = i + 1
                }
            }
            self.init(packed: packed, others: others)
        }

        public var startIndex: Int { 0 }

        public var endIndex: Int {
            switch storage {
            case .packed(let p): return p.count
            case .text(let t): return t.count
            }
        }

        public subscript(i: Int) -> String {
            switch storage {
            case .packed(let p): return p[i].text
            case .text(let t): return t[i]
            }
        }

        /// The codes without `excluded`, in the same order.
        public func removing(_ excluded: Set<String>) -> SortedCodes {
            guard !excluded.isEmpty else { return self }
            switch storage {
            case .packed(let p):
                let out = Set(excluded.compactMap { PackedCode($0) })
                return SortedCodes(storage: .packed(p.filter { !out.contains($0) }))
            case .text(let t):
                return SortedCodes(storage: .text(t.filter { !excluded.contains($0) }))
            }
        }

        private init(storage: Storage) { self.storage = storage }

        public static func == (a: SortedCodes, b: SortedCodes) -> Bool { a.elementsEqual(b) }
    }
}

/// Rows per township × industry × size, counted as an import's rows go by: the register page's counts, kept
/// in the database beside the register instead of grouping a million rows on a first view.
public struct RegisterTally: Sendable {
    public struct Group: Sendable, Hashable {
        public let township: String?
        public let industry: String?
        public let size: String?

        public init(township: String?, industry: String?, size: String?) {
            self.township = township
            self.industry = industry
            self.size = size
        }
    }

    /// The three cells of a row, each as a presence byte, then its length (4 bytes) and bytes: one key per group,
    /// built in a reused buffer and found by an FNV-1a hash of it (hashing an `[UInt8]` key element by element cost
    /// ~0.3 s per million rows, on the thread that feeds PostgreSQL's COPY).
    private var slots: [UInt64: [Int]] = [:]
    private var keys: [[UInt8]] = []
    private var counts: [Int] = []
    private var scratch: [UInt8] = []
    /// The columns counted, in the order of `RegisterRowBatch`'s cells.
    static let township = 2, industry = 3, size = 4

    public init() {}

    public var isEmpty: Bool { keys.isEmpty }

    public mutating func add(_ batch: RegisterRowBatch) {
        for row in 0..<batch.count {
            scratch.removeAll(keepingCapacity: true)
            for column in [Self.township, Self.industry, Self.size] {
                let k = (row * RegisterRowBatch.columns + column) * 2
                let length = Int(batch.spans[k + 1])
                guard length >= 0 else {
                    scratch.append(0)
                    continue
                }
                scratch.append(1)
                withUnsafeBytes(of: UInt32(length).littleEndian) { scratch.append(contentsOf: $0) }
                let start = Int(batch.spans[k])
                batch.bytes.withUnsafeBufferPointer { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
            }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            scratch.withUnsafeBufferPointer { for b in $0 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 } }
            if let slot = slots[hash]?.first(where: { keys[$0] == scratch }) {
                counts[slot] += 1
            } else {
                slots[hash, default: []].append(keys.count)
                keys.append(scratch)
                counts.append(1)
            }
        }
    }

    /// The counts by group.
    public var groups: [Group: Int] {
        var out: [Group: Int] = [:]
        for (key, n) in zip(keys, counts) {
            var at = 0
            var cells: [String?] = []
            for _ in 0..<3 {
                let present = key[at] == 1
                at += 1
                guard present else {
                    cells.append(nil)
                    continue
                }
                var length: UInt32 = 0
                for i in 0..<4 { length |= UInt32(key[at + i]) << (8 * UInt32(i)) }
                at += 4
                cells.append(String(decoding: key[at..<at + Int(length)], as: UTF8.self))
                at += Int(length)
            }
            out[Group(township: cells[0], industry: cells[1], size: cells[2]), default: 0] += n
        }
        return out
    }

    /// `groups` with the counts already stored added in: what the register holds after the import.
    public func merged(into stored: [Group: Int]) -> [Group: Int] {
        stored.merging(groups, uniquingKeysWith: +)
    }
}

/// A fixed list of byte strings, found by hashing: `index(of:)` is the first position holding exactly those bytes.
struct ByteTable: Sendable {
    private let keys: [[UInt8]]
    /// Open addressing: position + 1 in `keys`, 0 for an empty slot.
    private let slots: [Int32]
    private let mask: Int

    init(_ keys: [[UInt8]]) {
        self.keys = keys
        var size = 16
        while size < keys.count * 4 { size <<= 1 }
        mask = size - 1
        var slots = [Int32](repeating: 0, count: size)
        for (i, key) in keys.enumerated() {
            var slot = key.withUnsafeBufferPointer { Self.hash($0) } & mask
            var seen = false
            while slots[slot] != 0 {
                if keys[Int(slots[slot]) - 1] == key { seen = true; break }
                slot = (slot + 1) & mask
            }
            // A repeated key keeps its first position, as a search from the front would find.
            if !seen { slots[slot] = Int32(i + 1) }
        }
        self.slots = slots
    }

    /// FNV-1a.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }

    func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = Self.hash(bytes) & mask
        while true {
            let k = Int(slots[slot])
            if k == 0 { return nil }
            if EnterpriseRegister.RowValidator.same(keys[k - 1], bytes) { return k - 1 }
            slot = (slot + 1) & mask
        }
    }
}
