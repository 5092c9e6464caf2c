import Foundation

/// An enterprise survey (企业问卷): per indicator, a screening question ("近一年是否办理过…"), then — only for an
/// enterprise that answers 是 — experience questions and a 1–5 satisfaction item.
public struct SurveyTemplate: Codable, Equatable, Sendable {
    public struct Item: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable {
            case number, yesNo = "yes_no", likert
            /// 是/否: whether the enterprise dealt with the indicator at all; the indicator's other items depend on it.
            case screening
        }

        public var code: String
        public var indicatorCode: String
        public var text: String
        public var kind: Kind
        public var unit: String?
        /// The code of the screening item that must be answered 是 for this item to be asked (nil: always asked).
        public var askedIf: String?

        public init(code: String, indicatorCode: String, text: String, kind: Kind, unit: String? = nil, askedIf: String? = nil) {
            self.code = code
            self.indicatorCode = indicatorCode
            self.text = text
            self.kind = kind
            self.unit = unit
            self.askedIf = askedIf
        }
    }

    public var items: [Item]

    public init(items: [Item]) { self.items = items }

    /// Indicators that are not a procedure an enterprise goes through (no steps, days or fees to report): the survey
    /// asks only whether the enterprise had dealings with them and how satisfied it is.
    public static let nonProcedural: Set<String> = [
        "labor_market", "protecting_investors", "intellectual_property", "market_regulation", "inclusive_innovation",
    ]

    /// Examples in the screening question, so an enterprise recognises what the indicator covers.
    static let screeningExamples: [String: String] = [
        "starting_business": "如设立登记、刻章、申领发票",
        "construction_permits": "如工程建设项目立项、施工许可、竣工验收",
        "getting_electricity": "如新装或增容用电",
        "water_gas": "如新装用水、用气",
        "registering_property": "如不动产登记、过户",
        "paying_taxes": "如申报缴纳税费、办理退税",
        "getting_credit": "如申请银行贷款、担保",
        "government_procurement": "如参加政府采购项目",
        "bidding": "如参加工程招标投标",
        "cross_border_trade": "如进出口报关",
        "enforcing_contracts": "如合同纠纷诉讼",
        "resolving_insolvency": "如破产、重整",
        "government_services": "如在政务服务中心或网上办事",
        "labor_market": "如招聘用工、社保缴纳、劳动保障监察",
        "protecting_investors": "如股东权益、公司治理事务",
        "intellectual_property": "如申请专利、商标，维权",
        "market_regulation": "如接受检查、信用修复",
        "inclusive_innovation": "如申请创新创业扶持、人才政策",
    ]

    /// The standard survey with, after each indicator's satisfaction item, the questions its survey-derived
    /// sub-indicators are computed from (B-READY-style catalogs).
    public static func standard(catalog: Catalog, codes: [String]) -> SurveyTemplate {
        let specs = codes.compactMap { catalog.indicator($0) }
        var template = standard(indicators: specs.map { (code: $0.code, name: $0.nameZh) })
        for spec in specs {
            let measures = spec.subIndicators.compactMap { sub in sub.survey.map { (sub, $0) } }
            guard !measures.isEmpty else { continue }
            let extra = measures.map { sub, m in
                Item(
                    code: "\(spec.code).\(m.item)", indicatorCode: spec.code, text: m.question,
                    kind: m.statistic == .shareYes ? .yesNo : .number, unit: m.statistic == .median ? sub.unit : nil,
                    askedIf: "\(spec.code).used")
            }
            let at = (template.items.lastIndex { $0.indicatorCode == spec.code } ?? template.items.count - 1) + 1
            template.items.insert(contentsOf: extra, at: at)
        }
        return template
    }

    /// The standard survey: a screening question per indicator, then what applies.
    public static func standard(indicators: [(code: String, name: String)]) -> SurveyTemplate {
        SurveyTemplate(items: indicators.flatMap { ind -> [Item] in
            let used = "\(ind.code).used"
            let example = screeningExamples[ind.code].map { "（\($0)）" } ?? ""
            let screening = Item(
                code: used, indicatorCode: ind.code, text: "近一年，贵企业是否办理过“\(ind.name)”相关事项\(example)？", kind: .screening)
            let satisfaction = Item(
                code: "\(ind.code).satisfaction", indicatorCode: ind.code, text: "您对“\(ind.name)”的总体满意程度（1 很不满意 — 5 很满意）",
                kind: .likert, askedIf: used)
            if nonProcedural.contains(ind.code) { return [screening, satisfaction] }
            return [
                screening,
                Item(code: "\(ind.code).steps", indicatorCode: ind.code, text: "您办理“\(ind.name)”实际经过了几个环节？", kind: .number, unit: "个", askedIf: used),
                Item(code: "\(ind.code).days", indicatorCode: ind.code, text: "从申请到办结用了多少个工作日？", kind: .number, unit: "工作日", askedIf: used),
                Item(code: "\(ind.code).cost", indicatorCode: ind.code, text: "办理中您支付的费用合计多少元？", kind: .number, unit: "元", askedIf: used),
                Item(code: "\(ind.code).extra_docs", indicatorCode: ind.code, text: "是否被要求提供办事指南清单以外的材料？", kind: .yesNo, askedIf: used),
                satisfaction,
            ]
        })
    }

    /// The answers that count (see `SurveyChecker.applicable`).
    public func applicable(_ answers: [String: String]) -> [String: String] { SurveyChecker(self).applicable(answers) }

    /// Seconds an enterprise needs, by kind of question (reading and answering on a phone).
    static let secondsPerItem: [Item.Kind: Int] = [.screening: 6, .number: 25, .yesNo: 8, .likert: 8]

    /// Minutes (rounded up) for an enterprise that dealt with `used` of the indicators (those with the most questions
    /// first): every screening question plus what they open.
    public func estimatedMinutes(used: Int) -> Int {
        func seconds(_ list: [Item]) -> Int { list.reduce(0) { $0 + (Self.secondsPerItem[$1.kind] ?? 10) } }
        let always = seconds(items.filter { $0.askedIf == nil })
        let groups = Dictionary(grouping: items.filter { $0.askedIf != nil }) { (item: Item) -> String in item.askedIf ?? "" }
        let perIndicator: [Int] = groups.values.map(seconds).sorted(by: >)
        let opened = perIndicator.prefix(max(0, used)).reduce(0, +)
        return (always + opened + 59) / 60
    }

    /// Problems keyed by item code (see `SurveyChecker.problems`).
    public func problems(_ answers: [String: String]) -> [FieldProblem] { SurveyChecker(self).problems(answers) }
}

/// The rules an enterprise's answers are checked by, with the template's items looked up by code once: a server
/// checking thousands of submissions of one template keeps one checker.
public struct SurveyChecker: Sendable {
    public let template: SurveyTemplate
    private let byCode: [String: SurveyTemplate.Item]
    /// Codes other items are asked under (the screening questions).
    private let screening: Set<String>

    /// The template's codes in the order of `JSONText.object` (sorted), for writing answers without sorting them.
    private let sortedCodes: [String]

    public init(_ template: SurveyTemplate) {
        self.template = template
        byCode = Dictionary(template.items.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        screening = Set(template.items.compactMap(\.askedIf))
        sortedCodes = byCode.keys.sorted()
    }

    /// The answers as given, trimmed, without the empty ones. Most submissions have nothing to trim or drop: those
    /// are returned as they are, without building a second dictionary.
    public static func cleaned(_ raw: [String: String]) -> [String: String] {
        if raw.values.allSatisfy({ !$0.isEmpty && $0.trimmedWhitespace.utf8.count == $0.utf8.count }) { return raw }
        return raw.mapValues(\.trimmedWhitespace).filter { !$0.value.isEmpty }
    }

    /// `JSONText.object(answers)`, the same bytes: when every key is one of the template's codes (as after `problems`
    /// found none), written in the template's sorted order instead of sorting the answers (a twentieth of a
    /// submission's time); otherwise by `JSONText.object`.
    public func json(_ answers: [String: String]) -> String {
        guard answers.count <= sortedCodes.count else { return JSONText.object(answers) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(answers.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        var written = 0
        for code in sortedCodes {
            // The answer's own key is written: a code typed in another Unicode form still finds its item.
            guard let i = answers.index(forKey: code) else { continue }
            let (key, value) = answers[i]
            if written > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.string(key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.string(value, into: &out)
            written += 1
        }
        guard written == answers.count else { return JSONText.object(answers) }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The answers that count: items whose screening question was answered 否 are dropped (typed before the enterprise
    /// changed its mind, or sent by a script). An unanswered screening question keeps them: the page works without
    /// JavaScript, where every question is shown.
    public func applicable(_ answers: [String: String]) -> [String: String] {
        let declined = Set(screening.filter { answers[$0]?.trimmedWhitespace == "否" })
        if declined.isEmpty { return answers }
        return answers.filter { code, _ in
            guard let condition = byCode[code]?.askedIf else { return true }
            return !declined.contains(condition)
        }
    }

    /// Problems keyed by item code. Items may be left empty (the enterprise did not deal with that indicator),
    /// but at least one must be answered.
    public func problems(_ answers: [String: String]) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        var answered = false
        for (code, raw) in answers {
            let v = raw.trimmedWhitespace
            if v.isEmpty { continue }
            answered = true
            guard let item = byCode[code] else {
                problems.append(.init(field: code, message: "问卷中没有该题"))
                continue
            }
            switch item.kind {
            case .number:
                guard let d = FiledNumber.parse(v), d >= 0, d < 1e9 else {
                    problems.append(.init(field: code, message: "“\(item.text)”应填写不小于 0 的数字"))
                    continue
                }
            case .yesNo, .screening:
                if v != "是" && v != "否" { problems.append(.init(field: code, message: "“\(item.text)”请选择是或否")) }
            case .likert:
                if !Self.likert.contains(v) { problems.append(.init(field: code, message: "“\(item.text)”请选择 1–5 分")) }
            }
        }
        // By item code, as a page lists them; sorting the few problems rather than every answer.
        problems.sort { $0.field < $1.field }
        if problems.isEmpty && !answered { problems.append(.init(field: "_", message: "请至少回答一道题")) }
        return problems
    }

    private static let likert: Set<String> = ["1", "2", "3", "4", "5"]
}

extension String {
    /// Without leading and trailing whitespace and newlines; most answers have none, and those are returned without
    /// Foundation's trimming (a third of a submission's checking time).
    public var trimmedWhitespace: String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        // ASCII ends other than 0x09–0x0D and space are not whitespace; other ends ask Foundation's set.
        if first < 0x80 && last < 0x80 {
            if !Self.isASCIIWhitespace(first) && !Self.isASCIIWhitespace(last) { return self }
        } else if let f = unicodeScalars.first, let l = unicodeScalars.last,
            !Self.mayBeWhitespace(f, in: Self.whitespace) && !Self.mayBeWhitespace(l, in: Self.whitespace)
        {
            return self
        }
        return trimmingCharacters(in: Self.whitespace)
    }

    /// No scalar above U+3000 (the ideographic space) is in Foundation's white space sets (a test checks every scalar),
    /// so a Chinese answer's ends are told apart without asking the set.
    static func mayBeWhitespace(_ scalar: Unicode.Scalar, in set: CharacterSet) -> Bool {
        scalar.value <= 0x3000 && set.contains(scalar)
    }

    /// Built once: `CharacterSet.whitespacesAndNewlines` makes a new set on every read.
    private static let whitespace = CharacterSet.whitespacesAndNewlines

    static func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
}

/// Aggregates of survey answers per indicator: satisfaction index with CI and median experience values.
public enum SurveyResults {
    public struct IndicatorResult: Equatable, Sendable {
        public let indicatorCode: String
        public let satisfaction: SatisfactionIndex.Summary?
        public let medianDays: Double?
        public let medianSteps: Double?
        public let extraDocsShare: Double?
        /// Enterprises that answered anything about the indicator beyond its screening question.
        public let respondents: Int
        /// Of the enterprises that answered the screening question, the share that said 是 (nil: not asked).
        public let usedShare: Double?
    }

    /// `trimmingCharacters(in: .whitespaces)`, skipped when neither end is white space (stored answers are trimmed
    /// already, and Foundation's trimming was a third of summarising 10,000 responses).
    static func trimmedSpaces(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last,
            !String.mayBeWhitespace(first, in: spaces), !String.mayBeWhitespace(last, in: spaces)
        else { return s.trimmingCharacters(in: spaces) }
        return s
    }

    /// Foundation's `.whitespaces` (which includes U+200B, unlike Unicode's White_Space), made once.
    private static let spaces = CharacterSet.whitespaces

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
        // An enterprise answered about an indicator when any non-empty answer's key is the indicator's code, a dot and
        // more, other than its screening question `code.used`: found once per answer for all indicators (checking
        // every answer against every indicator was most of the results page at 10,000 responses).
        let index = Dictionary(order.enumerated().map { (Substring($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
        var respondents = [Int](repeating: 0, count: order.count)
        // The last response counted for each indicator, so an enterprise is counted once however many answers it gave.
        var counted = [Int](repeating: -1, count: order.count)
        let used = Array("used".utf8)
        for (n, r) in responses.enumerated() {
            for (key, value) in r where !value.isEmpty {
                let utf8 = key.utf8
                // In ASCII every byte is a character, so the dots found bytewise are where `hasPrefix(code + ".")` can
                // match; any other key is checked against each indicator as the rule is written.
                guard utf8.allSatisfy({ $0 < 0x80 }) else {
                    for (i, code) in order.enumerated() where counted[i] != n && key.hasPrefix(code + ".") && key != code + ".used" {
                        counted[i] = n
                        respondents[i] += 1
                    }
                    continue
                }
                var at = utf8.startIndex
                while let dot = utf8[at...].firstIndex(of: UInt8(ascii: ".")) {
                    if let i = index[key[..<dot]], counted[i] != n, !utf8[utf8.index(after: dot)...].elementsEqual(used) {
                        counted[i] = n
                        respondents[i] += 1
                    }
                    at = utf8.index(after: dot)
                }
            }
        }
        return order.enumerated().map { position, code in
            func values(_ suffix: String) -> [String] {
                let key = "\(code).\(suffix)"
                return responses.compactMap { $0[key].map(trimmedSpaces) }.filter { !$0.isEmpty }
            }
            let sat = values("satisfaction").compactMap(Int.init).compactMap { SatisfactionIndex.enterprise([$0]) }
            let extra = values("extra_docs")
            let respondents = respondents[position]
            let used = values("used")
            return IndicatorResult(
                indicatorCode: code, satisfaction: SatisfactionIndex.indicator(sat),
                medianDays: median(values("days").compactMap(FiledNumber.parse)), medianSteps: median(values("steps").compactMap(FiledNumber.parse)),
                extraDocsShare: extra.isEmpty ? nil : Double(extra.filter { $0 == "是" }.count) / Double(extra.count),
                respondents: respondents,
                usedShare: used.isEmpty ? nil : Double(used.filter { $0 == "是" }.count) / Double(used.count))
        }
    }
}

/// Which assessed region an answering enterprise counts for (scoring's satisfaction and verification's survey
/// medians use this one rule): the only region when a campaign assesses one; otherwise the region whose division code
/// begins the enterprise's township code, the longest match winning (a county and one of its towns side by side).
/// A city-wide draw is thereby split by county. nil: the enterprise lies in none of them.
public enum SurveyRegions {
    public static func region<ID>(township: String?, regions: [(id: ID, code: String)]) -> ID? {
        if regions.count == 1 { return regions.first?.id }
        guard let township else { return nil }
        return regions.sorted { $0.code.count > $1.code.count }.first { township.hasPrefix($0.code) }?.id
    }
}

