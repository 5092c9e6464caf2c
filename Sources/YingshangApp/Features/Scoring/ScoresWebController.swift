import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/scores` and `/campaigns/:id/scores…`: scoring runs, ranks, explanations, rules, the unit table and benchmarks.
struct ScoresWebController {
    func register(_ g: Guarded) {
        g.get("scores", action: .viewScores, use: campaigns)
        g.get("campaigns", ":id", "scores", action: .viewScores, use: show)
        g.get("campaigns", ":id", "scores.xlsx", action: .viewScores, use: showXLSX)
        g.post("campaigns", ":id", "scores", "run", action: .runScoring, use: run)
        g.post("campaigns", ":id", "scores", "runs", ":runID", "recompute", action: .viewScores, use: recompute)
        g.get("campaigns", ":id", "scores", "explain", action: .viewScores, use: explain)
        g.get("campaigns", ":id", "scores", "rules", action: .viewScores, use: rules)
        g.post("campaigns", ":id", "scores", "rules", action: .manageScoreRules, use: saveRules)
        g.post("campaigns", ":id", "scores", "adjustments", action: .manageScoreRules, use: addAdjustment)
        g.post("campaigns", ":id", "scores", "adjustments", ":adjID", "delete", action: .manageScoreRules, use: deleteAdjustment)
        g.get("campaigns", ":id", "scores", "units", action: .viewScores, use: units)
        g.get("campaigns", ":id", "scores", "units.xlsx", action: .viewScores, use: unitsXLSX)
        g.post("campaigns", ":id", "scores", "units", "apply", action: .manageScoreRules, use: applyUnits)
        g.get("campaigns", ":id", "scores", "values", action: .viewScores, use: values)
        g.post("campaigns", ":id", "scores", "benchmarks", action: .runScoring, use: importBenchmarks)
        g.post("campaigns", ":id", "scores", "verified", action: .runScoring, use: importVerified)
    }

    // MARK: Campaign list

    struct CampaignRow: Encodable {
        let id: String
        let name: String
        let year: Int
        let lastRun: String
    }

    @Sendable func campaigns(req: Request) async throws -> View {
        let list = try await req.visibleCampaigns().sort(\.$year, .descending).sort(\.$name).all()
        var rows: [CampaignRow] = []
        for c in list {
            let run = try await ScoringService.latest(c, on: req.db)
            rows.append(
                CampaignRow(
                    id: try c.requireID().uuidString, name: c.name, year: c.year,
                    lastRun: run.map { "第 \($0.number) 次评分 · \(DisplayTime.format($0.createdAt))" } ?? "尚未评分"))
        }
        return try await req.render("scores/index", title: "评分与报告", ["campaigns": rows])
    }

    // MARK: Score table

    struct Column: Encodable {
        let id: String
        let name: String
        let isBenchmark: Bool
    }

    struct Cell: Encodable {
        let score: String
        let rank: String
        let href: String
        let missing: Bool
        /// The region's name: the cell's label when the table becomes cards on a phone.
        let label: String
        /// "warning" or "advanced" against the campaign's 预警值/先进值, "" otherwise; and what to say.
        var mark: String = ""
        var markText: String = ""
    }

    struct Row: Encodable {
        let code: String
        let name: String
        let cells: [Cell]
    }

    struct ShowBody: Encodable {
        let campaignID: String
        let campaignName: String
        let run: String
        let hasRun: Bool
        let columns: [Column]
        let rows: [Row]
        let overall: [Cell]
        let warnings: [String]
        let chart: String
        let canRun: Bool
        let canRules: Bool
        let assessedCount: Int
        let runID: String
    }

    /// The score and rank table as shown: one row per indicator, a score and a rank column per region.
    @Sendable func showXLSX(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let run = try await ScoringService.latest(c, on: req.db) else { throw AppError.conflict("尚未评分，没有得分可导出") }
        let result = try run.result(for: req.resolvedRegionScope)
        let header = ["指标代码", "指标"] + result.regions.flatMap { ["\($0.name) 得分", "\($0.name) 排名"] }
        let rows = (result.regions.first?.indicators ?? []).map { ind in
            [ind.code, ind.nameZh] + result.regions.flatMap { r -> [String] in
                let s = r.indicator(ind.code)
                return [s?.score.map(Scoring.fmt2) ?? "未填报", s?.rank.map(String.init) ?? ""]
            }
        }
        let overall = ["", "总分"] + result.regions.flatMap { [$0.overall.map(Scoring.fmt2) ?? "未评分", $0.rank.map(String.init) ?? ""] }
        return try Downloads.xlsx(name: "\(c.name)-评分与排名.xlsx", sheet: "评分与排名", rows: [header] + rows + [overall], textColumns: [0, 1])
    }

    @Sendable func show(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID().uuidString
        let role = try req.currentRole()
        guard let run = try await ScoringService.latest(c, on: req.db) else {
            return try await req.render(
                "scores/show", title: "评分与排名",
                ShowBody(
                    campaignID: cid, campaignName: c.name, run: "", hasRun: false, columns: [], rows: [], overall: [], warnings: [],
                    chart: "", canRun: req.offers(.runScoring), canRules: req.offers(.manageScoreRules),
                    assessedCount: 0, runID: ""))
        }
        let result = try run.result(for: req.resolvedRegionScope)
        let columns = result.regions.map { Column(id: $0.id, name: $0.name, isBenchmark: $0.isBenchmark) }
        let codes = result.regions.first?.indicators.map { ($0.code, $0.nameZh) } ?? []
        let thresholds = try await ThresholdService.lines(try c.requireID(), on: req.db)
        func cell(_ r: RegionScore, _ code: String) -> Cell {
            let ind = r.indicator(code)
            let line = r.isBenchmark ? nil : Thresholds.resolve(code, regionID: r.id, in: thresholds)
            let mark = Thresholds.mark(score: ind?.score, line)
            let value = mark == .warning ? line?.warning : line?.advanced
            return Cell(
                score: ind?.score.map(Scoring.fmt2) ?? "未填报", rank: result.assessedCount > 1 ? ind?.rank.map { "第 \($0) 名" } ?? "" : "",
                href: "/campaigns/\(cid)/scores/explain?region=\(r.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&indicator=\(code)",
                missing: ind?.score == nil, label: r.name, mark: mark == .normal ? "" : mark.rawValue,
                markText: mark == .normal ? "" : "\(mark.chineseName) \(value.map(Scoring.fmt2) ?? "")")
        }
        let rows = codes.map { code, name in Row(code: code, name: name, cells: result.regions.map { cell($0, code) }) }
        let overall = result.regions.map {
            Cell(
                score: $0.overall.map(Scoring.fmt2) ?? "未评分", rank: result.assessedCount > 1 ? $0.rank.map { "第 \($0) 名" } ?? "" : "", href: "",
                missing: $0.overall == nil, label: $0.name)
        }
        let chart = ReportBuilder.barChart(result, regionID: result.assessed.first?.id ?? "")
        return try await req.render(
            "scores/show", title: "评分与排名",
            ShowBody(
                campaignID: cid, campaignName: c.name,
                run: "第 \(run.number) 次评分 · \(DisplayTime.format(run.createdAt)) · \(run.createdBy) · 指标体系 V\((try? run.inputs().catalogVersion) ?? "")",
                hasRun: true, columns: columns, rows: rows, overall: overall, warnings: result.warnings, chart: chart,
                canRun: req.offers(.runScoring), canRules: req.offers(.manageScoreRules),
                assessedCount: result.assessedCount, runID: try run.requireID().uuidString))
    }

    @Sendable func run(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        do {
            let run = try await ScoringService.run(c, by: req.caller(), clock: req.clock, on: req.db)
            let warnings = run.warnings
            req.setFlash("已完成第 \(run.number) 次评分" + (warnings > 0 ? "；\(warnings) 项数据缺失或无法评分，见下方清单" : ""))
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；").nonBlank ?? e.message, kind: "error")
        }
        return req.redirect(to: "/campaigns/\(cid)/scores")
    }

    /// Re-runs the pure scoring on the inputs stored with a run and says whether every number comes out the same.
    @Sendable func recompute(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let run = try await req.loadScoringRun(of: c)
        let again = try Scoring.run(try run.inputs())
        if again == (try run.result()) {
            req.setFlash("复算一致：按第 \(run.number) 次评分保存的输入重新计算，全部得分与排名相同")
        } else {
            req.setFlash("复算不一致：请联系系统管理员（第 \(run.number) 次评分）", kind: "error")
        }
        return req.redirect(to: "/campaigns/\(try c.requireID())/scores")
    }

    // MARK: Explanation

    struct ExplainBody: Encodable {
        let campaignID: String
        let region: String
        let indicator: String
        let score: String
        let rank: String
        let weight: String
        let subs: [ExplainRow]
        let formula: String
        let run: String
        /// B-READY-style indicators: the pillar column and each pillar's score.
        let pillared: Bool
        let pillars: [String]
    }

    struct ExplainRow: Encodable {
        let pillar: String
        let name: String
        let value: String
        let source: String
        let note: String
        let explanation: String
        let score: String
        let weight: String
    }

    @Sendable func explain(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let run = try await ScoringService.requireLatest(c, on: req.db)
        let result = try run.result(for: req.resolvedRegionScope)
        guard let region = result.region(req.query[String.self, at: "region"] ?? ""),
            let ind = region.indicator(req.query[String.self, at: "indicator"] ?? "")
        else { throw AppError.notFound("评分项") }
        let formula = ind.formula
        let subs = ind.subScores.map { s in
            ExplainRow(
                pillar: s.pillar.map { "\($0.roman) \($0.chineseName)" } ?? "",
                name: s.nameZh, value: s.value.map { $0 + (s.unit.map { " \($0)" } ?? "") } ?? (s.source == nil && s.pillar == .operationalEfficiency ? "无数据" : "未填报"),
                source: s.source?.chineseName ?? "—", note: s.note ?? "", explanation: s.explanation,
                score: s.score.map(Scoring.fmt2) ?? "—", weight: Scoring.fmt(s.weight))
        }
        return try await req.render(
            "scores/explain", title: "得分说明",
            ExplainBody(
                campaignID: try c.requireID().uuidString, region: region.name, indicator: ind.nameZh,
                score: ind.score.map(Scoring.fmt2) ?? "未填报",
                rank: result.assessedCount > 1 ? ind.rank.map { "第 \($0)/\(result.assessedCount) 名" } ?? "—" : "单一地区",
                weight: Scoring.fmt(ind.weight), subs: subs, formula: formula,
                run: "第 \(run.number) 次评分 · \(DisplayTime.format(run.createdAt))",
                pillared: ind.subScores.contains { $0.pillar != nil },
                pillars: (ind.pillars ?? []).map { "支柱 \($0.pillar.roman) \($0.pillar.chineseName) \(Scoring.fmt2($0.score))" }))
    }

    // MARK: Rules and manual adjustments

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
            successMessage: "已保存加分与扣分规则", redirectTo: "/campaigns/\(try c.requireID())/scores/rules",
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
            successMessage: "已记录加减分", redirectTo: "/campaigns/\(try c.requireID())/scores/rules",
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
        return req.redirect(to: "/campaigns/\(try c.requireID())/scores/rules")
    }

    // MARK: Unit assessment table

    struct UnitRow: Encodable {
        let unit: String
        let base: String
        let adjustments: String
        let total: String
        let items: [ItemRow]
    }

    struct ItemRow: Encodable {
        let description: String
        let points: String
    }

    struct UnitsBody: Encodable {
        let campaignID: String
        let campaignName: String
        let rows: [UnitRow]
        let applied: String
        let canApply: Bool
        let hasRun: Bool
    }

    static func unitRows(_ table: [UnitResult], on db: any Database) async throws -> [UnitRow] {
        let names = Dictionary(
            try await Unit.query(on: db).all().compactMap { u in u.id.map { ($0.uuidString, u.name) } }, uniquingKeysWith: { a, _ in a })
        return table.sorted { ($0.total ?? -1000) > ($1.total ?? -1000) }.map { u in
            UnitRow(
                unit: names[u.unitID] ?? u.unitID, base: u.base.map(Scoring.fmt2) ?? "—",
                adjustments: (u.adjustments > 0 ? "+" : "") + Scoring.fmt2(u.adjustments), total: u.total.map(Scoring.fmt2) ?? "—",
                items: u.items.map { ItemRow(description: $0.description, points: ($0.points > 0 ? "+" : "") + Scoring.fmt2($0.points)) })
        }
    }

    /// The unit assessment table as shown, one row per unit with its adjustments spelled out.
    @Sendable func unitsXLSX(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let run = try await ScoringService.latest(c, on: req.db) else { throw AppError.conflict("尚未评分，没有单位考核得分可导出") }
        let rows = try await Self.unitRows(try await ScoringService.unitTable(c, run: run, today: req.clock.today, on: req.db), on: req.db)
        return try Downloads.xlsx(
            name: "\(c.name)-单位考核得分.xlsx", sheet: "单位考核",
            rows: [["单位", "基础分", "加减分", "总分", "加减分明细"]]
                + rows.map { [$0.unit, $0.base, $0.adjustments, $0.total, $0.items.map { "\($0.description)（\($0.points)）" }.joined(separator: "；")] },
            textColumns: [0, 4])
    }

    @Sendable func units(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let run = try await ScoringService.latest(c, on: req.db)
        var table: [UnitResult] = []
        if let run { table = try await ScoringService.unitTable(c, run: run, today: req.clock.today, on: req.db) }
        let applied = try await UnitAssessmentRecord.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$createdAt, .descending).first()
        return try await req.render(
            "scores/units", title: "单位考核得分",
            UnitsBody(
                campaignID: cid.uuidString, campaignName: c.name, rows: try await Self.unitRows(table, on: req.db),
                applied: applied.map { "最近一次确认：\(DisplayTime.format($0.createdAt)) · \($0.createdBy)" } ?? "尚未确认",
                canApply: req.offers(.manageScoreRules), hasRun: run != nil))
    }

    @Sendable func applyUnits(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let record = try await ScoringService.applyUnitTable(c, by: req.caller())
        req.setFlash("已确认单位考核得分（\(try record.table().count) 个单位），已记入审计日志")
        return req.redirect(to: "/campaigns/\(try c.requireID())/scores/units")
    }

    // MARK: Benchmarks and verified values

    struct ValueRow: Encodable {
        let a: String
        let b: String
        let c: String
        let value: String
        let note: String
    }

    struct ValuesBody: Encodable {
        let campaignID: String
        let campaignName: String
        let benchmarks: [ValueRow]
        let verified: [ValueRow]
        let canImport: Bool
        let errors: [String]
        let benchmarkText: String
        let verifiedText: String
        let gapChart: String
    }

    private func valuesPage(_ req: Request, _ c: Campaign, errors: [String], benchmarkText: String = "", verifiedText: String = "") async throws -> View {
        let cid = try c.requireID()
        let catalog = try await ValueImport.catalog(c, on: req.db)
        func names(_ ind: String, _ sub: String) -> (String, String) {
            let i = catalog.indicator(ind)
            return (i?.nameZh ?? ind, i?.subIndicators.first { $0.code == sub }?.nameZh ?? sub)
        }
        let benchmarks = try await BenchmarkValue.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$benchmark).sort(\.$indicatorCode).all().map {
            let (i, s) = names($0.indicatorCode, $0.subCode)
            return ValueRow(a: $0.benchmark, b: i, c: s, value: $0.value, note: "")
        }
        let regions = Dictionary(try await Region.query(on: req.db).all().compactMap { r in r.id.map { ($0, r.name) } }, uniquingKeysWith: { a, _ in a })
        let verified = try await VerifiedValue.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$indicatorCode).all().map {
            let (i, s) = names($0.indicatorCode, $0.subCode)
            return ValueRow(
                a: regions[$0.$region.id] ?? "", b: i, c: s, value: $0.value,
                note: (ValueSource(rawValue: $0.source)?.chineseName ?? $0.source) + ($0.reason.isEmpty ? "" : "：\($0.reason)") + " · \($0.setBy)")
        }
        var gap = ""
        if let run = try await ScoringService.latest(c, on: req.db) { gap = ReportBuilder.gapChart(try run.result(for: req.resolvedRegionScope), regionID: nil) }
        return try await req.render(
            "scores/values", title: "对标与核验值",
            ValuesBody(
                campaignID: cid.uuidString, campaignName: c.name, benchmarks: benchmarks, verified: verified,
                canImport: req.offers(.runScoring), errors: errors, benchmarkText: benchmarkText,
                verifiedText: verifiedText, gapChart: gap))
    }

    @Sendable func values(req: Request) async throws -> View {
        try await valuesPage(req, try await req.loadCampaign(), errors: [])
    }

    struct TextForm: Content {
        var csv: String?
    }

    @Sendable func importBenchmarks(req: Request) async throws -> Response {
        try await importCSV(req, noun: "对标数值", keepText: { (benchmarkText: $0, verifiedText: "") }, run: ValueImport.importBenchmarks)
    }

    @Sendable func importVerified(req: Request) async throws -> Response {
        try await importCSV(req, noun: "核验值", keepText: { (benchmarkText: "", verifiedText: $0) }, run: ValueImport.importVerified)
    }

    /// Runs one of the CSV imports; on row errors re-renders the page with the errors and the pasted text (422).
    private func importCSV(
        _ req: Request, noun: String, keepText: (String) -> (benchmarkText: String, verifiedText: String),
        run: (Campaign, String, Caller) async throws -> Int
    ) async throws -> Response {
        let c = try await req.loadCampaign()
        let text = try req.content.decode(TextForm.self).csv ?? ""
        do {
            let n = try await run(c, text, try req.caller())
            req.setFlash("已导入 \(n) 个\(noun)；重新评分后生效")
            return req.redirect(to: "/campaigns/\(try c.requireID())/scores/values")
        } catch let e as ValueImport.Failure {
            let kept = keepText(text)
            let res = try await valuesPage(req, c, errors: e.errors, benchmarkText: kept.benchmarkText, verifiedText: kept.verifiedText)
                .encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
    }
}
