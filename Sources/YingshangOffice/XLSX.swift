import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A cell value in a spreadsheet.
public enum Cell: Equatable, Sendable {
    case text(String)
    case number(Double)
    case empty

    /// The cell as text, the way a user typed it (numbers without a trailing ".0").
    public var string: String {
        switch self {
        case .text(let s): return s
        case .number(let d): return XLSX.format(d)
        case .empty: return ""
        }
    }
}

public struct Sheet: Equatable, Sendable {
    public var name: String
    public var rows: [[Cell]]

    public init(name: String, rows: [[Cell]]) {
        self.name = name
        self.rows = rows
    }
}

/// Minimal Office Open XML spreadsheet writer and reader: inline strings and numbers, several sheets.
/// Enough for exports that Excel/WPS open and for imports of files saved by Excel, WPS or LibreOffice.
public enum XLSX {
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a workbook from outside may inflate to. A 2 MB file can hold a sheet that inflates to gigabytes (a
    /// "zip bomb"), so every part is counted while it is inflated and refused as soon as it passes a bound; cells,
    /// columns and rows are bounded while the sheet is parsed. The figures are Excel's own limits where it has
    /// one (32,767 characters a cell, 16,384 columns, 1,048,576 rows).
    public enum Limits {
        /// A sheet or shared-strings part streamed through a temporary file (a million-row register is ~300 MB).
        public static let streamedPartBytes: Int64 = 1 << 30
        /// A part read into memory (workbook, relationships, and the sheets of `read`: catalogs, answers, records).
        public static let inMemoryPartBytes: Int64 = 64 << 20
        /// Inflated bytes per compressed byte; real spreadsheets stay far below (XML compresses ~5–20 : 1).
        public static let compressionRatio: Int64 = 100
        /// The ratio is only checked past this size, so a small, very regular part is never refused.
        public static let ratioGraceBytes: Int64 = 16 << 20
        public static let cellCharacters = 32_767
        public static let columns = 16_384
        public static let rows = 1_048_576
        /// Text of one row, all cells together (a register row is under 4 KB).
        public static let rowBytes = 4 << 20
    }

    static func megabytes(_ bytes: Int64) -> String { "\(bytes >> 20) MB" }

    public static func format(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    // MARK: Writing

    public static func write(_ sheets: [Sheet]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        func add(_ path: String, _ text: String) throws { try addPart(path, text, to: archive) }
        let names = uniqueSheetNames(sheets.map(\.name))
        try add("[Content_Types].xml", contentTypes(count: sheets.count))
        try add(
            "_rels/.rels",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        )
        try add("xl/workbook.xml", workbook(names))
        try add("xl/_rels/workbook.xml.rels", workbookRels(count: sheets.count))
        try add("xl/styles.xml", styles)
        for (i, sheet) in sheets.enumerated() {
            try add("xl/worksheets/sheet\(i + 1).xml", worksheet(sheet))
        }
        guard let data = archive.data else { throw ReadError(description: "无法生成 XLSX 文件") }
        return data
    }

    /// A deflated text part of a package.
    static func addPart(_ path: String, _ text: String, to archive: Archive) throws {
        let data = Data(text.utf8)
        try archive.addEntry(
            with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
            provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
    }

    /// Excel limits sheet names to 31 characters without []:*?/\ and unique.
    static func uniqueSheetNames(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.enumerated().map { i, raw in
            var name = String(raw.filter { !"[]:*?/\\".contains($0) }.prefix(31))
            if name.isEmpty { name = "Sheet\(i + 1)" }
            var candidate = name
            var n = 2
            while used.contains(candidate) {
                candidate = String(name.prefix(28)) + "(\(n))"
                n += 1
            }
            used.insert(candidate)
            return candidate
        }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 forbids most control characters.
                if scalar.value < 0x20 { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    static func columnIndex(_ letters: Substring) -> Int {
        letters.reduce(0) { $0 * 26 + Int($1.asciiValue ?? 65) - 64 } - 1
    }

    static func contentTypes(count: Int) -> String {
        var s = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        for i in 1...max(count, 1) where i <= count {
            s += #"<Override PartName="/xl/worksheets/sheet\#(i).xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        }
        return s + "</Types>"
    }

    static func workbook(_ names: [String]) -> String {
        var s = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#
        for (i, name) in names.enumerated() {
            s += #"<sheet name="\#(escape(name))" sheetId="\#(i + 1)" r:id="rId\#(i + 1)"/>"#
        }
        return s + "</sheets></workbook>"
    }

    static func workbookRels(count: Int) -> String {
        var s = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        for i in 0..<count {
            s += #"<Relationship Id="rId\#(i + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet\#(i + 1).xml"/>"#
        }
        s += #"<Relationship Id="rId\#(count + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#
        return s + "</Relationships>"
    }

    /// Style 1 is bold with wrap, used for the header row.
    static let styles =
        #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf fontId="0"/><xf fontId="1" applyFont="1"/></cellXfs></styleSheet>"#

    static func worksheet(_ sheet: Sheet) -> String {
        var s = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
        if sheet.rows.count > 1 {
            s += #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        }
        s += "<sheetData>"
        for (r, row) in sheet.rows.enumerated() {
            s += "<row r=\"\(r + 1)\">"
            for (c, cell) in row.enumerated() {
                let ref = columnName(c) + String(r + 1)
                let style = r == 0 ? " s=\"1\"" : ""
                switch cell {
                case .text(let t):
                    s += "<c r=\"\(ref)\" t=\"inlineStr\"\(style)><is><t xml:space=\"preserve\">\(escape(t))</t></is></c>"
                case .number(let d):
                    s += "<c r=\"\(ref)\"\(style)><v>\(d.isFinite ? "\(d)" : "0")</v></c>"
                case .empty:
                    continue
                }
            }
            s += "</row>"
        }
        return s + "</sheetData></worksheet>"
    }

    // MARK: Reading

    /// Reads every sheet: cell text (shared, inline or formula string) or number; gaps become `.empty`.
    public static func read(_ data: Data) throws -> [Sheet] {
        let book = try OpenWorkbook(.data(data))
        var sheets: [Sheet] = []
        for (name, path) in book.sheets {
            guard let xml = try book.part(path) else { continue }
            var rows: [[Cell]] = []
            try RowStreamParser.rows(of: XMLParser(data: xml), shared: book.shared) { rows.append($0); return true }
            while rows.last?.isEmpty == true { rows.removeLast() }
            sheets.append(Sheet(name: name, rows: rows))
        }
        return sheets
    }
}

extension XLSX {
    /// Where a workbook comes from.
    public enum Source: Sendable {
        case data(Data)
        case file(URL)
    }

    /// The rows of the first sheet, one at a time, as text (numbers as typed), with an empty row for each row the
    /// sheet skips, so row numbers match Excel's. The sheet's XML is inflated into a temporary file and parsed as a
    /// stream: a sheet of a million rows never sits in memory (its shared strings do, packed). `body` returns false to stop.
    public static func forEachRow(of source: Source, _ body: ([String]) throws -> Bool) throws {
        let book = try OpenWorkbook(source)
        guard let path = book.sheets.first?.path else { throw ReadError(description: "XLSX 文件中没有工作表（文件可能已损坏，请在 Excel 中另存后再导入）") }
        guard let entry = book.archive[path] else { throw ReadError(description: "XLSX 文件缺少工作表 \(path)") }
        let sheetFile = FileManager.default.temporaryDirectory.appendingPathComponent("yingshang-sheet-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: sheetFile) }
        try book.inflate(entry, to: sheetFile)
        guard let parser = XMLParser(contentsOf: sheetFile) else { throw ReadError(description: "无法读取 XLSX 工作表") }
        try RowStreamParser.rows(of: parser, shared: book.shared) { try body($0.map(\.string)) }
    }
}

extension XLSX {
    /// Data rows of the first sheet (the header row not counted), for a progress bar: from the sheet's
    /// `<dimension ref="A1:I1000001"/>` in the first 64 KB of the sheet, or from its size and the length of the rows
    /// there. Nil if the workbook cannot be opened.
    public static func estimatedRows(of source: Source) -> Int? {
        guard let book = try? OpenWorkbook(source, sharedStrings: false), let path = book.sheets.first?.path,
            let entry = book.archive[path]
        else { return nil }
        struct Enough: Error {}
        var head = Data()
        do {
            _ = try book.archive.extract(entry, skipCRC32: true) { chunk in
                head.append(chunk)
                if head.count >= 65_536 { throw Enough() }
            }
        } catch {}
        let text = String(decoding: head.prefix(65_536), as: UTF8.self)
        if let dimension = text.range(of: "dimension ref=\""),
            let end = text[dimension.upperBound...].firstIndex(of: "\"")
        {
            let ref = text[dimension.upperBound..<end]
            let last = ref.split(separator: ":").last.map { $0.drop { $0.isLetter } }
            if let rows = last.flatMap({ Int($0) }), rows > 1 { return rows - 1 }
        }
        // No dimension: the sheet's size over the bytes per row in its first 64 KB (each row ends in `row>`).
        let ended = text.components(separatedBy: "row>").count - 1
        let perRow = ended > 1 ? max(1, text.utf8.count / ended) : 250
        return max(1, Int(entry.uncompressedSize) / perRow - 1)
    }
}

/// A workbook opened for reading: its sheets in order (name and part path) and its shared strings.
private struct OpenWorkbook {
    let archive: Archive
    let sheets: [(name: String, path: String)]
    let shared: SharedStrings

    /// The whole file's size: no part can honestly be compressed into more bytes than the file has.
    let fileBytes: Int64

    init(_ source: XLSX.Source, sharedStrings: Bool = true) throws {
        do {
            switch source {
            case .data(let data):
                archive = try Archive(data: data, accessMode: .read)
                fileBytes = Int64(data.count)
            case .file(let url):
                archive = try Archive(url: url, accessMode: .read)
                let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
                fileBytes = size ?? Int64.max
            }
        } catch {
            throw XLSX.ReadError(description: "不是有效的 XLSX 文件（无法按 ZIP 格式读取）")
        }
        guard let workbook = try Self.part("xl/workbook.xml", of: archive, fileBytes: fileBytes) else {
            throw XLSX.ReadError(description: "不是有效的 XLSX 文件（缺少 xl/workbook.xml）")
        }
        let rels = try Self.part("xl/_rels/workbook.xml.rels", of: archive, fileBytes: fileBytes).map(RelsParser.parse) ?? [:]
        sheets = WorkbookParser.parse(workbook).compactMap { name, rid in
            guard var target = rels[rid] else { return nil }
            if target.hasPrefix("/") { target.removeFirst() } else { target = "xl/" + target }
            return (name, target)
        }
        if sharedStrings, let entry = archive["xl/sharedStrings.xml"] {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("yingshang-strings-\(UUID().uuidString).xml")
            defer { try? FileManager.default.removeItem(at: file) }
            try Self.inflate(entry, of: archive, fileBytes: fileBytes, to: file)
            shared = try SharedStringsParser.parse(file)
        } else {
            shared = SharedStrings()
        }
    }

    func part(_ path: String) throws -> Data? { try Self.part(path, of: archive, fileBytes: fileBytes) }

    func inflate(_ entry: Entry, to file: URL) throws {
        try Self.inflate(entry, of: archive, fileBytes: fileBytes, to: file)
    }

    private static func part(_ path: String, of archive: Archive, fileBytes: Int64) throws -> Data? {
        guard let entry = archive[path] else { return nil }
        var out = Data()
        var budget = InflateBudget(entry, fileBytes: fileBytes, limit: XLSX.Limits.inMemoryPartBytes)
        try inflating {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                try budget.add(chunk.count)
                out.append(chunk)
            }
        }
        return out
    }

    /// Inflates a part into a file, counting as it goes: refused past the size or ratio bound, not after.
    private static func inflate(_ entry: Entry, of archive: Archive, fileBytes: Int64, to file: URL) throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: file)
        else { throw XLSX.ReadError(description: "无法写入临时文件") }
        defer { try? handle.close() }
        var budget = InflateBudget(entry, fileBytes: fileBytes, limit: XLSX.Limits.streamedPartBytes)
        try inflating {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                try budget.add(chunk.count)
                try handle.write(contentsOf: chunk)
            }
        }
    }
}

/// Counts the bytes a part inflates to and stops at the first bound passed, with the limit named in Chinese.
private struct InflateBudget {
    let path: String
    let compressed: Int64
    let limit: Int64
    var seen: Int64 = 0

    init(_ entry: Entry, fileBytes: Int64, limit: Int64) {
        path = entry.path
        // The declared compressed size is the sender's word; the file's size bounds it.
        compressed = max(1, min(Int64(clamping: entry.compressedSize), fileBytes))
        self.limit = limit
    }

    mutating func add(_ count: Int) throws {
        seen += Int64(count)
        if seen > limit {
            throw XLSX.ReadError(
                description: "XLSX 文件中的 \(path) 解压后超过 \(XLSX.megabytes(limit)) 的上限，已拒绝（请拆分文件或改用 CSV）")
        }
        if seen > XLSX.Limits.ratioGraceBytes && seen > compressed * XLSX.Limits.compressionRatio {
            throw XLSX.ReadError(
                description: "XLSX 文件中的 \(path) 压缩比超过 \(XLSX.Limits.compressionRatio):1 的上限（疑似压缩炸弹），已拒绝")
        }
    }
}

/// Runs a decompression; the zip library's own errors (English, technical) become one Chinese message.
private func inflating(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as XLSX.ReadError {
        throw error
    } catch {
        throw XLSX.ReadError(description: "XLSX 文件已损坏或不完整，无法解压（请在 Excel 中另存后再导入）")
    }
}

/// An element's name without its namespace prefix (`x:row` → `row`): some generators prefix every element.
private func xmlLocalName(_ name: String) -> Substring {
    name.lastIndex(of: ":").map { name[name.index(after: $0)...] } ?? name[...]
}

/// Hands each `<row>` of a sheet to `body` as soon as it ends, with an empty row for each row the sheet skips.
private final class RowStreamParser: NSObject, XMLParserDelegate {
    let shared: SharedStrings
    let body: ([Cell]) throws -> Bool
    var failure: (any Error)?
    var stopped = false
    /// The 0-based index the next row handed out has.
    var next = 0
    var rowIndex = 0
    var colIndex = 0
    var cells: [Int: Cell] = [:]
    var type = ""
    var value = ""
    var collecting = false
    var rowBytes = 0

    init(shared: SharedStrings, body: @escaping ([Cell]) throws -> Bool) {
        self.shared = shared
        self.body = body
    }

    /// Runs `parser` over a sheet; `body` returns false to stop. Throws what `body` threw, or a Chinese error for
    /// XML that does not parse.
    static func rows(of parser: XMLParser, shared: SharedStrings, _ body: ([Cell]) throws -> Bool) throws {
        // The parser only calls `body` while `parse()` runs.
        try withoutActuallyEscaping(body) { body in
            let delegate = RowStreamParser(shared: shared, body: body)
            parser.delegate = delegate
            let ok = parser.parse()
            parser.delegate = nil
            if let failure = delegate.failure { throw failure }
            if !ok && !delegate.stopped {
                throw XLSX.ReadError(description: "XLSX 工作表无法解析（第 \(parser.lineNumber) 行 XML 有误）")
            }
        }
    }

    private func emit(_ row: [Cell], _ parser: XMLParser) -> Bool {
        do {
            if try body(row) { return true }
        } catch {
            failure = error
        }
        stopped = true
        parser.abortParsing()
        return false
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        guard !stopped else { return }
        switch xmlLocalName(name) {
        case "row":
            rowIndex = attributes["r"].flatMap(Int.init).map { $0 - 1 } ?? next
            colIndex = 0
            cells = [:]
            rowBytes = 0
            if rowIndex >= XLSX.Limits.rows {
                refuse("XLSX 工作表超过 \(XLSX.Limits.rows) 行的上限（第 \(rowIndex + 1) 行），已拒绝", parser)
            }
        case "c":
            if let ref = attributes["r"] {
                let letters = ref.prefix { $0.isLetter }
                colIndex = letters.count > 3 ? XLSX.Limits.columns : XLSX.columnIndex(letters)
            }
            if colIndex >= XLSX.Limits.columns {
                refuse("XLSX 工作表第 \(rowIndex + 1) 行超过 \(XLSX.Limits.columns) 列的上限，已拒绝", parser)
            }
            type = attributes["t"] ?? "n"
            value = ""
        case "v", "t":
            collecting = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard collecting, !stopped else { return }
        value += string
        rowBytes += string.utf8.count
        // Checked as the text arrives, so a cell of gigabytes is refused after a few hundred kilobytes.
        if value.utf8.count > XLSX.Limits.cellCharacters * 4 { refuseCell(parser) }
        if rowBytes > XLSX.Limits.rowBytes {
            refuse("XLSX 工作表第 \(rowIndex + 1) 行的内容超过 \(XLSX.Limits.rowBytes >> 20) MB 的上限，已拒绝", parser)
        }
    }

    private func refuseCell(_ parser: XMLParser) {
        refuse(
            "XLSX 工作表第 \(rowIndex + 1) 行 \(XLSX.columnName(colIndex)) 列的单元格超过 \(XLSX.Limits.cellCharacters) 个字符的上限，已拒绝",
            parser)
    }

    private func refuse(_ message: String, _ parser: XMLParser) {
        guard !stopped else { return }
        failure = XLSX.ReadError(description: message)
        stopped = true
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard !stopped else { return }
        switch xmlLocalName(name) {
        case "v", "t": collecting = false
        case "c":
            if value.count > XLSX.Limits.cellCharacters { return refuseCell(parser) }
            let cell: Cell
            switch type {
            case "s": cell = Int(value).flatMap { $0 < shared.count ? .text(shared[$0]) : nil } ?? .empty
            case "inlineStr", "str": cell = value.isEmpty ? .empty : .text(value)
            case "b": cell = .text(value == "1" ? "TRUE" : "FALSE")
            default: cell = Double(value).map(Cell.number) ?? (value.isEmpty ? .empty : .text(value))
            }
            if cell != .empty { cells[colIndex] = cell }
            colIndex += 1
        case "row":
            // Rows out of order cannot be streamed; no spreadsheet program writes them, so they are refused.
            guard rowIndex >= next else {
                failure = XLSX.ReadError(
                    description: "XLSX 工作表的行顺序错乱（第 \(rowIndex + 1) 行出现在第 \(next) 行之后），文件可能已损坏，请在 Excel 中另存后再导入")
                stopped = true
                parser.abortParsing()
                return
            }
            while next < rowIndex {
                guard emit([], parser) else { return }
                next += 1
            }
            let width = (cells.keys.max() ?? -1) + 1
            guard emit((0..<width).map { cells[$0] ?? .empty }, parser) else { return }
            next += 1
        default: break
        }
    }
}

private final class WorkbookParser: NSObject, XMLParserDelegate {
    var sheets: [(String, String)] = []

    static func parse(_ data: Data) -> [(String, String)] {
        let p = WorkbookParser()
        let parser = XMLParser(data: data)
        parser.delegate = p
        parser.parse()
        return p.sheets
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        guard name == "sheet" || name.hasSuffix(":sheet"), let sheetName = attributes["name"] else { return }
        let rid = attributes["r:id"] ?? attributes.first { $0.key.hasSuffix(":id") }?.value ?? ""
        sheets.append((sheetName, rid))
    }
}

private final class RelsParser: NSObject, XMLParserDelegate {
    var map: [String: String] = [:]

    static func parse(_ data: Data) -> [String: String] {
        let p = RelsParser()
        let parser = XMLParser(data: data)
        parser.delegate = p
        parser.parse()
        return p.map
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if name == "Relationship", let id = attributes["Id"], let target = attributes["Target"] { map[id] = target }
    }
}

/// A workbook's shared strings packed in one buffer: Excel keeps every distinct text of a workbook there, four
/// million of them for a million-row register, which as Swift strings took several hundred megabytes.
struct SharedStrings {
    private var bytes: [UInt8] = []
    private var ends: [UInt32] = []

    var count: Int { ends.count }

    mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        ends.append(UInt32(truncatingIfNeeded: bytes.count))
    }

    subscript(i: Int) -> String {
        let start = i == 0 ? 0 : Int(ends[i - 1])
        return String(decoding: bytes[start..<Int(ends[i])], as: UTF8.self)
    }
}

private final class SharedStringsParser: NSObject, XMLParserDelegate {
    var strings = SharedStrings()
    var current = ""
    var inText = false
    var inPhonetic = false

    /// Parsed from a temporary file as a stream: the part itself is often larger than the strings it holds.
    static func parse(_ file: URL) throws -> SharedStrings {
        guard let parser = XMLParser(contentsOf: file) else { throw XLSX.ReadError(description: "无法读取 XLSX 共享字符串") }
        let p = SharedStringsParser()
        parser.delegate = p
        let ok = parser.parse()
        parser.delegate = nil
        if let failure = p.failure { throw failure }
        if !ok { throw XLSX.ReadError(description: "XLSX 共享字符串无法解析（第 \(parser.lineNumber) 行 XML 有误）") }
        return p.strings
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch xmlLocalName(name) {
        case "si": current = ""
        case "rPh": inPhonetic = true
        case "t": inText = !inPhonetic
        default: break
        }
    }

    var failure: XLSX.ReadError?

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard inText, failure == nil else { return }
        current += string
        if current.utf8.count > XLSX.Limits.cellCharacters * 4 {
            failure = XLSX.ReadError(
                description: "XLSX 共享字符串第 \(strings.count + 1) 项超过 \(XLSX.Limits.cellCharacters) 个字符的上限，已拒绝")
            parser.abortParsing()
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch xmlLocalName(name) {
        case "t": inText = false
        case "rPh": inPhonetic = false
        case "si": strings.append(current)
        default: break
        }
    }
}

/// CSV for Excel users: UTF-8 with a BOM (so Excel detects Chinese correctly), CRLF, RFC 4180 quoting.
public enum CSVWriter {
    public static func write(_ rows: [[String]]) -> Data {
        var text = bom
        for row in rows {
            text += line(row)
        }
        return Data(text.utf8)
    }

    /// The byte-order mark that starts every file, for writers that stream their rows.
    public static let bom = "\u{FEFF}"

    /// One record with its CRLF, for writers that stream their rows.
    public static func line(_ row: [String]) -> String {
        var out = ""
        appendLine(row, to: &out)
        return out
    }

    /// `line` appended in place: a million-row export built each line from an array of quoted copies.
    public static func appendLine(_ row: [String], to out: inout String) {
        for (i, field) in row.enumerated() {
            if i > 0 { out.append(",") }
            appendQuoted(field, to: &out)
        }
        out.append("\r\n")
    }

    /// `quote` appended in place; the common field (nothing to neutralise or quote) is copied once.
    static func appendQuoted(_ field: String, to out: inout String) {
        let utf8 = field.utf8
        // The characters that start a formula are ASCII: the first byte is the first scalar's when it is one of them.
        let neutralise: Bool
        switch utf8.first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: neutralise = Double(field) == nil
        default: neutralise = false
        }
        guard neutralise || utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
            out.append(field)
            return
        }
        out.append(quote(field))
    }

    /// Neutralises first, then quotes: a field starting with = + - @, a tab or a carriage return would be run by
    /// Excel as a formula (e.g. `=HYPERLINK(...)`) whether or not it is quoted, so it gets a leading apostrophe.
    /// Plain numbers (-12.5) stay numbers.
    static func quote(_ field: String) -> String {
        var text = field
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil {
            text = "'" + text
        }
        // Scanned as bytes: comparing Characters costs a string comparison each (most of a million-row export),
        // and the one Character "\r\n" equals neither "\r" nor "\n", so such a field went out unquoted.
        if text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
