import Foundation

/// Checks a filing's answers against its questionnaire: while saving (types and ranges) and when submitting
/// (every item answered, required evidence attached). Problems are keyed by item code.
public enum AnswerValidation {
    public static let maxTextLength = 5000

    /// One answer's problem, or nil. Empty answers are fine while drafting.
    public static func problem(_ raw: String, item: QuestionnaireItem, sub: SubIndicatorSpec?) -> String? {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty { return nil }
        if value.count > maxTextLength { return "不超过 \(maxTextLength) 个字" }
        guard let sub else { return shapeProblem(value, item: item) }
        switch sub.kind {
        case .number:
            guard let d = FiledNumber.parse(value) else { return "应填写数字\(sub.unit.map { "（单位：\($0)）" } ?? "")" }
            if d < 0 { return "不能为负数" }
            if sub.unit == "%" && d > 100 { return "百分比不能超过 100" }
            // Beyond ten times the worst value is almost certainly a unit mistake (e.g. 元 for 万元, days for hours).
            if let worst = sub.worst, let best = sub.best {
                let limit = max(abs(worst), abs(best)) * 10
                if limit > 0 && d > limit { return "数值 \(value) 超出合理范围（不超过 \(Self.format(limit))），请检查单位" }
            }
            return nil
        case .yesNo:
            return ["是", "否", "yes", "no"].contains(value.lowercased()) ? nil : "应选择“是”或“否”"
        case .choice:
            return sub.options.contains { $0.label == value } ? nil : "应从选项中选择：" + sub.options.map(\.label).joined(separator: "、")
        case .text:
            return nil
        }
    }

    public static let maxListLines = 50

    /// 〔2022〕12号, [2022]12 号, （2022）第12号: a year in brackets, then a number and 号.
    nonisolated(unsafe) static let documentNumber = /[〔\[（(【]\s*(19|20)\d{2}\s*[〕\]）)】]\s*第?\s*\d+\s*号/

    /// Lines of a list or documents answer, trimmed, empty lines dropped.
    public static func lines(_ value: String) -> [String] {
        value.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func shapeProblem(_ value: String, item: QuestionnaireItem) -> String? {
        switch item.shape ?? .text {
        case .text:
            return nil
        case .number:
            guard let d = FiledNumber.parse(value) else { return "应填写数字\(item.unit.map { "（单位：\($0)）" } ?? "")" }
            return d < 0 ? "不能为负数" : nil
        case .list:
            let n = lines(value).count
            return n > maxListLines ? "最多 \(maxListLines) 行（每行一项），现有 \(n) 行" : nil
        case .documents:
            let all = lines(value)
            if all.count > maxListLines { return "最多 \(maxListLines) 份文件（每行一份），现有 \(all.count) 行" }
            if let (i, line) = all.enumerated().first(where: { $0.element.firstMatch(of: documentNumber) == nil }) {
                return "第 \(i + 1) 行“\(RowProblem.quote(line))”缺少文号，请按“文件名称 文号”填写，如：关于优化营商环境的实施意见 县政发〔2022〕12号"
            }
            return nil
        }
    }

    /// Problems for saving a draft: only malformed answers, and answers to unknown items.
    public static func draftProblems(_ answers: [String: String], indicator: IndicatorSpec) -> [FieldProblem] {
        let subs = Dictionary(uniqueKeysWithValues: indicator.subIndicators.map { ($0.code, $0) })
        var problems: [FieldProblem] = []
        let items = Dictionary(uniqueKeysWithValues: indicator.questionnaire.map { ($0.code, $0) })
        for code in answers.keys.sorted() {
            guard let item = items[code] else {
                problems.append(.init(field: code, message: "问卷中没有题目 \(code)"))
                continue
            }
            if let p = problem(answers[code] ?? "", item: item, sub: item.subIndicatorCode.flatMap { subs[$0] }) {
                problems.append(.init(field: code, message: "第 \(code) 题：\(p)"))
            }
        }
        return problems
    }

    /// Problems for submitting: draft problems plus unanswered items and missing required evidence.
    /// `evidenceCount` counts attachments per item code; attachments to the whole filing count for every item.
    public static func submitProblems(
        _ answers: [String: String], indicator: IndicatorSpec, evidenceCount: [String: Int], wholeFilingEvidence: Int
    ) -> [FieldProblem] {
        var problems = draftProblems(answers, indicator: indicator)
        let subs = Dictionary(uniqueKeysWithValues: indicator.subIndicators.map { ($0.code, $0) })
        for item in indicator.questionnaire {
            let value = (answers[item.code] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty {
                problems.append(.init(field: item.code, message: "第 \(item.code) 题未填写：\(item.text)"))
                continue
            }
            if let sub = item.subIndicatorCode.flatMap({ subs[$0] }), sub.evidenceRequired,
                (evidenceCount[item.code] ?? 0) + wholeFilingEvidence == 0
            {
                problems.append(.init(field: item.code, message: "第 \(item.code) 题（\(sub.nameZh)）须上传印证资料"))
            }
        }
        return problems
    }

    static func format(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
