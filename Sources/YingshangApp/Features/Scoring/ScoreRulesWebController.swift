import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/scores/rules`: the bonus and deduction rules (typed rows kept after an error) and manual
/// adjustments with their reasons.
struct ScoreRulesWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "scores", "rules", action: .viewScores, use: rules)
        g.post("campaigns", ":id", "scores", "rules", action: .manageScoreRules, use: saveRules)
        g.post("campaigns", ":id", "scores", "adjustments", action: .manageScoreRules, use: addAdjustment)
        g.post("campaigns", ":id", "scores", "adjustments", ":adjID", "delete", action: .manageScoreRules, use: deleteAdjustment)
    }

    struct RuleRow: Encodable {
        let kind: String
        let k: String
        let percent: String
        let points: String
        let indicatorCode: String
    }

    struct AdjustmentRow: Encodable {
        let id: String
        let unit: String
        let indicator: String
        let points: String
        let reason: String
        let by: String
    }

    struct RulesBody: Encodable {
        let campaignID: String
        let campaignName: String
        let rules: [RuleRow]
        let cooperatingShare: String
        let minimumSurveyRespondents: String
        let kinds: [SelectOption]
        let indicators: [SelectOption]
        let units: [SelectOption]
        let adjustments: [AdjustmentRow]
        let errors: [String: String]
        let errorList: [String]
        let canManage: Bool
        let regionCount: Int
    }

    /// Rules render as a fixed number of editable rows (existing ones plus blanks), so no JavaScript is needed.
    /// `typed` re-renders what was submitted (every row, as typed) after a validation error, so nothing is lost.
    private func rulesPage(
        _ req: Request, _ c: Campaign, rules: RuleSet, errors: [String: String], typed: RulesForm? = nil
    ) async throws -> View {
        let cid = try c.requireID()
        let indicators = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$position).all()
        let units = try await Unit.query(on: req.db).sort(\.$code).all()
        let unitNames = Dictionary(units.compactMap { u in u.id.map { ($0, u.name) } }, uniquingKeysWith: { a, _ in a })
        let indicatorNames = Dictionary(indicators.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        var rows = typed.map(Self.typedRows) ?? rules.rules.map {
            RuleRow(
                kind: $0.kind.rawValue, k: $0.k.map(String.init) ?? "", percent: $0.percent.map(Scoring.fmt) ?? "",
                points: Scoring.fmt($0.points), indicatorCode: $0.indicatorCode ?? "")
        }
        while rows.count < max(6, rules.rules.count + 2) { rows.append(RuleRow(kind: "", k: "", percent: "", points: "", indicatorCode: "")) }
        let adjustments = try await ManualScoreAdjustment.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$createdAt).all().map {
            AdjustmentRow(
                id: $0.id?.uuidString ?? "", unit: unitNames[$0.$unit.id] ?? "", indicator: $0.indicatorCode.flatMap { indicatorNames[$0] } ?? "—",
                points: ($0.points > 0 ? "+" : "") + Scoring.fmt2($0.points), reason: $0.reason, by: $0.createdBy)
        }
        let body = RulesBody(
            campaignID: cid.uuidString, campaignName: c.name, rules: rows,
            cooperatingShare: typed?.cooperatingShare ?? Scoring.fmt(rules.cooperatingShare),
            minimumSurveyRespondents: typed?.minimumSurveyRespondents ?? String(rules.surveyMinimum),
            kinds: [SelectOption(value: "", label: "（不使用）", selected: false)]
                + AdjustmentRuleKind.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: false) },
            indicators: [SelectOption(value: "", label: "全部指标", selected: false)]
                + indicators.map { SelectOption(value: $0.code, label: $0.name, selected: false) },
            units: units.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
            adjustments: adjustments, errors: errors, errorList: errors.sorted { $0.key < $1.key }.map(\.value), canManage: req.offers(.manageScoreRules),
            regionCount: try await CampaignRegion.query(on: req.db).filter(\.$campaign.$id == cid).count())
        return try await req.render("scores/rules", title: "加分与扣分规则", body)
    }

    @Sendable func rules(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        return try await rulesPage(req, c, rules: try await ScoringService.ruleSet(c, on: req.db), errors: [:])
    }

    struct RulesForm: Content {
        var kind: [String]?
        var k: [String]?
        var percent: [String]?
        var points: [String]?
        var indicatorCode: [String]?
        var cooperatingShare: String?
        var minimumSurveyRespondents: String?
    }

    static func typedRows(_ f: RulesForm) -> [RuleRow] {
        func at(_ a: [String]?, _ i: Int) -> String { (a ?? []).indices.contains(i) ? (a ?? [])[i] : "" }
        return (f.kind ?? []).indices.map {
            RuleRow(kind: at(f.kind, $0), k: at(f.k, $0), percent: at(f.percent, $0), points: at(f.points, $0), indicatorCode: at(f.indicatorCode, $0))
        }
    }

    /// Parses the rule rows; a row with no kind is skipped, a malformed number is reported by row.
    static func parseRules(_ f: RulesForm) -> (RuleSet, [String: String]) {
        var errors: [String: String] = [:]
        var rules: [AdjustmentRule] = []
        let kinds = f.kind ?? []
        func at(_ a: [String]?, _ i: Int) -> String { (a ?? []).indices.contains(i) ? (a ?? [])[i].trimmingCharacters(in: .whitespaces) : "" }
        for i in kinds.indices {
            let raw = at(f.kind, i)
            guard !raw.isEmpty else { continue }
            guard let kind = AdjustmentRuleKind(rawValue: raw) else {
                errors["rules[\(i)].kind"] = "第 \(i + 1) 行：未知的规则类型"
                continue
            }
            let kText = at(f.k, i), pText = at(f.percent, i), ptsText = at(f.points, i)
            let k = kText.isEmpty ? nil : Int(kText)
            let p = pText.isEmpty ? nil : Double(pText)
            if !kText.isEmpty && k == nil { errors["rules[\(i)].k"] = "第 \(i + 1) 行：K 应为整数" }
            if !pText.isEmpty && p == nil { errors["rules[\(i)].percent"] = "第 \(i + 1) 行：百分比应为数字" }
            guard let pts = Double(ptsText) else {
                errors["rules[\(i)].points"] = ptsText.isEmpty ? "第 \(i + 1) 行：请填写分值" : "第 \(i + 1) 行：分值“\(ptsText.prefix(20))”应为数字"
                continue
            }
            rules.append(
                AdjustmentRule(
                    kind: kind, k: kind.usesRank ? k : nil, percent: kind.usesRank ? p : nil, points: pts,
                    indicatorCode: at(f.indicatorCode, i).nonBlank))
        }
        var share = 0.5
        if let s = f.cooperatingShare?.trimmingCharacters(in: .whitespaces), !s.isEmpty {
            if let d = Double(s) { share = d } else { errors["cooperatingShare"] = "配合单位分担比例应为 0 到 1 之间的数" }
        }
        var minimum: Int? = nil
        if let m = f.minimumSurveyRespondents?.trimmingCharacters(in: .whitespaces), !m.isEmpty {
            if let n = Int(m) { minimum = n } else { errors["minimumSurveyRespondents"] = "问卷最少回答企业数应为整数" }
        }
        return (RuleSet(rules: rules, cooperatingShare: share, minimumSurveyRespondents: minimum), errors)
    }

    @Sendable func saveRules(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let form = try req.content.decode(RulesForm.self)
        let (set, parseErrors) = Self.parseRules(form)
        return try await req.submitForm(
            successMessage: "已保存加分与扣分规则", redirectTo: try c.url(.scoreRules),
            renderForm: { try await rulesPage(req, c, rules: set, errors: $0, typed: form) },
            write: {
                if !parseErrors.isEmpty { throw AppError.invalid(parseErrors) }
                try await ScoringService.saveRules(c, set, by: req.caller())
            })
    }

    struct AdjustmentForm: Content {
        var unitID: String?
        var indicatorCode: String?
        var points: String?
        var reason: String?
    }

    @Sendable func addAdjustment(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let f = try req.content.decode(AdjustmentForm.self)
        return try await req.submitForm(
            successMessage: "已记录加减分", redirectTo: try c.url(.scoreRules),
            renderForm: { try await rulesPage(req, c, rules: try await ScoringService.ruleSet(c, on: req.db), errors: $0) },
            write: {
                var errors: [String: String] = [:]
                let unit = f.unitID?.nonBlank.flatMap(UUID.init(uuidString:))
                if unit == nil { errors["unitID"] = "请选择单位" }
                let points = Double(f.points.trimmed)
                if points == nil { errors["points"] = "分值应为数字（扣分填负数）" }
                if f.reason.trimmed.isEmpty { errors["reason"] = "请填写加减分理由" }
                guard errors.isEmpty, let unit, let points else { throw AppError.invalid(errors) }
                try await ScoringService.addManual(c, unitID: unit, indicatorCode: f.indicatorCode?.nonBlank, points: points, reason: f.reason.trimmed, by: req.caller())
            })
    }

    @Sendable func deleteAdjustment(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let row = try await ManualScoreAdjustment.find(try req.uuidParameter("adjID"), on: req.db), row.$campaign.id == c.id else {
            throw AppError.notFound("加减分记录")
        }
        try await ScoringService.deleteManual(row, by: req.caller())
        req.setFlash("已删除加减分记录")
        return req.redirect(to: try c.url(.scoreRules))
    }
}
