import Vapor
import YingshangCore

/// The indicator edit form: basics, the guide, and repeated rows for sub-indicators and questionnaire items.
/// Rows arrive as `subs[0][code]=…`; a row whose code is blank is dropped (that is how rows are removed).
struct IndicatorForm: Content {
    struct SubRow: Content {
        var code: String?
        var nameZh: String?
        var nameEn: String?
        var kind: String?
        var unit: String?
        var direction: String?
        var best: String?
        var worst: String?
        var weight: String?
        var evidenceRequired: String?
        var options: String?
    }

    struct ItemRow: Content {
        var code: String?
        var dimension: String?
        var text: String?
        var help: String?
        var subIndicatorCode: String?
    }

    var code: String?
    var nameZh: String?
    var nameEn: String?
    var description: String?
    var weight: String?
    var guide: String?
    var documents: String?
    var subs: [String: SubRow]?
    var items: [String: ItemRow]?

    static func ordered<T>(_ rows: [String: T]?) -> [T] {
        (rows ?? [:]).sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map(\.value)
    }

    /// Builds the indicator; unparseable numbers become field problems keyed like CatalogValidation's paths.
    func spec() -> (IndicatorSpec, [FieldProblem]) {
        var problems: [FieldProblem] = []
        func number(_ raw: String?, _ field: String, _ label: String, required: Bool) -> Double? {
            let t = raw.trimmed
            if t.isEmpty {
                if required { problems.append(.init(field: field, message: "\(label)不能为空")) }
                return nil
            }
            guard let d = Double(t), d.isFinite else {
                problems.append(.init(field: field, message: "\(label)“\(t)”不是数字"))
                return nil
            }
            return d
        }
        var subs: [SubIndicatorSpec] = []
        for row in Self.ordered(self.subs) where !row.code.trimmed.isEmpty {
            let j = subs.count
            let p = "ind.subIndicators[\(j)]"
            var options: [ChoiceOption] = []
            for line in row.options.trimmed.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, let pts = Double(parts[1]) {
                    options.append(ChoiceOption(label: parts[0], points: pts))
                } else {
                    problems.append(.init(field: "\(p).options", message: "选项“\(line)”应写成“选项=分值”"))
                }
            }
            subs.append(SubIndicatorSpec(
                code: row.code.trimmed, nameZh: row.nameZh.trimmed, nameEn: row.nameEn.trimmed,
                kind: SubIndicatorKind(rawValue: row.kind.trimmed) ?? .number, unit: row.unit?.nonBlank,
                direction: Direction(rawValue: row.direction.trimmed), best: number(row.best, "\(p).best", "最优值", required: false),
                worst: number(row.worst, "\(p).worst", "最差值", required: false),
                weight: number(row.weight, "\(p).weight", "权重", required: true) ?? 0,
                evidenceRequired: row.evidenceRequired != nil, options: options))
        }
        let items = Self.ordered(self.items).filter { !$0.code.trimmed.isEmpty }.map { row in
            QuestionnaireItem(
                code: row.code.trimmed, dimension: Dimension(rawValue: row.dimension.trimmed) ?? .steps,
                text: row.text.trimmed, help: row.help.trimmed, subIndicatorCode: row.subIndicatorCode?.nonBlank)
        }
        let docs = documents.trimmed.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let spec = IndicatorSpec(
            code: code.trimmed, nameZh: nameZh.trimmed, nameEn: nameEn.trimmed, description: description.trimmed,
            weight: number(weight, "ind.weight", "权重", required: true) ?? 0, subIndicators: subs, questionnaire: items,
            guide: FilingGuide(markdown: guide ?? "", requiredDocuments: docs))
        return (spec, problems)
    }

    init(_ spec: IndicatorSpec) {
        code = spec.code
        nameZh = spec.nameZh
        nameEn = spec.nameEn
        description = spec.description
        weight = XLSXNumber.format(spec.weight)
        guide = spec.guide.markdown
        documents = spec.guide.requiredDocuments.joined(separator: "\n")
        var s: [String: SubRow] = [:]
        for (i, sub) in spec.subIndicators.enumerated() {
            s[String(i)] = SubRow(
                code: sub.code, nameZh: sub.nameZh, nameEn: sub.nameEn, kind: sub.kind.rawValue, unit: sub.unit,
                direction: sub.direction?.rawValue, best: sub.best.map(XLSXNumber.format),
                worst: sub.worst.map(XLSXNumber.format), weight: XLSXNumber.format(sub.weight),
                evidenceRequired: sub.evidenceRequired ? "on" : nil,
                options: sub.options.map { "\($0.label)=\(XLSXNumber.format($0.points))" }.joined(separator: "\n"))
        }
        subs = s
        var q: [String: ItemRow] = [:]
        for (i, item) in spec.questionnaire.enumerated() {
            q[String(i)] = ItemRow(
                code: item.code, dimension: item.dimension.rawValue, text: item.text, help: item.help,
                subIndicatorCode: item.subIndicatorCode)
        }
        items = q
    }
}

/// Numbers shown in forms without a trailing ".0".
enum XLSXNumber {
    static func format(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
