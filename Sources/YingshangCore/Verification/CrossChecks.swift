import Foundation

/// The checks the assessor runs (信息核验) and the flags they raise.
public enum FlagRule: String, Codable, CaseIterable, Sendable {
    case recordMismatch = "record_mismatch"
    case surveyMismatch = "survey_mismatch"
    case evidenceReuse = "evidence_reuse"
    case evidenceMissing = "evidence_missing"
    case straightLining = "straight_lining"
    case outOfRange = "out_of_range"
    case duplicateContact = "duplicate_contact"
    case fieldWork = "field_work"
    case policyAfterCutoff = "policy_after_cutoff"

    public var chineseName: String {
        switch self {
        case .recordMismatch: return "填报值与业务数据不符"
        case .surveyMismatch: return "填报值与企业问卷不符"
        case .evidenceReuse: return "同一印证材料重复使用"
        case .evidenceMissing: return "缺少必需的印证材料"
        case .straightLining: return "问卷答案雷同（一律同分）"
        case .outOfRange: return "问卷答案超出合理范围"
        case .duplicateContact: return "多份问卷联系电话相同"
        case .fieldWork: return "实地核查发现问题"
        case .policyAfterCutoff: return "政策文件印发晚于截止日期"
        }
    }

    /// Whether a confirmed flag of this rule counts as 数据造假 in the unit assessment: what the unit filed or handed in
    /// was contradicted (records, surveys, field work) or evidence was passed off twice. Survey-quality flags concern the
    /// enterprises' answers, and missing evidence or a late policy date are incompleteness, not falsification.
    public var countsAsFalsification: Bool {
        switch self {
        case .recordMismatch, .surveyMismatch, .evidenceReuse, .fieldWork: return true
        case .evidenceMissing, .straightLining, .outOfRange, .duplicateContact, .policyAfterCutoff: return false
        }
    }
}

public enum Severity: String, Codable, CaseIterable, Sendable {
    case low, medium, high

    public var chineseName: String { self == .high ? "高" : self == .medium ? "中" : "低" }
}

/// A difference is tolerated up to max(absolute, relative × |observed|).
public struct Tolerance: Codable, Equatable, Sendable {
    public var absolute: Double
    public var relative: Double

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    public func allows(filed: Double, observed: Double) -> Bool {
        abs(filed - observed) <= max(absolute, relative * abs(observed)) + 1e-9
    }

    /// Defaults by unit: half a working day or 20%, one step or document, 10 yuan or 10%.
    public static func `default`(unit: String?) -> Tolerance {
        switch unit {
        case "工作日": return Tolerance(absolute: 0.5, relative: 0.2)
        case "个", "份": return Tolerance(absolute: 1, relative: 0)
        case "元": return Tolerance(absolute: 10, relative: 0.1)
        default: return Tolerance(absolute: 0, relative: 0.1)
        }
    }
}

/// What a check found; `key` identifies it so re-running checks does not duplicate flags.
public struct FlagCandidate: Codable, Equatable, Sendable {
    public var rule: FlagRule
    public var key: String
    public var indicatorCode: String?
    public var subCode: String?
    public var unitID: String?
    public var filedValue: String?
    public var observedValue: String?
    public var evidence: String
    public var severity: Severity

    public init(
        rule: FlagRule, key: String, indicatorCode: String?, subCode: String?, unitID: String?, filedValue: String?, observedValue: String?,
        evidence: String, severity: Severity
    ) {
        self.rule = rule
        self.key = key
        self.indicatorCode = indicatorCode
        self.subCode = subCode
        self.unitID = unitID
        self.filedValue = filedValue
        self.observedValue = observedValue
        self.evidence = evidence
        self.severity = severity
    }
}

public enum CrossChecks {
    /// Filed vs observed (records or survey median). The severity grows with the gap in tolerances.
    public static func compare(
        rule: FlagRule, indicatorCode: String, subCode: String, subName: String, unitID: String?, filed: Double, observed: Double,
        cases: Int, basis: String, tolerance: Tolerance
    ) -> FlagCandidate? {
        guard !tolerance.allows(filed: filed, observed: observed) else { return nil }
        let allowed = max(tolerance.absolute, tolerance.relative * abs(observed), 1e-9)
        let ratio = abs(filed - observed) / allowed
        return FlagCandidate(
            rule: rule, key: "\(rule.rawValue)|\(indicatorCode)|\(subCode)", indicatorCode: indicatorCode, subCode: subCode, unitID: unitID,
            filedValue: fmt(filed), observedValue: fmt(observed),
            evidence: "\(subName)填报 \(fmt(filed))，\(basis) \(fmt(observed))（\(cases) 件/份），差异超出容差（±\(fmt(allowed))）",
            severity: ratio >= 3 ? .high : ratio >= 1.5 ? .medium : .low)
    }

    public struct EvidenceUse: Equatable, Sendable {
        public let sha256: String
        public let name: String
        public let indicatorCode: String
        public let itemCode: String?
        public let unitID: String
        public let unitName: String

        public init(sha256: String, name: String, indicatorCode: String, itemCode: String?, unitID: String, unitName: String) {
            self.sha256 = sha256
            self.name = name
            self.indicatorCode = indicatorCode
            self.itemCode = itemCode
            self.unitID = unitID
            self.unitName = unitName
        }
    }

    /// The same file (by SHA-256) attached by different units or to different indicators.
    public static func evidenceReuse(_ uses: [EvidenceUse], indicatorNames: [String: String]) -> [FlagCandidate] {
        Dictionary(grouping: uses, by: \.sha256).sorted { $0.key < $1.key }.compactMap { sha, group in
            let units = Set(group.map(\.unitID))
            let indicators = Set(group.map(\.indicatorCode))
            guard units.count > 1 || indicators.count > 1 else { return nil }
            let places = group.map { "\($0.unitName)「\(indicatorNames[$0.indicatorCode] ?? $0.indicatorCode)」" + ($0.itemCode.map { " 第 \($0) 题" } ?? "") }
            let first = group.sorted { ($0.indicatorCode, $0.unitID) < ($1.indicatorCode, $1.unitID) }.last ?? group[0]
            return FlagCandidate(
                rule: .evidenceReuse, key: "evidence_reuse|\(sha)", indicatorCode: first.indicatorCode, subCode: nil, unitID: first.unitID,
                filedValue: first.name, observedValue: "\(group.count) 处使用",
                evidence: "文件“\(first.name)”（SHA-256 \(sha.prefix(12))…）同时用于：" + Array(Set(places)).sorted().joined(separator: "；"),
                severity: units.count > 1 ? .high : .medium)
        }
    }

    public struct DatedDocument: Sendable {
        public let sha256: String
        public let name: String
        public let issuedOn: Day
        public let indicatorCode: String
        public let unitID: String

        public init(sha256: String, name: String, issuedOn: Day, indicatorCode: String, unitID: String) {
            self.sha256 = sha256
            self.name = name
            self.issuedOn = issuedOn
            self.indicatorCode = indicatorCode
            self.unitID = unitID
        }
    }

    /// Policy documents issued after the cut-off cannot support what was in force during the evaluation period.
    public static func policyDates(_ documents: [DatedDocument], cutoff: Day) -> [FlagCandidate] {
        documents.filter { $0.issuedOn > cutoff }.map { d in
            FlagCandidate(
                rule: .policyAfterCutoff, key: "policy_after_cutoff|\(d.indicatorCode)|\(d.sha256)", indicatorCode: d.indicatorCode, subCode: nil,
                unitID: d.unitID, filedValue: d.issuedOn.description, observedValue: "截止 \(cutoff)",
                evidence: "政策文件“\(d.name)”印发日期 \(d.issuedOn) 晚于评价周期截止日 \(cutoff)，不能作为评价周期内的印证", severity: .medium)
        }
    }

    public struct SurveyAnswerSet: Sendable {
        public let responseID: String
        public let enterpriseName: String
        public let phone: String?
        public let answers: [String: String]

        public init(responseID: String, enterpriseName: String, phone: String?, answers: [String: String]) {
            self.responseID = responseID
            self.enterpriseName = enterpriseName
            self.phone = phone
            self.answers = answers
        }
    }

    /// Plausible upper bounds of survey numbers by unit.
    public static func upperBound(unit: String?) -> Double? {
        switch unit {
        case "工作日": return 250
        case "个": return 50
        case "份": return 100
        case "元": return 10_000_000
        default: return nil
        }
    }

    /// Straight-lining (≥ 5 satisfaction answers all equal and ≥ 3 day answers all equal), implausible numbers and
    /// phone numbers shared by several respondents.
    public static func surveyChecks(_ template: SurveyTemplate, responses: [SurveyAnswerSet]) -> [FlagCandidate] {
        var out: [FlagCandidate] = []
        let likert = template.items.filter { $0.kind == .likert }.map(\.code)
        let days = template.items.filter { $0.kind == .number && $0.unit == "工作日" }.map(\.code)
        let numbers = template.items.filter { $0.kind == .number }
        for r in responses {
            let l = likert.compactMap { r.answers[$0]?.nonEmpty }
            let d = days.compactMap { r.answers[$0]?.nonEmpty }
            if l.count >= 5, Set(l).count == 1, d.count >= 3, Set(d).count == 1 {
                out.append(
                    FlagCandidate(
                        rule: .straightLining, key: "straight_lining|\(r.responseID)", indicatorCode: nil, subCode: nil, unitID: nil,
                        filedValue: nil, observedValue: "满意度 \(l.count) 题均为 \(l[0])，办理时间 \(d.count) 题均为 \(d[0])",
                        evidence: "\(r.enterpriseName)的问卷各题答案完全一致，疑似未认真作答或代填", severity: .medium))
            }
            for item in numbers {
                guard let v = r.answers[item.code].flatMap(Double.init), let bound = upperBound(unit: item.unit), v > bound else { continue }
                out.append(
                    FlagCandidate(
                        rule: .outOfRange, key: "out_of_range|\(r.responseID)|\(item.code)", indicatorCode: item.indicatorCode, subCode: nil,
                        unitID: nil, filedValue: nil, observedValue: fmt(v),
                        evidence: "\(r.enterpriseName)：“\(item.text)”答 \(fmt(v))\(item.unit ?? "")，超出合理范围（≤ \(fmt(bound))）",
                        severity: .low))
            }
        }
        let byPhone = Dictionary(grouping: responses.filter { ($0.phone ?? "").count >= 7 }, by: { $0.phone ?? "" })
        for (phone, group) in byPhone.sorted(by: { $0.key < $1.key }) where group.count >= 3 {
            out.append(
                FlagCandidate(
                    rule: .duplicateContact, key: "duplicate_contact|\(phone)", indicatorCode: nil, subCode: nil, unitID: nil, filedValue: nil,
                    observedValue: "\(group.count) 份",
                    evidence: "\(group.count) 份问卷的企业联系电话均为 \(phone)：" + group.map(\.enterpriseName).sorted().joined(separator: "、"),
                    severity: .high))
        }
        return out
    }

    public static func fmt(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e12 ? String(Int64(d)) : String(format: "%.2f", d)
    }
}

extension String {
    var nonEmpty: String? {
        let t = trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}
