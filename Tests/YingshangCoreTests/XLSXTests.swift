import Foundation
import Testing
import YingshangCore
@testable import YingshangOffice

@Suite("Spreadsheets")
struct XLSXTests {
    @Test("cells survive a write and read: Chinese, numbers, newlines, gaps, XML specials")
    func roundTrip() throws {
        let sheets = [
            Sheet(name: "指标", rows: [[.text("代码"), .text("名称")], [.text("a&b<c>"), .number(0.1)], [.empty, .text("第一行\n第二行")]]),
            Sheet(name: "第二页", rows: [[.number(-3.5), .number(1e-7), .number(42)]]),
        ]
        let read = try XLSX.read(try XLSX.write(sheets))
        #expect(read.map(\.name) == ["指标", "第二页"])
        #expect(read[0].rows[1] == [.text("a&b<c>"), .number(0.1)])
        #expect(read[0].rows[2] == [.empty, .text("第一行\n第二行")])
        #expect(read[1].rows[0] == [.number(-3.5), .number(1e-7), .number(42)])
    }

    @Test("a file that is not a spreadsheet gives a Chinese error")
    func notXLSX() {
        #expect(throws: XLSX.ReadError.self) { try XLSX.read(Data("hello".utf8)) }
    }

    @Test("the national catalog round-trips through XLSX unchanged")
    func catalogRoundTrip() throws {
        let data = try XLSX.write(CatalogWorkbook.sheets(NationalCatalog.catalog))
        let back = try CatalogWorkbook.catalog(from: XLSX.read(data))
        #expect(back == NationalCatalog.catalog)
    }

    @Test("bad cells are reported by sheet, row and column; nothing is returned")
    func badCells() throws {
        var sheets = CatalogWorkbook.sheets(NationalCatalog.catalog)
        sheets[1].rows[1][7] = .text("很快")  // 最优值
        sheets[1].rows[2][4] = .text("percent")  // 类型
        do {
            _ = try CatalogWorkbook.catalog(from: XLSX.read(XLSX.write(sheets)))
            Issue.record("expected problems")
        } catch let p as CatalogWorkbook.Problems {
            #expect(p.messages.contains("工作表“二级指标”第 2 行 最优值：“很快”不是数字"))
            #expect(p.messages.contains { $0.hasPrefix("工作表“二级指标”第 3 行 类型") })
        }
    }

    @Test("CSV has a BOM, CRLF, quoting, and neutralises formulas")
    func csv() {
        let data = CSVWriter.write([["名称", "说明"], ["a,b", "say \"hi\""], ["=SUM(A1)", "-5"]])
        let text = String(decoding: data, as: UTF8.self)
        #expect(data.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(text.contains("\"a,b\",\"say \"\"hi\"\"\"\r\n"))
        #expect(text.contains("'=SUM(A1),-5\r\n"))
    }

    @Test("a hostile field that also needs quoting is neutralised before it is quoted", arguments: [
        ("=HYPERLINK(\"http://x.example/?a=1\",\"点此\")", "\"'=HYPERLINK(\"\"http://x.example/?a=1\"\",\"\"点此\"\")\""),
        ("+cmd|' /C calc'!A0,x", "\"'+cmd|' /C calc'!A0,x\""),
        ("-2+3,4", "\"'-2+3,4\""),
        ("@SUM(1,2)", "\"'@SUM(1,2)\""),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "\"'\r=1+1\""),
        ("-12.5", "-12.5"),
        ("普通,文本", "\"普通,文本\""),
        // A Windows line break inside a cell is one Character; it must still be quoted or the row splits in two.
        ("第一行\r\n第二行", "\"第一行\r\n第二行\""),
        ("无需引号", "无需引号"),
    ])
    func csvNeutralisesBeforeQuoting(field: String, expected: String) {
        let text = String(decoding: CSVWriter.write([[field]]), as: UTF8.self)
        #expect(text == "\u{FEFF}" + expected + "\r\n")
    }

    @Test("a line appended in place equals the fields quoted one by one and joined, on random fields")
    func csvAppendAgreesWithQuote() {
        let pieces = ["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", ",", "\"", "'", "1", ".", "5", "中", "e\u{301}", " ", "😀"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let row = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                (0..<Int.random(in: 0...5, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "1" }.joined()
            }
            var text = "前"
            CSVWriter.appendLine(row, to: &text)
            #expect(text == "前" + row.map(CSVWriter.quote).joined(separator: ",") + "\r\n", "\(row)")
        }
    }
}

@Suite("Filing workbook")
struct FilingWorkbookTests {
    let ind = NationalCatalog.indicators[0]

    @Test("export then parse returns the answers and version; bad cells name sheet, row and column")
    func roundTrip() throws {
        let sheets = FilingWorkbook.sheets([.init(indicator: ind, answers: ["q1": "3", "q6": "已免费"], state: "draft", version: 4, attachments: [:])])
        let read = try XLSX.read(try XLSX.write(sheets))
        let (parsed, problems) = FilingWorkbook.parse(read, indicators: [ind.code: ind])
        #expect(problems.isEmpty)
        #expect(parsed == [.init(indicatorCode: "starting_business", version: 4, answers: ["q1": "3", "q6": "已免费"])])

        var bad = read
        bad[0].rows[3][3] = .text("三个")
        let (_, p) = FilingWorkbook.parse(bad, indicators: [ind.code: ind])
        #expect(p == ["工作表“starting_business” 第 4 行 D 列（q1）：应填写数字（单位：个）"])
        let (_, unknown) = FilingWorkbook.parse(read, indicators: [:])
        #expect(unknown.first?.contains("不在本次评价中") == true)
    }
}
