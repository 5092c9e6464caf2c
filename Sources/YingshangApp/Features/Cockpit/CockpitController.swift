import Fluent
import Vapor
import YingshangCore

/// `/campaigns/:id/cockpit`: the leaders' board (领导驾驶舱) for a meeting-room display — scores against the frontier
/// and last year, ranks among the city's counties, red marks, today's filing progress, open flags and overdue
/// rectifications; refreshed every minute without reload (app.js `data-refresh`), and `?print=1` for one A4 page.
struct CockpitController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "cockpit", action: .viewCockpit, use: board)
    }

    /// The board has no site layout (full screen); it reads `body` like every other page.
    struct Context: Encodable {
        let body: CockpitPage
    }

    @Sendable func board(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        // `?refresh=` seconds between updates on the wall (10–600; default one minute).
        let refresh = (req.query[String.self, at: "refresh"]).flatMap { Int($0) }.map { min(600, max(10, $0)) } ?? 60
        let page = try await CockpitPage.build(
            c, details: d, region: region, printable: req.query[String.self, at: "print"] == "1", refreshSeconds: refresh,
            by: req.caller())
        return try await req.view.render("cockpit/board", Context(body: page))
    }
}

/// What the board shows, as text ready to display (the page has no logic of its own).
struct CockpitPage: Encodable {
    struct Card: Encodable {
        let label: String
        let value: String
        let detail: String
        /// "red" when the figure needs the meeting's attention, "good" when it is at or past the advanced value.
        let tone: String
        let href: String
    }

    struct IndicatorRow: Encodable {
        let name: String
        let score: String
        /// Bar length in percent of the frontier (100).
        let width: String
        /// Last year's position on the same scale, for a tick on the bar; "" when there is none.
        let lastYearPosition: String
        let lastYear: String
        let change: String
        let changeTone: String
        /// "warning" (below 预警值), "advanced" (at or above 先进值) or "".
        let mark: String
        let markText: String
    }

    struct RankRow: Encodable {
        let name: String
        let overall: String
        let rank: String
        let active: Bool
    }

    let campaignID: String
    let campaignName: String
    let regionID: String
    let regionName: String
    let regions: [MatrixWebController.RegionTab]
    let updatedAt: String
    let scored: Bool
    let run: String
    let lastYearName: String
    let cards: [Card]
    let indicators: [IndicatorRow]
    let ranks: [RankRow]
    let printable: Bool
    let refreshSeconds: Int

    static func build(
        _ c: Campaign, details d: CampaignService.Details, region: Region, printable: Bool, refreshSeconds: Int, by caller: Caller
    ) async throws -> CockpitPage {
        let db = caller.db
        let cid = try c.requireID()
        let rid = try region.requireID()
        let now = caller.clock.now()
        let today = min(caller.clock.today, c.end)
        let base = SiteURL.campaign(cid)

        // Scores: the newest run of this campaign, and of the campaign it was carried over from.
        let run = try await ScoringService.latest(c, on: db)
        let result = try run?.result(for: caller.scope)
        let mine = result?.region(rid.uuidString)
        let previous = try await Campaign.find(c.previousCampaignID, on: db)
        var lastRun: ScoringRun?
        if let previous { lastRun = try await ScoringService.latest(previous, on: db) }
        let lastMine = try lastRun?.result().region(rid.uuidString).flatMap { $0.isBenchmark ? nil : $0 }
        let comparison = mine.flatMap { m in lastMine.map { YearOverYear.compare(current: m, previous: $0) } }
        let lines = try await ThresholdService.lines(cid, on: db)
        let marks = result.map { Thresholds.findings($0, lines: lines).filter { $0.regionID == rid.uuidString } } ?? []

        func signed(_ d: Double?) -> (String, String) {
            guard let d else { return ("", "") }
            return (Scoring.fmtChange(d), [1: "good", -1: "red"][Scoring.changeDirection(d)] ?? "")
        }

        var indicators: [IndicatorRow] = []
        for ind in mine?.indicators ?? [] {
            let line = comparison?.lines.first { $0.code == ind.code }
            let (change, tone) = signed(line?.change)
            let mark = marks.first { $0.indicatorCode == ind.code }
            indicators.append(
                IndicatorRow(
                    name: ind.nameZh, score: ind.score.map(Scoring.fmt2) ?? "未评分",
                    width: String(format: "%.1f", min(100, max(0, ind.score ?? 0))),
                    lastYearPosition: line?.previous.map { String(format: "%.1f", min(100, max(0, $0))) } ?? "",
                    lastYear: line?.previous.map(Scoring.fmt2) ?? "", change: change, changeTone: tone,
                    mark: mark.map { $0.mark == .warning ? "warning" : "advanced" } ?? "",
                    markText: mark.map { ($0.mark == .warning ? "低于预警值 " : "达到先进值 ") + Scoring.fmt2($0.threshold) } ?? ""))
        }

        // Filing progress today (a finished campaign as of its last day), open flags, rectifications.
        let dispatch = try await DispatchService.build(c, region: region, today: today, user: caller.user, role: caller.role, on: db)
        let openFlags = try await VerificationFlag.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid)
            .filter(\.$status == VerificationFlag.Status.open.rawValue).count()
        let rects = try await Rectification.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).all()
            .filter { !$0.rectificationStatus.isClosed }
        let overdueRects = rects.filter { $0.isOverdue(today: caller.clock.today) }.count

        var cards: [Card] = []
        if let mine {
            let (change, _) = signed(comparison?.overallChange)
            cards.append(Card(
                label: "综合得分", value: mine.overall.map(Scoring.fmt2) ?? "未评分",
                detail: [
                    mine.overall.map { "距前沿 \(Scoring.fmt2(Scoring.distanceToFrontier($0)))" },
                    change.isEmpty ? nil : "比上年 \(change)",
                ].compactMap { $0 }.joined(separator: " · "),
                tone: "", href: "\(base)/report?region=\(rid)"))
            if let result, result.assessedCount > 1 {
                cards.append(Card(
                    label: "全市排名", value: mine.rank.map { "第 \($0)/\(result.assessedCount)" } ?? "—",
                    detail: comparison?.rankPrevious.map { "上年第 \($0) 名" } ?? "", tone: "", href: "\(base)/scores"))
            }
            let warnings = marks.filter { $0.mark == .warning }.count
            let advanced = marks.filter { $0.mark == .advanced }.count
            cards.append(Card(
                label: "红色预警指标", value: String(warnings), detail: "达到先进值 \(advanced) 项",
                tone: warnings > 0 ? "red" : "", href: "\(base)/scores/thresholds"))
        }
        cards.append(Card(
            label: "已报送指标", value: "\(dispatch.handedIn)/\(dispatch.total)",
            detail: "今日应报 \(dispatch.dueToday.count) 项 · 逾期 \(dispatch.overdue.count) 项",
            tone: dispatch.overdue.isEmpty ? "" : "red", href: "\(base)/dispatch?region=\(rid)"))
        cards.append(Card(
            label: "待核实疑点", value: String(openFlags), detail: "第三方评估发现、待确认或排除",
            tone: openFlags > 0 ? "red" : "", href: "\(base)/flags?region=\(rid)"))
        cards.append(Card(
            label: "逾期整改", value: String(overdueRects), detail: "未完成整改 \(rects.count) 项",
            tone: overdueRects > 0 ? "red" : "", href: "/rectifications?campaign=\(cid)&overdue=1"))

        let ranks = (result?.assessed ?? []).sorted { ($0.rank ?? Int.max, $0.name) < ($1.rank ?? Int.max, $1.name) }.map {
            RankRow(name: $0.name, overall: $0.overall.map(Scoring.fmt2) ?? "未评分", rank: $0.rank.map { "第 \($0) 名" } ?? "—", active: $0.id == rid.uuidString)
        }
        return CockpitPage(
            campaignID: cid.uuidString, campaignName: c.name, regionID: rid.uuidString, regionName: region.name,
            regions: d.regions.filter { caller.scope.covers($0.id?.uuidString) }.map { .init(id: $0.id?.uuidString ?? "", name: $0.name, active: $0.id == rid) },
            updatedAt: DisplayTime.format(now), scored: mine != nil,
            run: run.map { "第 \($0.number) 次评分（\(DisplayTime.format($0.createdAt))）" } ?? "尚未评分",
            lastYearName: lastMine == nil ? "" : previous?.name ?? "", cards: cards, indicators: indicators,
            ranks: (result?.assessedCount ?? 0) > 1 ? ranks : [], printable: printable, refreshSeconds: refreshSeconds)
    }
}
