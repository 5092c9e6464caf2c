import Foundation
import YingshangCore

/// The indicator catalog as a workbook of five sheets (指标, 二级指标, 选项, 问卷, 材料清单) and back.
/// Reading checks every cell and reports "工作表 X 第 N 行 列名：问题"; the result must then pass CatalogValidation.
public enum CatalogWorkbook {
    static let indicatorHeader = ["指标代码", "中文名称", "英文名称", "说明", "权重", "填报指引（Markdown）"]
    static let subHeader = ["指标代码", "二级指标代码", "中文名称", "英文名称", "类型", "单位", "方向", "最优值", "最差值", "权重", "需印证资料"]
    /// Optional trailing columns of 二级指标 for B-READY-style catalogs (workbooks written before them still read).
    static let subPillarHeader = ["支柱", "问卷题目代码", "问卷统计", "问卷题干"]
    static let optionHeader = ["指标代码", "二级指标代码", "选项", "分值"]
    static let itemHeader = ["指标代码", "题目代码", "维度", "题干", "填报说明", "关联二级指标"]
    /// Optional trailing columns of 问卷 (workbooks written before them still read).
    static let itemShapeHeader = ["答题方式", "单位"]
    static let docHeader = ["指标代码", "序号", "材料名称"]

    public static func sheets(_ catalog: Catalog) -> [Sheet] {
        func t(_ s: String?) -> Cell { s.map { $0.isEmpty ? .empty : .text($0) } ?? .empty }
        func n(_ d: Double?) -> Cell { d.map(Cell.number) ?? .empty }
        var indicators = [indicatorHeader.map(Cell.text)]
        var subs = [(subHeader + subPillarHeader).map(Cell.text)]
        var options = [optionHeader.map(Cell.text)]
        var items = [(itemHeader + itemShapeHeader).map(Cell.text)]
        var docs = [docHeader.map(Cell.text)]
        for ind in catalog.indicators {
            indicators.append([.text(ind.code), t(ind.nameZh), t(ind.nameEn), t(ind.description), .number(ind.weight), t(ind.guide.markdown)])
            for sub in ind.subIndicators {
                subs.append([
                    .text(ind.code), .text(sub.code), t(sub.nameZh), t(sub.nameEn), .text(sub.kind.rawValue), t(sub.unit),
                    t(sub.direction?.rawValue), n(sub.best), n(sub.worst), .number(sub.weight),
                    .text(sub.evidenceRequired ? "是" : "否"), t(sub.pillar?.rawValue), t(sub.survey?.item),
                    t(sub.survey?.statistic.rawValue), t(sub.survey?.question),
                ])
                for o in sub.options { options.append([.text(ind.code), .text(sub.code), t(o.label), .number(o.points)]) }
            }
            for item in ind.questionnaire {
                items.append([
                    .text(ind.code), .text(item.code), .text(item.dimension.rawValue), t(item.text), t(item.help),
                    t(item.subIndicatorCode), t(item.shape?.rawValue), t(item.unit),
                ])
            }
            for (i, d) in ind.guide.requiredDocuments.enumerated() {
                docs.append([.text(ind.code), .number(Double(i + 1)), t(d)])
            }
        }
        return [
            Sheet(name: "指标", rows: indicators), Sheet(name: "二级指标", rows: subs), Sheet(name: "选项", rows: options),
            Sheet(name: "问卷", rows: items), Sheet(name: "材料清单", rows: docs),
        ]
    }

    public struct Problems: Error, CustomStringConvertible {
        public let messages: [String]
        public var description: String { messages.joined(separator: "\n") }
    }

    /// Rebuilds a catalog; any cell problem fails the whole import (nothing is stored).
    public static func catalog(from sheets: [Sheet]) throws -> Catalog {
        var problems: [String] = []
        func sheet(_ name: String, _ header: [String]) -> [[Cell]] {
            guard let s = sheets.first(where: { $0.name == name }) else {
                problems.append("缺少工作表“\(name)”")
                return []
            }
            let head = (s.rows.first ?? []).map(\.string)
            for (i, h) in header.enumerated() where i >= head.count || head[i] != h {
                problems.append("工作表“\(name)”第 1 行第 \(i + 1) 列应为“\(h)”")
                return []
            }
            return Array(s.rows.dropFirst()).filter { row in row.contains { $0 != .empty } }
        }
        func cell(_ row: [Cell], _ i: Int) -> Cell { i < row.count ? row[i] : .empty }
        func text(_ row: [Cell], _ i: Int) -> String { cell(row, i).string }
        func optionalText(_ row: [Cell], _ i: Int) -> String? { let s = text(row, i); return s.isEmpty ? nil : s }
        func number(_ row: [Cell], _ i: Int, _ where_: String, required: Bool) -> Double? {
            switch cell(row, i) {
            case .number(let d): return d
            case .empty:
                if required { problems.append("\(where_)：不能为空") }
                return nil
            case .text(let s):
                if let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d }
                problems.append("\(where_)：“\(s)”不是数字")
                return nil
            }
        }

        var catalog = Catalog(indicators: [])
        var index: [String: Int] = [:]
        for (r, row) in sheet("指标", indicatorHeader).enumerated() {
            let at = "工作表“指标”第 \(r + 2) 行"
            let code = text(row, 0)
            index[code] = catalog.indicators.count
            catalog.indicators.append(IndicatorSpec(
                code: code, nameZh: text(row, 1), nameEn: text(row, 2), description: text(row, 3),
                weight: number(row, 4, at + " 权重", required: true) ?? 0, subIndicators: [], questionnaire: [],
                guide: FilingGuide(markdown: text(row, 5), requiredDocuments: [])))
        }
        func indicatorIndex(_ code: String, _ at: String) -> Int? {
            if let i = index[code] { return i }
            problems.append("\(at)：指标代码 \(code) 不在“指标”工作表中")
            return nil
        }
        for (r, row) in sheet("二级指标", subHeader).enumerated() {
            let at = "工作表“二级指标”第 \(r + 2) 行"
            guard let i = indicatorIndex(text(row, 0), at) else { continue }
            guard let kind = SubIndicatorKind(rawValue: text(row, 4)) else {
                problems.append("\(at) 类型：“\(text(row, 4))”应为 number、yes_no、choice 或 text")
                continue
            }
            var direction: Direction? = nil
            if let raw = optionalText(row, 6) {
                direction = Direction(rawValue: raw)
                if direction == nil { problems.append("\(at) 方向：“\(raw)”应为 lower 或 higher") }
            }
            let evidence = text(row, 10)
            if !["是", "否"].contains(evidence) { problems.append("\(at) 需印证资料：应为“是”或“否”") }
            var pillar: Pillar? = nil
            if let raw = optionalText(row, 11) {
                pillar = Pillar(rawValue: raw)
                if pillar == nil { problems.append("\(at) 支柱：“\(raw)”应为 \(Pillar.allCases.map(\.rawValue).joined(separator: "、"))") }
            }
            var survey: SurveyMeasure? = nil
            if let item = optionalText(row, 12) {
                if let statistic = SurveyMeasure.Statistic(rawValue: text(row, 13)) {
                    survey = SurveyMeasure(item: item, statistic: statistic, question: text(row, 14))
                } else {
                    problems.append("\(at) 问卷统计：“\(text(row, 13))”应为 share_yes 或 median")
                }
            }
            catalog.indicators[i].subIndicators.append(SubIndicatorSpec(
                code: text(row, 1), nameZh: text(row, 2), nameEn: text(row, 3), kind: kind, unit: optionalText(row, 5),
                direction: direction, best: number(row, 7, at + " 最优值", required: false),
                worst: number(row, 8, at + " 最差值", required: false),
                weight: number(row, 9, at + " 权重", required: true) ?? 0, evidenceRequired: evidence == "是", pillar: pillar, survey: survey))
        }
        for (r, row) in sheet("选项", optionHeader).enumerated() {
            let at = "工作表“选项”第 \(r + 2) 行"
            guard let i = indicatorIndex(text(row, 0), at) else { continue }
            guard let j = catalog.indicators[i].subIndicators.firstIndex(where: { $0.code == text(row, 1) }) else {
                problems.append("\(at)：二级指标 \(text(row, 1)) 不存在")
                continue
            }
            catalog.indicators[i].subIndicators[j].options.append(
                ChoiceOption(label: text(row, 2), points: number(row, 3, at + " 分值", required: true) ?? 0))
        }
        for (r, row) in sheet("问卷", itemHeader).enumerated() {
            let at = "工作表“问卷”第 \(r + 2) 行"
            guard let i = indicatorIndex(text(row, 0), at) else { continue }
            guard let dim = Dimension(rawValue: text(row, 2)) else {
                problems.append("\(at) 维度：“\(text(row, 2))”应为 steps、documents、time、cost 或 safeguards")
                continue
            }
            var shape: AnswerShape?
            if let raw = optionalText(row, 6) {
                guard let s = AnswerShape(rawValue: raw) else {
                    problems.append("\(at) 答题方式：“\(raw)”应为 \(AnswerShape.allCases.map(\.rawValue).joined(separator: "、"))")
                    continue
                }
                shape = s
            }
            catalog.indicators[i].questionnaire.append(QuestionnaireItem(
                code: text(row, 1), dimension: dim, text: text(row, 3), help: text(row, 4),
                subIndicatorCode: optionalText(row, 5), shape: shape, unit: optionalText(row, 7)))
        }
        for (r, row) in sheet("材料清单", docHeader).enumerated() {
            let at = "工作表“材料清单”第 \(r + 2) 行"
            guard let i = indicatorIndex(text(row, 0), at) else { continue }
            catalog.indicators[i].guide.requiredDocuments.append(text(row, 2))
        }
        if !problems.isEmpty { throw Problems(messages: problems) }
        return catalog
    }
}
