import Foundation

/// An enterprise survey (企业问卷): per indicator, experience questions and a 1–5 satisfaction item.
public struct SurveyTemplate: Codable, Equatable, Sendable {
    public struct Item: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable {
            case number, yesNo = "yes_no", likert
        }

        public var code: String
        public var indicatorCode: String
        public var text: String
        public var kind: Kind
        public var unit: String?

        public init(code: String, indicatorCode: String, text: String, kind: Kind, unit: String? = nil) {
            self.code = code
            self.indicatorCode = indicatorCode
            self.text = text
            self.kind = kind
            self.unit = unit
        }
    }

    public var items: [Item]

    public init(items: [Item]) { self.items = items }

    /// The standard experience and satisfaction questions for each indicator.
    public static func standard(indicators: [(code: String, name: String)]) -> SurveyTemplate {
        SurveyTemplate(items: indicators.flatMap { ind -> [Item] in
            [
                Item(code: "\(ind.code).steps", indicatorCode: ind.code, text: "您办理“\(ind.name)”实际经过了几个环节？", kind: .number, unit: "个"),
                Item(code: "\(ind.code).days", indicatorCode: ind.code, text: "从申请到办结用了多少个工作日？", kind: .number, unit: "工作日"),
                Item(code: "\(ind.code).cost", indicatorCode: ind.code, text: "办理中您支付的费用合计多少元？", kind: .number, unit: "元"),
                Item(code: "\(ind.code).documents", indicatorCode: ind.code, text: "共被要求提交几份材料？", kind: .number, unit: "份"),
                Item(code: "\(ind.code).extra_docs", indicatorCode: ind.code, text: "是否被要求提供办事指南清单以外的材料？", kind: .yesNo),
                Item(code: "\(ind.code).satisfaction", indicatorCode: ind.code, text: "您对“\(ind.name)”的总体满意程度（1 很不满意 — 5 很满意）", kind: .likert),
            ]
        })
    }

    /// Problems keyed by item code. Items may be left empty (the enterprise did not deal with that indicator),
    /// but at least one must be answered.
    public func problems(_ answers: [String: String]) -> [FieldProblem] {
        let byCode = Dictionary(uniqueKeysWithValues: items.map { ($0.code, $0) })
        var problems: [FieldProblem] = []
        for (code, raw) in answers.sorted(by: { $0.key < $1.key }) {
            let v = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if v.isEmpty { continue }
            guard let item = byCode[code] else {
                problems.append(.init(field: code, message: "问卷中没有该题"))
                continue
            }
            switch item.kind {
            case .number:
                guard let d = Double(v), d.isFinite, d >= 0, d < 1e9 else {
                    problems.append(.init(field: code, message: "“\(item.text)”应填写不小于 0 的数字"))
                    continue
                }
            case .yesNo:
                if !["是", "否"].contains(v) { problems.append(.init(field: code, message: "“\(item.text)”请选择是或否")) }
            case .likert:
                if !["1", "2", "3", "4", "5"].contains(v) { problems.append(.init(field: code, message: "“\(item.text)”请选择 1–5 分")) }
            }
        }
        if problems.isEmpty && !answers.values.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            problems.append(.init(field: "_", message: "请至少回答一道题"))
        }
        return problems
    }
}

/// Aggregates of survey answers per indicator: satisfaction index with CI and median experience values.
public enum SurveyResults {
    public struct IndicatorResult: Equatable, Sendable {
        public let indicatorCode: String
        public let satisfaction: SatisfactionIndex.Summary?
        public let medianDays: Double?
        public let medianSteps: Double?
        public let extraDocsShare: Double?
        public let respondents: Int
    }

    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The overall index: each enterprise's mean over all its satisfaction items, then the mean over enterprises.
    public static func overall(_ template: SurveyTemplate, responses: [[String: String]]) -> SatisfactionIndex.Summary? {
        let codes = template.items.filter { $0.kind == .likert }.map(\.code)
        let perEnterprise = responses.compactMap { r in SatisfactionIndex.enterprise(codes.compactMap { r[$0].flatMap(Int.init) }) }
        return SatisfactionIndex.indicator(perEnterprise)
    }

    /// `responses` are the submitted answer sets; an enterprise's satisfaction for an indicator is its 1–5 item.
    public static func summarize(_ template: SurveyTemplate, responses: [[String: String]]) -> [IndicatorResult] {
        var order: [String] = []
        for item in template.items where !order.contains(item.indicatorCode) { order.append(item.indicatorCode) }
        return order.map { code in
            func values(_ suffix: String) -> [String] {
                responses.compactMap { $0["\(code).\(suffix)"]?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            let sat = values("satisfaction").compactMap(Int.init).compactMap { SatisfactionIndex.enterprise([$0]) }
            let extra = values("extra_docs")
            let respondents = responses.filter { r in r.contains { $0.key.hasPrefix(code + ".") && !$0.value.isEmpty } }.count
            return IndicatorResult(
                indicatorCode: code, satisfaction: SatisfactionIndex.indicator(sat),
                medianDays: median(values("days").compactMap(Double.init)), medianSteps: median(values("steps").compactMap(Double.init)),
                extraDocsShare: extra.isEmpty ? nil : Double(extra.filter { $0 == "是" }.count) / Double(extra.count),
                respondents: respondents)
        }
    }
}
