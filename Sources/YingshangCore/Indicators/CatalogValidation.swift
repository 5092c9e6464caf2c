import Foundation

/// Checks a catalog before it is stored; every problem names the field path in the document.
public enum CatalogValidation {
    static func codePattern(_ code: String) -> Bool {
        !code.isEmpty && code.count <= 40
            && code.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" || $0 == "." }
    }

    public static func validate(_ catalog: Catalog) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if catalog.indicators.isEmpty {
            problems.append(.init(field: "indicators", message: "指标体系至少需要 1 项指标"))
        }
        var codes = Set<String>()
        for (i, ind) in catalog.indicators.enumerated() {
            let p = "indicators[\(i)]"
            if !codePattern(ind.code) {
                problems.append(.init(field: "\(p).code", message: "指标代码“\(ind.code)”无效：1–40 位字母、数字、_ - ."))
            } else if !codes.insert(ind.code).inserted {
                problems.append(.init(field: "\(p).code", message: "指标代码 \(ind.code) 重复"))
            }
            if ind.nameZh.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(field: "\(p).nameZh", message: "指标 \(ind.code) 缺少中文名称"))
            }
            if !ind.weight.isFinite || ind.weight < 0 {
                problems.append(.init(field: "\(p).weight", message: "指标 \(ind.code) 的权重不能为负数"))
            }
            problems += validate(ind, path: p)
        }
        if !catalog.indicators.isEmpty && catalog.indicators.allSatisfy({ $0.weight == 0 }) {
            problems.append(.init(field: "indicators.weight", message: "指标权重不能全部为 0"))
        }
        return problems
    }

    /// Checks one indicator: its sub-indicators, questionnaire and guide.
    public static func validate(_ ind: IndicatorSpec, path p: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        var subCodes = Set<String>()
        for (j, sub) in ind.subIndicators.enumerated() {
            let sp = "\(p).subIndicators[\(j)]"
            let label = "\(ind.code)/\(sub.code)"
            if !codePattern(sub.code) {
                problems.append(.init(field: "\(sp).code", message: "二级指标代码“\(sub.code)”无效"))
            } else if !subCodes.insert(sub.code).inserted {
                problems.append(.init(field: "\(sp).code", message: "二级指标代码 \(label) 重复"))
            }
            if sub.nameZh.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(field: "\(sp).nameZh", message: "二级指标 \(label) 缺少中文名称"))
            }
            if !sub.weight.isFinite || sub.weight < 0 {
                problems.append(.init(field: "\(sp).weight", message: "二级指标 \(label) 的权重不能为负数"))
            }
            switch sub.kind {
            case .number:
                guard let best = sub.best, let worst = sub.worst, best.isFinite, worst.isFinite else {
                    problems.append(.init(field: "\(sp).best", message: "数值型二级指标 \(label) 必须填写最优值和最差值"))
                    break
                }
                if best == worst {
                    problems.append(.init(field: "\(sp).worst", message: "二级指标 \(label) 的最优值与最差值相同，无法计算前沿距离"))
                } else if let dir = sub.direction {
                    if dir == .lowerIsBetter && best > worst {
                        problems.append(.init(field: "\(sp).best", message: "二级指标 \(label) 越低越好，最优值应小于最差值"))
                    }
                    if dir == .higherIsBetter && best < worst {
                        problems.append(.init(field: "\(sp).best", message: "二级指标 \(label) 越高越好，最优值应大于最差值"))
                    }
                } else {
                    problems.append(.init(field: "\(sp).direction", message: "数值型二级指标 \(label) 必须选择方向（越低越好/越高越好）"))
                }
            case .choice:
                if sub.options.count < 2 {
                    problems.append(.init(field: "\(sp).options", message: "选项型二级指标 \(label) 至少需要 2 个选项"))
                }
                if sub.options.contains(where: { !$0.points.isFinite || $0.points < 0 }) {
                    problems.append(.init(field: "\(sp).options", message: "二级指标 \(label) 的选项分值不能为负数"))
                }
            case .yesNo, .text:
                break
            }
        }
        // B-READY-style indicators: every scored sub-indicator in a pillar, or none (a mean of pillars with some
        // sub-indicators outside them would silently drop those).
        let scoredSubs = ind.subIndicators.filter { $0.kind != .text }
        let pillared = scoredSubs.filter { $0.pillar != nil }
        if !pillared.isEmpty && pillared.count != scoredSubs.count {
            let loose = scoredSubs.filter { $0.pillar == nil }.map(\.code).joined(separator: "、")
            problems.append(.init(field: "\(p).subIndicators.pillar", message: "指标 \(ind.code) 的二级指标须全部归入支柱或都不归入：\(loose) 未归入支柱"))
        }
        for (j, sub) in ind.subIndicators.enumerated() {
            guard let m = sub.survey else { continue }
            let sp = "\(p).subIndicators[\(j)].survey"
            if sub.kind != .number {
                problems.append(.init(field: sp, message: "问卷计算的二级指标 \(ind.code)/\(sub.code) 须为数值型（比例或中位数）"))
            }
            if !codePattern(m.item) || ["used", "satisfaction", "steps", "days", "cost", "extra_docs"].contains(m.item) {
                problems.append(.init(field: sp, message: "二级指标 \(ind.code)/\(sub.code) 的问卷题目代码“\(m.item)”无效或与标准问卷题重复"))
            }
            if m.question.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(field: sp, message: "二级指标 \(ind.code)/\(sub.code) 缺少问卷题干"))
            }
            if ind.questionnaire.contains(where: { $0.subIndicatorCode == sub.code }) {
                problems.append(.init(field: sp, message: "二级指标 \(ind.code)/\(sub.code) 由企业问卷计算，不能同时由单位填报"))
            }
        }
        let scored = scoredSubs
        if !scored.isEmpty && scored.allSatisfy({ $0.weight == 0 }) {
            problems.append(.init(field: "\(p).subIndicators.weight", message: "指标 \(ind.code) 的二级指标权重不能全部为 0"))
        }
        var itemCodes = Set<String>()
        for (k, item) in ind.questionnaire.enumerated() {
            let qp = "\(p).questionnaire[\(k)]"
            if !codePattern(item.code) || !itemCodes.insert(item.code).inserted {
                problems.append(.init(field: "\(qp).code", message: "问卷题目代码“\(item.code)”无效或重复（指标 \(ind.code)）"))
            }
            if item.text.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(field: "\(qp).text", message: "指标 \(ind.code) 的问卷题目 \(item.code) 缺少题干"))
            }
            if let s = item.subIndicatorCode, !subCodes.contains(s) {
                problems.append(.init(field: "\(qp).subIndicatorCode", message: "问卷题目 \(item.code) 关联的二级指标 \(s) 不存在"))
            }
        }
        return problems
    }
}
