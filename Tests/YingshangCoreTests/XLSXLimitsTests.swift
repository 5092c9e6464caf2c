import Foundation
import Testing
import ZIPFoundation
@testable import YingshangOffice

/// Hostile workbooks: each is refused with a Chinese message naming the limit, by every reader, before it is
/// inflated or parsed whole.
@Suite("Spreadsheet limits")
struct XLSXLimitsTests {
    static let workbookXML =
        #"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    static let relsXML =
        #"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#

    /// A workbook whose first sheet is `head`, then `fill` repeated bytes (deflated to almost nothing), then `tail`.
    static func workbook(head: String, fill: Int = 0, tail: String = "", sharedStrings: String? = nil) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        try XLSX.addPart("xl/workbook.xml", workbookXML, to: archive)
        try XLSX.addPart("xl/_rels/workbook.xml.rels", relsXML, to: archive)
        if let sharedStrings { try XLSX.addPart("xl/sharedStrings.xml", sharedStrings, to: archive) }
        let (h, t) = (Data(head.utf8), Data(tail.utf8))
        let total = h.count + fill + t.count
        let space = Data(repeating: 0x20, count: 1 << 20)
        try archive.addEntry(
            with: "xl/worksheets/sheet1.xml", type: .file, uncompressedSize: Int64(total), compressionMethod: .deflate,
            provider: { position, size in
                var out = Data()
                var p = Int(position)
                while out.count < size {
                    let want = size - out.count
                    if p < h.count {
                        let n = min(want, h.count - p)
                        out.append(h.subdata(in: p..<p + n))
                        p += n
                    } else if p < h.count + fill {
                        let n = min(want, h.count + fill - p, space.count)
                        out.append(space.prefix(n))
                        p += n
                    } else {
                        let start = p - h.count - fill
                        let n = min(want, t.count - start)
                        out.append(t.subdata(in: start..<start + n))
                        p += n
                    }
                }
                return out
            })
        guard let data = archive.data else { throw XLSX.ReadError(description: "no archive data") }
        return data
    }

    static let sheetHead = #"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
    static let sheetTail = "</sheetData></worksheet>"

    /// The message each reader gives for `data`; nil if it was read.
    static func messages(_ data: Data) -> [String?] {
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let e as XLSX.ReadError {
                return e.description
            } catch {
                return "other error: \(error)"
            }
        }
        return [
            message { _ = try XLSX.read(data) },
            message { try XLSX.forEachRow(of: .data(data)) { _ in true } },
        ]
    }

    @Test("a sheet that inflates far beyond its compressed size is refused as a compression bomb")
    func compressionBomb() throws {
        // 40 MB of spaces deflate to about 40 KB: a ratio near 1000 : 1.
        let data = try Self.workbook(head: Self.sheetHead, fill: 40 << 20, tail: Self.sheetTail)
        #expect(data.count < 1 << 20)
        for message in Self.messages(data) {
            #expect(message?.contains("压缩比超过 100:1") == true, "\(message ?? "read")")
        }
        // The row estimate for the progress bar reads only the sheet's first 64 KB and survives it.
        #expect(XLSX.estimatedRows(of: .data(data)) != nil)
    }

    @Test("a cell longer than Excel's 32,767 characters is refused naming its row and column")
    func hugeCell() throws {
        let cell = String(repeating: "企", count: 40_000)
        let data = try Self.workbook(
            head: Self.sheetHead + #"<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c></row><row r="2"><c r="B2" t="inlineStr"><is><t>"# + cell
                + "</t></is></c></row>" + Self.sheetTail)
        for message in Self.messages(data) {
            #expect(message == "XLSX 工作表第 2 行 B 列的单元格超过 32767 个字符的上限，已拒绝")
        }
    }

    @Test("a row number past Excel's last row is refused before any empty row is produced")
    func rowPastLimit() throws {
        let data = try Self.workbook(head: Self.sheetHead + #"<row r="999999999"><c r="A999999999"><v>1</v></c></row>"# + Self.sheetTail)
        for message in Self.messages(data) {
            #expect(message == "XLSX 工作表超过 1048576 行的上限（第 999999999 行），已拒绝")
        }
    }

    @Test("a column past Excel's last column is refused")
    func columnPastLimit() throws {
        let data = try Self.workbook(head: Self.sheetHead + #"<row r="1"><c r="ZZZZZ1"><v>1</v></c></row>"# + Self.sheetTail)
        for message in Self.messages(data) {
            #expect(message == "XLSX 工作表第 1 行超过 16384 列的上限，已拒绝")
        }
    }

    @Test("a shared string longer than a cell may be is refused")
    func hugeSharedString() throws {
        let shared = #"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>ok</t></si><si><t>"#
            + String(repeating: "x", count: 200_000) + "</t></si></sst>"
        let data = try Self.workbook(
            head: Self.sheetHead + #"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"# + Self.sheetTail, sharedStrings: shared)
        for message in Self.messages(data) {
            #expect(message == "XLSX 共享字符串第 2 项超过 32767 个字符的上限，已拒绝")
        }
    }

    @Test("an ordinary workbook within the limits still reads, shared strings included")
    func withinLimits() throws {
        let shared = #"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>统一社会信用代码</t></si></sst>"#
        let data = try Self.workbook(
            head: Self.sheetHead + #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>12</v></c></row>"#, fill: 1 << 20,
            tail: Self.sheetTail, sharedStrings: shared)
        #expect(Self.messages(data) == [nil, nil])
        #expect(try XLSX.read(data).first?.rows == [[.text("统一社会信用代码"), .number(12)]])
    }
}
