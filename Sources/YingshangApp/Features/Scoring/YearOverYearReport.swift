import Fluent
import Vapor
import YingshangCore

/// The report's side-by-side comparison with another campaign (by default the one this campaign was carried over
/// from), for one region. The arithmetic is YingshangCore's `YearOverYear.compare`; this decides what to compare
/// with and formats it.
struct YearOverYearSection: Encodable {
    struct Row: Encodable {
        let name: String
        let current: String
        let previous: String
        let change: String
        /// "up", "down" or "" (for colour and for a reader who cannot see it: the sign is in `change`).
        let direction: String
        let ranks: String
        let note: String
    }

    let otherID: String
    let otherName: String
    let overall: Row?
    let rows: [Row]
    let notes: [String]
    /// Ranks mean something only among several assessed regions.
    var showRanks: Bool = false
}

enum YearOverYearReport {
    /// What to compare with: `compare` if given (a campaign id), else the campaign this one was carried over from;
    /// nil when there is none. An unknown id is a 404 rather than a report silently without the comparison.
    /// A campaign outside the account's region scope is not offered and not found.
    static func other(for campaign: Campaign, compare: String?, scope: RegionScope, on db: any Database) async throws -> Campaign? {
        if let compare, !compare.isEmpty {
            if compare == "none" { return nil }
            let visible = try await CampaignService.visibleIDs(scope, on: db)
            guard let id = UUID(uuidString: compare), id != campaign.id, visible?.contains(id) ?? true,
                let c = try await Campaign.find(id, on: db)
            else {
                throw AppError.notFound("对比的评价任务")
            }
            return c
        }
        return try await Campaign.find(campaign.previousCampaignID, on: db)
    }

    /// Campaigns with at least one scoring run, other than `campaign`, newest year first (the report's select).
    static func options(for campaign: Campaign, selected: UUID?, scope: RegionScope, on db: any Database) async throws -> [SelectOption] {
        var scored = Set(try await ScoringRun.query(on: db).field(\.$campaign.$id).all().map { $0.$campaign.id })
        if let visible = try await CampaignService.visibleIDs(scope, on: db) { scored.formIntersection(visible) }
        return try await Campaign.query(on: db).filter(\.$id ~~ scored).sort(\.$year, .descending).all()
            .filter { $0.id != campaign.id }
            .map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id == selected) }
    }

    static func section(current: ScoringResult, regionID: String, other: Campaign, on db: any Database) async throws -> YearOverYearSection {
        let oid = try other.requireID()
        guard let run = try await ScoringService.latest(other, on: db) else {
            return YearOverYearSection(
                otherID: oid.uuidString, otherName: other.name, overall: nil, rows: [],
                notes: ["\(other.name)尚未评分，暂无可对比的得分。"])
        }
        let then = try run.result()
        guard let now = current.region(regionID) else { throw AppError.notFound("被评价地区") }
        guard let before = then.region(regionID), !before.isBenchmark else {
            return YearOverYearSection(
                otherID: oid.uuidString, otherName: other.name, overall: nil, rows: [],
                notes: ["\(other.name)没有评价\(now.name)，无法对比。"])
        }
        let c = YearOverYear.compare(current: now, previous: before)
        func score(_ d: Double?) -> String { d.map(Scoring.fmt2) ?? "—" }
        func change(_ d: Double?) -> (String, String) {
            guard let d else { return ("—", "") }
            return (Scoring.fmtChange(d), [1: "up", -1: "down"][Scoring.changeDirection(d)] ?? "")
        }
        func ranks(_ a: Int?, _ b: Int?) -> String {
            guard a != nil || b != nil else { return "—" }
            return "\(b.map { "第 \($0) 名" } ?? "—") → \(a.map { "第 \($0) 名" } ?? "—")"
        }
        let rows = c.lines.map { l -> YearOverYearSection.Row in
            let (text, dir) = change(l.change)
            let note: String
            switch (l.current == nil && l.previous == nil, l.sameFrontier) {
            case (true, _): note = "两次均未评分"
            case (_, nil): note = l.previous == nil && l.current != nil ? "仅本次评价" : "仅对比任务评价"
            case (_, false?): note = "前沿值或最差值已变化"
            default: note = ""
            }
            return .init(
                name: l.name, current: score(l.current), previous: score(l.previous), change: text, direction: dir,
                ranks: ranks(l.currentRank, l.previousRank), note: note)
        }
        let (overallText, overallDir) = change(c.overallChange)
        var notes = ["得分按各自评价的前沿值计算（前沿距离法）：前沿值变化时，得分变化不全是表现的变化。"]
        if !c.sameIndicators { notes.append("两次评价计分的指标不同，综合得分的变化含指标范围的变化。") }
        var section = YearOverYearSection(
            otherID: oid.uuidString, otherName: other.name,
            overall: .init(
                name: "综合得分", current: score(c.overallCurrent), previous: score(c.overallPrevious), change: overallText,
                direction: overallDir, ranks: ranks(c.rankCurrent, c.rankPrevious), note: c.sameIndicators ? "" : "指标范围不同"),
            rows: rows, notes: notes)
        section.showRanks = current.assessedCount > 1 || then.assessedCount > 1
        return section
    }
}
