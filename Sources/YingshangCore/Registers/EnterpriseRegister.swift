import Foundation

/// One enterprise of the register (企业全量名单), validated.
public struct EnterpriseRecord: Equatable, Sendable, Codable {
    public var uscc: String
    public var name: String
    public var townshipCode: String?
    public var industry: String?
    public var size: String?
    public var status: String?
    public var founded: Day?
    public var contact: String?
    public var phone: String?
    public var extra: [String: String]
}

/// A problem of one cell: row number as in the file (header is row 1), column name, value, reason.
public struct RowProblem: Equatable, Sendable, Codable {
    public let row: Int
    public let column: String
    public let value: String
    public let reason: String

    /// At most this many characters of a bad cell are quoted back (a 10 MB field must not travel in every
    /// error message, job status and error list).
    public static let quotedCharacters = 100

    public init(row: Int, column: String, value: String, reason: String) {
        self.row = row
        self.column = column
        self.value = Self.quote(value)
        self.reason = reason
    }

    public static func quote(_ value: String) -> String {
        value.count > quotedCharacters ? String(value.prefix(quotedCharacters)) + "…（共 \(value.count) 个字符）" : value
    }

    public var message: String { "第 \(row) 行“\(column)”列：\(value.isEmpty ? "" : "“\(value)” ")\(reason)" }
}

public enum EnterpriseRegister {
    public enum Column: String, CaseIterable, Sendable {
        case uscc, name, township, industry, size, status, founded, contact, phone

        public var chineseName: String {
            switch self {
            case .uscc: return "统一社会信用代码"
            case .name: return "企业名称"
            case .township: return "所属乡镇/街道"
            case .industry: return "行业门类"
            case .size: return "企业规模"
            case .status: return "登记状态"
            case .founded: return "成立日期"
            case .contact: return "联系人"
            case .phone: return "联系电话"
            }
        }

        var aliases: [String] {
            switch self {
            case .uscc: return ["统一社会信用代码", "信用代码", "uscc", "社会信用代码"]
            case .name: return ["企业名称", "名称", "name", "企业（机构）名称"]
            case .township: return ["所属乡镇/街道", "所属乡镇", "所在乡镇/街道", "所在乡镇", "乡镇/街道", "乡镇街道", "乡镇", "township"]
            case .industry: return ["行业门类", "行业", "industry"]
            case .size: return ["企业规模", "规模", "size"]
            case .status: return ["登记状态", "经营状态", "状态", "status"]
            case .founded: return ["成立日期", "成立时间", "founded"]
            case .contact: return ["联系人", "contact"]
            case .phone: return ["联系电话", "电话", "phone"]
            }
        }
    }

    /// GB/T 4754-2017 sections A–T.
    public static let industries: [(String, String)] = [
        ("A", "农、林、牧、渔业"), ("B", "采矿业"), ("C", "制造业"), ("D", "电力、热力、燃气及水生产和供应业"), ("E", "建筑业"),
        ("F", "批发和零售业"), ("G", "交通运输、仓储和邮政业"), ("H", "住宿和餐饮业"), ("I", "信息传输、软件和信息技术服务业"),
        ("J", "金融业"), ("K", "房地产业"), ("L", "租赁和商务服务业"), ("M", "科学研究和技术服务业"),
        ("N", "水利、环境和公共设施管理业"), ("O", "居民服务、修理和其他服务业"), ("P", "教育"), ("Q", "卫生和社会工作"),
        ("R", "文化、体育和娱乐业"), ("S", "公共管理、社会保障和社会组织"), ("T", "国际组织"),
    ]
    public static let sizes = ["大型", "中型", "小型", "微型"]
    public static let statuses = ["存续", "在业", "迁出", "注销", "吊销"]
    /// Who may be sampled unless the assessor chooses otherwise: enterprises still operating here.
    public static let defaultSamplingStatuses = ["存续", "在业"]

    /// Maps header cells to columns; unknown headers become extra attributes. Missing required columns are problems.
    public static func mapHeader(_ header: [String]) -> (columns: [Int: Column], extras: [Int: String], missing: [Column]) {
        var columns: [Int: Column] = [:]
        var extras: [Int: String] = [:]
        for (i, raw) in header.enumerated() {
            let h = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if let col = Column.allCases.first(where: { c in c.aliases.contains { $0.lowercased() == h } }), !columns.values.contains(col) {
                columns[i] = col
            } else if !h.isEmpty {
                extras[i] = raw.trimmingCharacters(in: .whitespaces)
            }
        }
        let missing = [Column.uscc, .name].filter { !columns.values.contains($0) }
        return (columns, extras, missing)
    }

    /// Validates every data row. `townships` maps township names and codes to the stored 9-digit code;
    /// `existing` holds the USCCs already in the snapshot.
    public static func validate(
        rows: [[String]], townships: [String: String], existing: Set<String>
    ) -> (records: [(row: Int, record: EnterpriseRecord)], problems: [RowProblem]) {
        guard let header = rows.first else {
            return ([], [RowProblem(row: 1, column: "表头", value: "", reason: "文件为空")])
        }
        var validator: RowValidator
        switch RowValidator.make(header: header, townships: townships, existing: existing) {
        case .failure(let missing): return ([], missing.problems)
        case .success(let v): validator = v
        }
        var records: [(row: Int, record: EnterpriseRecord)] = []
        var problems: [RowProblem] = []
        for (index, row) in rows.enumerated().dropFirst() {
            switch validator.check(row, rowNumber: index + 1) {
            case .blank: continue
            case .valid(let r): records.append((row: index + 1, record: r))
            case .invalid(let p): problems += p
            }
        }
        return (records, problems)
    }

    public struct MissingColumns: Error {
        public let problems: [RowProblem]
    }

    /// Row-by-row validation, so a large file can be checked while it is read.
    public struct RowValidator: Sendable {
        public enum Outcome: Sendable {
            case blank
            case valid(EnterpriseRecord)
            case invalid([RowProblem])
        }

        let columns: [Int: Column]
        let extras: [Int: String]
        let townships: [String: String]
        let existing: Set<USCCKey>
        let industryByName: [String: String]
        /// Rows seen so far by credit code (packed into two words), for the duplicate message.
        var seen = CodeRows()
        /// Lookup tables for `checkBytes`, built once from the same lists.
        let fast: FastTables

        public static func make(header: [String], townships: [String: String], existing: Set<String>) -> Result<RowValidator, MissingColumns> {
            make(header: header, townships: townships, existingKeys: Set(existing.compactMap(USCCKey.init(checking:))))
        }

        /// `existingKeys`: the snapshot's credit codes already packed (a million of them as strings took gigabytes).
        public static func make(
            header: [String], townships: [String: String], existingKeys: Set<USCCKey>
        ) -> Result<RowValidator, MissingColumns> {
            let (columns, extras, missing) = mapHeader(header)
            if !missing.isEmpty {
                return .failure(MissingColumns(problems: missing.map { RowProblem(row: 1, column: $0.chineseName, value: "", reason: "缺少必需的列") }))
            }
            return .success(
                RowValidator(
                    columns: columns, extras: extras, townships: townships,
                    existing: existingKeys,
                    industryByName: Dictionary(uniqueKeysWithValues: industries.map { ($0.1, $0.0) }),
                    fast: FastTables(columns: columns, extras: extras, townships: townships)))
        }

        public mutating func check(_ row: [String], rowNumber: Int) -> Outcome {
            if row.allSatisfy({ $0.trimmedFast.isEmpty }) { return .blank }
            var values: [Column: String] = [:]
            var extra: [String: String] = [:]
            for (i, cell) in row.enumerated() {
                let v = cell.trimmedFast
                if let c = columns[i] { values[c] = v } else if let name = extras[i], !v.isEmpty { extra[name] = v }
            }
            var rowProblems: [RowProblem] = []
            func problem(_ c: Column, _ reason: String) {
                rowProblems.append(RowProblem(row: rowNumber, column: c.chineseName, value: values[c] ?? "", reason: reason))
            }
            let uscc = values[.uscc] ?? ""
            var key: USCCKey? = nil
            if let p = USCC.validate(uscc) { problem(.uscc, p.message) } else {
                key = USCCKey(uscc)
                if let k = key, let first = seen[k] { problem(.uscc, "与第 \(first) 行重复") }
                else if let k = key, !existing.isEmpty, existing.contains(k) { problem(.uscc, "已在名单中") }
            }
            let name = values[.name] ?? ""
            if name.isEmpty || name.count > 200 { problem(.name, "企业名称必填，不超过 200 个字") }
            var township: String? = nil
            if let t = values[.township], !t.isEmpty {
                township = townships[t] ?? (t.count == 12 ? townships[String(t.prefix(9))] : nil)
                if township == nil { problem(.township, "不是本县的乡镇/街道（名称或 9/12 位代码）") }
            }
            var industry: String? = nil
            if let raw = values[.industry], !raw.isEmpty {
                let letter = raw.uppercased()
                if industries.contains(where: { $0.0 == letter }) { industry = letter }
                else if let l = industryByName[raw] { industry = l }
                else { problem(.industry, "应为国民经济行业门类字母 A–T 或其名称") }
            }
            let size = values[.size].flatMap { $0.isEmpty ? nil : $0 }
            if let size, !sizes.contains(size) { problem(.size, "应为大型、中型、小型或微型") }
            let status = values[.status].flatMap { $0.isEmpty ? nil : $0 }
            if let status, !statuses.contains(status) { problem(.status, "应为存续、在业、迁出、注销或吊销") }
            var founded: Day? = nil
            if let raw = values[.founded], !raw.isEmpty {
                founded = parseDate(raw)
                if founded == nil { problem(.founded, "日期格式应为 YYYY-MM-DD、YYYY/M/D 或 YYYY年M月D日") }
            }
            guard rowProblems.isEmpty, let key else { return .invalid(rowProblems) }
            seen.insert(key, row: Int32(clamping: rowNumber))
            return .valid(
                EnterpriseRecord(
                    uscc: uscc, name: name, townshipCode: township, industry: industry, size: size, status: status,
                    founded: founded, contact: values[.contact].flatMap { $0.isEmpty ? nil : $0 },
                    phone: values[.phone].flatMap { $0.isEmpty ? nil : $0 }, extra: extra))
        }
    }

    /// A valid credit code packed into two words (nine 7-bit ASCII characters each), a compact key for a million rows.
    public struct USCCKey: Hashable, Sendable {
        let hi: UInt64
        let lo: UInt64

        init(hi: UInt64, lo: UInt64) {
            self.hi = hi
            self.lo = lo
        }

        /// Nil for a string that is not a valid credit code (only those pack without loss).
        public init?(checking code: String) {
            guard USCC.isValid(code) else { return nil }
            self.init(code)
        }

        public init(_ code: String) {
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for (i, b) in code.utf8.enumerated() {
                let v = UInt64(b & 0x7F)
                if i < 9 { hi = hi << 7 | v } else { lo = lo << 7 | v }
            }
            self.hi = hi
            self.lo = lo
        }
    }

    /// Accepts 2020-03-05, 2020/3/5, 2020.3.5, 20200305 and 2020年3月5日.
    public static func parseDate(_ raw: String) -> Day? {
        let t = raw.trimmedFast
        if let d = Day(t) { return d }
        if t.count == 8, t.allSatisfy(\.isNumber), let y = Int(t.prefix(4)), let m = Int(t.dropFirst(4).prefix(2)), let d = Int(t.suffix(2)) {
            return Day(year: y, month: m, day: d)
        }
        let normalized = t.replacingOccurrences(of: "年", with: "-").replacingOccurrences(of: "月", with: "-")
            .replacingOccurrences(of: "日", with: "").replacingOccurrences(of: ".", with: "-")
        return Day(String(normalized.prefix(10)))
    }
}

extension String {
    /// Whitespace (including the full-width space) trimmed from both ends; returns the string itself without copying
    /// when neither end is whitespace, which is nearly every cell of a register (Foundation's trimming is slow on Linux).
    public var trimmedFast: String {
        guard let f = first, let l = last else { return self }
        if !f.isWhitespace && !l.isWhitespace { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension EnterpriseRegister {
    /// The row number of each credit code seen in a file, for the duplicate check: open addressing over the packed
    /// code. A million rows cost one probe each instead of two SipHash rounds and Dictionary probes (a fifth of the
    /// time of reading and checking a file). The codes come from an authenticated user's file, so a plain
    /// multiplicative hash is enough.
    public struct CodeRows: Sendable {
        /// Three words per slot — the code's two halves and the row — so a lookup touches one place in memory (the
        /// rows in an array of their own cost a second cache miss per row of a large file). A used slot has the top
        /// bit of its first word set (a packed code uses 63 bits).
        private var words: [UInt64] = []
        private var slotCount = 0
        private var mask = 0
        public private(set) var count = 0

        public init(capacity: Int = 0) {
            allocate(Self.slots(for: capacity))
        }

        /// Powers of two, filled to at most 70% (a million codes: 2^21 slots, 50 MB).
        private static func slots(for n: Int) -> Int {
            var s = 16
            while s * 7 < n * 10 { s <<= 1 }
            return s
        }

        private mutating func allocate(_ slots: Int) {
            words = [UInt64](repeating: 0, count: slots * 3)
            slotCount = slots
            mask = slots - 1
            count = 0
        }

        private func home(_ key: USCCKey) -> Int {
            var h = key.hi &* 0x9E37_79B9_7F4A_7C15 ^ key.lo
            h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: h ^ (h >> 32)) & mask
        }

        /// The slot holding `key`, or the empty slot where it would go.
        private func find(_ key: USCCKey) -> (slot: Int, found: Bool) {
            let tagged = key.hi | 1 << 63
            var i = home(key)
            while true {
                let k = words[3 * i]
                if k == 0 { return (i, false) }
                if k == tagged && words[3 * i + 1] == key.lo { return (i, true) }
                i = (i + 1) & mask
            }
        }

        public subscript(key: USCCKey) -> Int32? {
            let (slot, found) = find(key)
            return found ? Int32(truncatingIfNeeded: words[3 * slot + 2]) : nil
        }

        /// Remembers `row` for `key` unless the key is there already; returns the row remembered before, if any.
        @discardableResult
        public mutating func insert(_ key: USCCKey, row: Int32) -> Int32? {
            let (slot, found) = find(key)
            if found { return Int32(truncatingIfNeeded: words[3 * slot + 2]) }
            if (count + 1) * 10 > slotCount * 7 {
                reserve(count + 1)
                return insert(key, row: row)
            }
            words[3 * slot] = key.hi | 1 << 63
            words[3 * slot + 1] = key.lo
            words[3 * slot + 2] = UInt64(UInt32(bitPattern: row))
            count += 1
            return nil
        }

        /// Room for `n` codes without growing.
        public mutating func reserve(_ n: Int) {
            let slots = Self.slots(for: max(n, count + count / 2))
            guard slots > slotCount else { return }
            let old = words
            let oldSlots = slotCount
            allocate(slots)
            for i in 0..<oldSlots where old[3 * i] != 0 {
                insert(USCCKey(hi: old[3 * i] & ~(1 << 63), lo: old[3 * i + 1]), row: Int32(truncatingIfNeeded: old[3 * i + 2]))
            }
        }
    }
}
