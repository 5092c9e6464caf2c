import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/scores/units`: each unit's assessment (its indicators' scores, late-filing deductions, the
/// cooperating share, manual adjustments), its workbook and applying it to the units' records.
struct UnitAssessmentWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "scores", "units", action: .viewScores, use: units)
        g.get("campaigns", ":id", "scores", "units.xlsx", action: .viewScores, use: unitsXLSX)
        g.post("campaigns", ":id", "scores", "units", "apply", action: .manageScoreRules, use: applyUnits)
    }

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
        return try await Downloads.xlsx(
            name: "\(c.name)-单位考核得分.xlsx", sheet: "单位考核",
            rows: [["单位", "基础分", "加减分", "总分", "加减分明细"]]
                + rows.map { [$0.unit, $0.base, $0.adjustments, $0.total, $0.items.map { "\($0.description)（\($0.points)）" }.joined(separator: "；")] },
            textColumns: [0, 4], req: req)
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
        return req.redirect(to: try c.url(.scoreUnits))
    }
}
