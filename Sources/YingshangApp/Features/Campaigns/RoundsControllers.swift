import Fluent
import Vapor
import YingshangCore

/// Monitoring rounds (常态化监测): the new-round form, the trend page beside the scores, and the API.
struct RoundsWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "rounds", "new", action: .manageCampaigns, use: new)
        g.post("campaigns", ":id", "rounds", action: .manageCampaigns, use: create)
        g.get("campaigns", ":id", "scores", "trend", action: .viewScores, use: trend)
    }

    struct FormBody: Encodable {
        let campaignID: String
        let campaignName: String
        let periods: [SelectOption]
        let year: String
        let number: String
        let filingStart: String
        let filingEnd: String
        let indicators: [CampaignsWebController.Check]
        let errors: [String: String]
    }

    private func form(_ req: Request, _ parent: Campaign, _ input: RoundInput, errors: [String: String]) async throws -> View {
        let d = try await CampaignService.details(parent, on: req.db)
        let chosen = Set(input.indicatorCodes ?? [])
        return try await req.render(
            "campaigns/round_form", title: "新建监测轮次",
            FormBody(
                campaignID: try parent.requireID().uuidString, campaignName: parent.name,
                periods: MonitoringPeriod.allCases.reversed().map {
                    SelectOption(value: $0.rawValue, label: "\($0.chineseName)（每年 \($0.roundsPerYear) 轮）", selected: $0.rawValue == input.period)
                },
                year: input.year.map(String.init) ?? input.yearText ?? "", number: input.number.map(String.init) ?? input.numberText ?? "",
                filingStart: input.filingStart ?? "", filingEnd: input.filingEnd ?? "",
                indicators: d.indicators.map { .init(value: $0.code, label: $0.name, checked: chosen.contains($0.code)) },
                errors: errors))
    }

    /// Proposes the last quarter that has ended, with every indicator of the campaign.
    @Sendable func new(req: Request) async throws -> View {
        let parent = try await req.loadCampaign()
        if parent.parentCampaignID != nil { throw AppError.conflict("监测轮次下不能再设监测轮次") }
        let last = MonitoringRounds.lastEnded(.quarterly, before: req.clock.today)
        let d = try await CampaignService.details(parent, on: req.db)
        let input = RoundInput(
            period: MonitoringPeriod.quarterly.rawValue, year: last.year, number: last.number, indicatorCodes: d.indicators.map(\.code))
        return try await form(req, parent, input, errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let parent = try await req.loadCampaign()
        let input = try req.content.decode(RoundInput.self)
        var created: Campaign?
        let pid = try parent.requireID()
        let response = try await req.submitForm(
            successMessage: "已新建监测轮次：各牵头单位可在“我的填报”中填报", redirectTo: SiteURL.campaign(pid),
            renderForm: { try await form(req, parent, input, errors: $0) },
            write: { created = try await RoundService.create(parent, input, by: req.caller()) })
        if let created, created.campaignStatus == .draft {
            req.setFlash("已新建监测轮次（筹备中）：有指标尚无牵头单位，请在责任分工中补齐后启动")
        }
        return response.redirecting(to: created?.id.map { SiteURL.campaign($0) })
    }

    struct TrendChart: Encodable {
        let title: String
        let svg: String
        let table: TrendTable
    }

    struct TrendTable: Encodable {
        struct Row: Encodable {
            let name: String
            let values: [String]
        }

        let labels: [String]
        let rows: [Row]
    }

    struct TrendBody: Encodable {
        let campaignID: String
        let campaignName: String
        let rounds: [RoundDTO]
        let charts: [TrendChart]
        let subsetsDiffer: Bool
        let canCreate: Bool
    }

    /// Every round of the campaign with its progress, and the scores of the scored rounds side by side.
    @Sendable func trend(req: Request) async throws -> View {
        let parent = try await req.loadCampaign()
        let list = try await RoundService.list(of: parent, scope: req.regionScope(), on: req.db)
        let t = list.trend
        let charts = RoundsWebController.charts(t)
        return try await req.render(
            "scores/trend", title: "常态化监测趋势",
            TrendBody(
                campaignID: try parent.requireID().uuidString, campaignName: parent.name, rounds: list.rounds, charts: charts,
                subsetsDiffer: t.subsetsDiffer, canCreate: req.offers(.manageCampaigns) && parent.parentCampaignID == nil))
    }

    /// The overall score and each indicator's, one chart and one table each (the report uses the same).
    static func charts(_ t: RoundTrendDTO) -> [TrendChart] {
        guard !t.labels.isEmpty, !t.overall.isEmpty else { return [] }
        func chart(_ title: String, _ lines: [RoundTrendDTO.Line]) -> TrendChart {
            TrendChart(
                title: title,
                svg: SVGChart.trendLines(labels: t.labels, lines: lines.map { (name: $0.regionName, values: $0.values) }, title: title),
                table: TrendTable(
                    labels: t.labels,
                    rows: lines.map { .init(name: $0.regionName, values: $0.values.map { $0.map(Scoring.fmt2) ?? "—" }) }))
        }
        return [chart("综合得分", t.overall)] + t.indicators.map { chart($0.name, $0.lines) }
    }

    /// One region in the report: its overall score and each indicator's across the rounds, one line each.
    static func regionChart(_ t: RoundTrendDTO, regionID: String) -> TrendChart? {
        guard let overall = t.overall.first(where: { $0.regionID == regionID }), overall.values.contains(where: { $0 != nil }) else { return nil }
        let lines = [(name: "综合得分", values: overall.values)]
            + t.indicators.compactMap { s in s.lines.first { $0.regionID == regionID }.map { (name: s.name, values: $0.values) } }
        let title = "\(overall.regionName)各监测轮次得分"
        return TrendChart(
            title: title, svg: SVGChart.trendLines(labels: t.labels, lines: lines, title: title),
            table: TrendTable(labels: t.labels, rows: lines.map { .init(name: $0.name, values: $0.values.map { $0.map(Scoring.fmt2) ?? "—" }) }))
    }
}

/// `/api/v1/campaigns/{id}/rounds`.
struct RoundsAPIController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "rounds", action: .viewCampaigns, use: list)
        g.post("campaigns", ":id", "rounds", action: .manageCampaigns, use: create)
    }

    /// Rounds with progress; the trend's scores only for roles that may see scores.
    @Sendable func list(req: Request) async throws -> RoundList {
        let parent = try await req.loadCampaign()
        let list = try await RoundService.list(of: parent, scope: req.regionScope(), on: req.db)
        if req.offers(.viewScores) { return list }
        return RoundList(rounds: list.rounds, trend: RoundTrendDTO(RoundTrend.build([], indicators: [])).labelled(list.trend.labels))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let parent = try await req.loadCampaign()
        let input = try req.content.decode(RoundInput.self)
        let round = try await RoundService.create(parent, input, by: req.caller())
        let list = try await RoundService.list(of: parent, scope: req.regionScope(), on: req.db)
        guard let dto = list.rounds.first(where: { $0.id == round.id }) else { throw AppError.notFound("监测轮次") }
        return try await dto.encodeResponse(status: .created, for: req)
    }
}
