import Foundation
import YingshangCore

/// All filings of a campaign as a workbook, one sheet per indicator, which doubles as the import template:
/// row 1 names the indicator, row 2 the state and version, row 3 the headers, answers in column D.
public enum FilingWorkbook {
    public struct Entry: Sendable {
        public let indicator: IndicatorSpec
        public let answers: [String: String]
        public let state: String
        public let version: Int
        public let attachments: [String: Int]

        public init(indicator: IndicatorSpec, answers: [String: String], state: String, version: Int, attachments: [String: Int]) {
            self.indicator = indicator
            self.answers = answers
            self.state = state
            self.version = version
            self.attachments = attachments
        }
    }

    static let header = ["题目代码", "维度", "题干", "答案", "关联二级指标", "附件数"]

    public static func sheets(_ entries: [Entry]) -> [Sheet] {
        entries.map { e in
            var rows: [[Cell]] = [
                [.text("指标代码"), .text(e.indicator.code), .text(e.indicator.nameZh)],
                [.text("状态"), .text(e.state), .text("版本"), .number(Double(e.version))],
                header.map(Cell.text),
            ]
            let subs = Dictionary(uniqueKeysWithValues: e.indicator.subIndicators.map { ($0.code, $0) })
            for item in e.indicator.questionnaire {
                let sub = item.subIndicatorCode.flatMap { subs[$0] }
                rows.append([
                    .text(item.code), .text(item.dimension.chineseName), .text(item.text),
                    (e.answers[item.code]).map(Cell.text) ?? .empty,
                    .text(sub.map { "\($0.nameZh)\($0.unit.map { "（\($0)）" } ?? "")" } ?? ""),
                    .number(Double(e.attachments[item.code] ?? 0)),
                ])
            }
            return Sheet(name: e.indicator.code, rows: rows)
        }
    }

    public struct Parsed: Sendable, Equatable {
        public let indicatorCode: String
        public let version: Int
        public let answers: [String: String]
    }

    /// Reads answers back; every problem names the sheet, row and column. `indicators` are the campaign's.
    public static func parse(_ sheets: [Sheet], indicators: [String: IndicatorSpec]) -> (parsed: [Parsed], problems: [String]) {
        var parsed: [Parsed] = []
        var problems: [String] = []
        for sheet in sheets {
            let at = "工作表“\(sheet.name)”"
            let code = sheet.rows.first.flatMap { $0.count > 1 ? $0[1].string : nil } ?? ""
            guard let ind = indicators[code] else {
                problems.append("\(at) 第 1 行 B 列：指标代码“\(code)”不在本次评价中")
                continue
            }
            let versionCell = sheet.rows.count > 1 && sheet.rows[1].count > 3 ? sheet.rows[1][3] : .empty
            guard case .number(let v) = versionCell else {
                problems.append("\(at) 第 2 行 D 列：缺少版本号（请使用导出的文件填写）")
                continue
            }
            let items = Dictionary(uniqueKeysWithValues: ind.questionnaire.map { ($0.code, $0) })
            let subs = Dictionary(uniqueKeysWithValues: ind.subIndicators.map { ($0.code, $0) })
            var answers: [String: String] = [:]
            for (i, row) in sheet.rows.enumerated().dropFirst(3) {
                let itemCode = row.first?.string ?? ""
                if itemCode.isEmpty { continue }
                guard let item = items[itemCode] else {
                    problems.append("\(at) 第 \(i + 1) 行 A 列：问卷中没有题目“\(itemCode)”")
                    continue
                }
                let value = row.count > 3 ? row[3].string.trimmingCharacters(in: .whitespacesAndNewlines) : ""
                if let p = AnswerValidation.problem(value, item: item, sub: item.subIndicatorCode.flatMap { subs[$0] }) {
                    problems.append("\(at) 第 \(i + 1) 行 D 列（\(itemCode)）：\(p)")
                    continue
                }
                if !value.isEmpty { answers[itemCode] = value }
            }
            parsed.append(Parsed(indicatorCode: code, version: Int(v), answers: answers))
        }
        return (parsed, problems)
    }
}
