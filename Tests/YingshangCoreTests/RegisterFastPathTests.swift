import Foundation
import Testing
@testable import YingshangCore

/// The byte-level fast path must store exactly what the string validator stores, and leave every other row —
/// errors included — to it.
@Suite("Register import fast path")
struct RegisterFastPathTests {
    let townships = ["城关街道": "370799001", "370799001": "370799001", "青山镇": "370799101", "370799101": "370799101"]
    let header = ["统一社会信用代码", "企业名称", "所属乡镇/街道", "行业门类", "企业规模", "登记状态", "成立日期", "联系人", "联系电话", "备注", "法人"]

    func code(_ n: Int) -> String { USCC.synthetic(n, prefix: "913707") }

    /// Rows in canonical form (fast) and in every spelling and error the slow path handles.
    func rows() -> (csv: String, canonical: Int) {
        var lines = [header.joined(separator: ",")]
        var canonical = 0
        for i in 0..<300 {
            lines.append("\(code(i)),青山示范企业\(i)有限公司,城关街道,C,小型,存续,2019-03-05,张三,13800000000,\"重点,企业\",李四")
            canonical += 1
        }
        lines.append("\(code(1000)),甲,370799101,a,微型,在业,2020-02-29,,,,")  // lowercase letter, leap day
        lines.append("\(code(1001)),乙,370799001001,制造业,,,,,,\"说\"\"明\"\"\",")  // 12-digit code, name of section, quotes
        lines.append("\(code(1002)),丙,,,,,,,,,")
        lines.append("\(code(1003)),\"多\n行\",,,,,,,,\"\u{1}控制\",")
        canonical += 4
        let slow = [
            " \(code(2000)),丁,,,,,,,,,",  // leading space
            "\(code(2001)),戊　,,,,,,,,,",  // trailing full-width space
            "\(code(2002)),己,,,,,2019/3/5,,,,",  // other date spelling
            "\(code(2003)),庚,,,,,2019年3月5日,,,,",
            "\(code(2004)),辛,,,,,2019-02-30,,,,",  // no such day
            "\(code(2005)),壬,火星镇,,,,,,,,",
            "\(code(2006)),癸,,Z,,,,,,,",
            "\(code(2007)),子,,,巨型,,,,,,",
            "\(code(2008)),丑,,,,倒闭,,,,,",
            "\(code(0)),寅,,,,,,,,,",  // duplicate of the first row
            "91350100M000100Y44,卯,,,,,,,,,",  // wrong check character
            "\(code(2009).lowercased()),辰,,,,,,,,,",
            "\(code(2010)),,,,,,,,,,",  // no name
            ",,,,,,,,,,",  // blank
            "\(code(2011)),\(String(repeating: "长", count: 80)),,,,,,,,,",  // 240 bytes, 80 characters: valid
            "\(code(2012)),\(String(repeating: "长", count: 201)),,,,,,,,,",
            "\(code(2013)),巳,３７０７９９００１,,,,,,,,",
            "\(code(2014)),午,\"370799001\r\n1\",,,,,,,,",
        ]
        lines.append("\(code(2015)),未")  // a short row and one with more cells than headers are still canonical
        lines.append("\(code(2016)),申,,,,,,,,,,多余")
        canonical += 2
        lines += slow
        return (lines.joined(separator: "\r\n") + "\r\n", canonical)
    }

    struct Outcome {
        var batch = RegisterRowBatch()
        var problems: [RowProblem] = []
        var fast = 0
        var blank = 0
    }

    func run(_ csv: String, fast useFast: Bool, existing: Set<String> = []) throws -> Outcome {
        var records: [ByteRecord] = []
        var parser = CSVRecordParser()
        let bytes = Array(csv.utf8)
        // Fed in small uneven pieces so records and quotes cross chunk boundaries.
        var start = 0
        var step = 1
        while start < bytes.count {
            let end = min(bytes.count, start + step)
            bytes[start..<end].withUnsafeBufferPointer { parser.feed($0) { records.append($0) } }
            start = end
            step = step % 97 + 13
        }
        parser.finish { records.append($0) }
        var validator = try EnterpriseRegister.RowValidator.make(header: records[0].strings, townships: townships, existing: existing).get()
        var out = Outcome()
        for (i, record) in records.enumerated().dropFirst() {
            if useFast && validator.checkBytes(record, rowNumber: i + 1, into: &out.batch) {
                out.fast += 1
                continue
            }
            switch validator.check(record.strings, rowNumber: i + 1) {
            case .valid(let r): out.batch.append(r)
            case .invalid(let p): out.problems += p
            case .blank: out.blank += 1
            }
        }
        return out
    }

    func cells(_ b: RegisterRowBatch) -> [[String?]] {
        (0..<b.count).map { r in (0..<RegisterRowBatch.columns).map { b.string(row: r, column: $0) } }
    }

    @Test("the fast path stores exactly what the full check stores and reports the same problems")
    func parity() throws {
        let (csv, canonical) = rows()
        let fast = try run(csv, fast: true)
        let slow = try run(csv, fast: false)
        #expect(fast.fast == canonical)
        #expect(cells(fast.batch) == cells(slow.batch))
        #expect(fast.problems == slow.problems)
        #expect(fast.blank == 1)
        #expect(!slow.problems.isEmpty)
        let first = cells(fast.batch)[0]
        #expect(first == [code(0), "青山示范企业0有限公司", "370799001", "C", "小型", "存续", "2019-03-05", "张三", "13800000000", #"{"备注":"重点,企业","法人":"李四"}"#])
        // The extra attributes are JSON a decoder reads back, control characters included.
        for row in cells(fast.batch) {
            let json = try #require(row[9])
            _ = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        }
    }

    @Test("codes already in the snapshot and repeated codes fall to the full check with its message")
    func duplicates() throws {
        let (csv, _) = rows()
        let out = try run(csv, fast: true, existing: [code(5)])
        #expect(out.problems.contains { $0.row == 7 && $0.reason == "已在名单中" })
        #expect(out.problems.contains { $0.reason == "与第 2 行重复" })
    }

    @Test("invalid UTF-8 is never stored as is")
    func invalidUTF8() throws {
        var validator = try EnterpriseRegister.RowValidator.make(header: header, townships: townships, existing: []).get()
        var record = ByteRecord()
        var parser = CSVRecordParser()
        let bytes: [UInt8] = Array("\(code(1)),".utf8) + [0xE9, 0x9D] + Array(",,,,,,,,,\n".utf8)
        bytes.withUnsafeBufferPointer { parser.feed($0) { record = $0 } }
        var batch = RegisterRowBatch()
        #expect(!validator.checkBytes(record, rowNumber: 2, into: &batch))
        #expect(batch.isEmpty)
    }

    @Test("the tally of a batch by township × industry × size equals a count of its cells read back; tallies of two halves add up")
    func tally() throws {
        let (csv, _) = rows()
        for fast in [true, false] {
            let batch = try run(csv, fast: fast).batch
            // Counted independently: each stored row's three cells as text.
            var expected: [RegisterTally.Group: Int] = [:]
            for row in cells(batch) { expected[RegisterTally.Group(township: row[2], industry: row[3], size: row[4]), default: 0] += 1 }
            var tally = RegisterTally()
            tally.add(batch)
            #expect(tally.groups == expected)
            #expect(tally.groups.values.reduce(0, +) == batch.count)
            #expect(tally.groups[RegisterTally.Group(township: "370799001", industry: "C", size: "小型")] == 300)
            // Empty and missing cells stay apart from any text (a null township is its own group).
            #expect(tally.groups.keys.contains { $0.township == nil && $0.industry == nil && $0.size == nil })
            // Stored counts merged with a later import's.
            let twice = tally.merged(into: expected)
            #expect(twice.values.reduce(0, +) == 2 * batch.count)
            #expect(twice[RegisterTally.Group(township: "370799001", industry: "C", size: "小型")] == 600)
        }
    }

    @Test("credit codes sorted as packed words come out in string order, other lengths included")
    func packedSort() {
        var codes = (0..<2000).map { code($0 * 7919 % 2000) } + ["A-OLD", "0000", code(5)]
        codes.shuffle()
        #expect(Array(EnterpriseRegister.SortedCodes(codes)) == codes.sorted())
        #expect(EnterpriseRegister.PackedCode("青山县示范企业代码十八位字符") == nil)
        // Slices of one joined string (the PostgreSQL frame arrives so), read in place.
        let joined = (codes + ["ÄBCDEFGHIJKLMNOPQ"]).joined(separator: ",")
        #expect(Array(EnterpriseRegister.SortedCodes(joined.split(separator: ","))) == (codes + ["ÄBCDEFGHIJKLMNOPQ"]).sorted())
        #expect(Array(EnterpriseRegister.SortedCodes(joined: joined)) == (codes + ["ÄBCDEFGHIJKLMNOPQ"]).sorted())
        #expect(Array(EnterpriseRegister.SortedCodes(joined: ",\(codes[0]),,\(codes[1]),")) == [codes[0], codes[1]].sorted())
        #expect(EnterpriseRegister.SortedCodes(joined: "").isEmpty)
    }
}

@Suite("Duplicate check table")
struct CodeRowsTests {
    @Test("keeps the first row of each code through growth; a repeated code gets the first row back, unchanged")
    func firstRowKept() {
        var table = EnterpriseRegister.CodeRows()
        let codes = (0..<5_000).map { USCC.synthetic($0, prefix: "913707") }
        for (i, c) in codes.enumerated() {
            #expect(table.insert(EnterpriseRegister.USCCKey(c), row: Int32(i + 2)) == nil)
        }
        #expect(table.count == codes.count)
        // Grown from 16 slots many times over: every code still finds its own row.
        #expect(codes.enumerated().allSatisfy { table[EnterpriseRegister.USCCKey($1)] == Int32($0 + 2) })
        #expect(table.insert(EnterpriseRegister.USCCKey(codes[77]), row: 9_999) == 79)
        #expect(table[EnterpriseRegister.USCCKey(codes[77])] == 79)
        #expect(table.count == codes.count)
        // Codes that differ only after the ninth character (the second word) are different keys.
        #expect(table[EnterpriseRegister.USCCKey(USCC.synthetic(5_000, prefix: "913707"))] == nil)
        var reserved = EnterpriseRegister.CodeRows(capacity: 10)
        reserved.reserve(1_000)
        #expect(reserved.insert(EnterpriseRegister.USCCKey(codes[0]), row: 2) == nil)
        #expect(reserved[EnterpriseRegister.USCCKey(codes[1])] == nil)
    }
}

@Suite("Byte lookup table of the fast path")
struct ByteTableTests {
    @Test("finds what a search from the front finds, on random lists with repeats, prefixes and empty strings")
    func sameAsLinearSearch() {
        var rng = SystemRandomNumberGenerator()
        let pool: [[UInt8]] = ["白马镇", "青山镇", "东城街道", "370799001", "370799002", "3707990", "", "小型", "微型", "H", "在业"].map { Array($0.utf8) }
        for _ in 0..<500 {
            let keys = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pool.randomElement(using: &rng) ?? [] }
            let table = ByteTable(keys)
            for probe in pool + [Array("白马".utf8), Array("370799001000".utf8)] {
                let found = probe.withUnsafeBufferPointer { table.index(of: $0) }
                #expect(found == keys.firstIndex(of: probe), "\(keys.map { String(decoding: $0, as: UTF8.self) }) \(String(decoding: probe, as: UTF8.self))")
            }
        }
    }
}
