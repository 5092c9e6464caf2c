import Fluent
import Vapor
import YingshangCore

/// `/campaigns/:id/dispatch`: the daily dispatch board, its printable report and PDF, and the JSON API.
struct DispatchWebController {
    struct Body: Encodable {
        let d: DispatchDTO
        let campaignID: String
        let regions: [MatrixWebController.RegionTab]
        let statusChart: String
        let unitChart: String
        let statusCounts: [SelectOption]
        let generatedAt: String
        let query: String
        /// Every line with its 预警值/先进值 mark from the newest scoring run ("" before any run).
        let marked: [MarkedLine]
    }

    struct MarkedLine: Encodable {
        let line: DispatchDTO.Line
        /// "warning", "advanced" or "".
        let mark: String
        let markText: String
    }

    /// Marks of the newest run for one region, by indicator.
    static func marks(_ c: Campaign, regionID: UUID, on db: any Database) async throws -> [String: Thresholds.Finding] {
        guard let run = try await ScoringService.latest(c, on: db) else { return [:] }
        let findings = Thresholds.findings(try run.result(), lines: try await ThresholdService.lines(try c.requireID(), on: db))
        return Dictionary(findings.filter { $0.regionID == regionID.uuidString }.map { ($0.indicatorCode, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The print page has no layout; it reads `body` like every other page.
    struct PrintContext: Encodable {
        let body: Body
    }

    func register(_ g: Guarded) {
        g.get("verification", action: .viewRegister, use: verification)
        g.get("dispatch", action: .viewDispatch, use: latest)
        g.get("campaigns", ":id", "dispatch", action: .viewDispatch, use: board)
        g.get("campaigns", ":id", "dispatch", "print", action: .viewDispatch, use: printable)
        g.get("campaigns", ":id", "dispatch.pdf", action: .viewDispatch, use: pdf)
    }

    /// The board for the request, from the per-instance cache when no write happened since it was computed.
    static func dispatch(_ req: Request) async throws -> DispatchDTO {
        let slot = try await cacheSlot(req)
        let cache = req.application.dispatchCache
        if let hit = cache.get(slot.key, revision: slot.revision) { return hit }
        // Requests with the same key pass the same checks (`cacheSlot`), so they may share one computation.
        let (rawDate, user, role) = (slot.rawDate, slot.user, slot.role)
        let flight = cache.flight(slot.key, revision: slot.revision) {
            Task { try await compute(req, rawDate: rawDate, user: user, role: role).0 }
        }
        do {
            let dto = try await flight.task.value
            if flight.mine {
                cache.put(slot.key, revision: slot.revision, dto)
                cache.land(slot.key, revision: slot.revision)
            }
            return dto
        } catch {
            if flight.mine { cache.land(slot.key, revision: slot.revision) }
            throw error
        }
    }

    /// The board as the API sends it: the JSON is kept with the board, so a cached board is not encoded again (the
    /// encoding was a fifth of the server's time under load, docs/benchmarks.md).
    static func dispatchJSON(_ req: Request) async throws -> Response {
        let slot = try await cacheSlot(req)
        if let json = req.application.dispatchCache.json(slot.key, revision: slot.revision) {
            var headers = HTTPHeaders()
            headers.contentType = .json
            return Response(status: .ok, headers: headers, body: .init(buffer: json))
        }
        let response = try await dispatch(req).encodeResponse(for: req)
        if let json = response.body.buffer { req.application.dispatchCache.putJSON(slot.key, revision: slot.revision, json) }
        return response
    }

    private struct CacheSlot {
        let key: String
        let revision: Int
        let user: User
        let role: Role
        let rawDate: String?
    }

    private static func cacheSlot(_ req: Request) async throws -> CacheSlot {
        let user = try req.currentUser()
        let role = try req.currentRole()
        let rawDate = req.query[String.self, at: "date"]
        if let rawDate, Day(rawDate) == nil { throw AppError.invalid(["date": "日期格式应为 YYYY-MM-DD"]) }
        let revision = try await DataRevision.current(on: req.db)
        // The campaign's and the region's scope checks run only when the board is computed, so an entry is shared
        // only by requests that would pass the same checks: same role, same unit where the role is unit-scoped, same
        // region scope. (Keyed without them, a county account was answered another county's board.)
        let scope = try await req.regionScope().regionIDs.map { $0.sorted().joined(separator: ",") } ?? "*"
        let key = [
            req.parameters.get("id") ?? "", req.query[String.self, at: "region"] ?? "", rawDate ?? req.clock.today.description,
            role.rawValue, role.isUnitScoped ? user.$unit.id.uuidString : "all", scope,
        ].joined(separator: "|")
        return CacheSlot(key: key, revision: revision, user: user, role: role, rawDate: rawDate)
    }

    static func compute(_ req: Request, rawDate: String?, user: User, role: Role) async throws
        -> (DispatchDTO, Campaign, CampaignService.Details)
    {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        // A finished campaign is shown as of its last day.
        let today = rawDate.flatMap(Day.init) ?? min(req.clock.today, c.end)
        let dto = try await DispatchService.build(c, region: region, today: today, user: user, role: role, on: req.db)
        return (dto, c, d)
    }

    static func load(_ req: Request) async throws -> (DispatchDTO, Campaign, CampaignService.Details) {
        let dto = try await dispatch(req)
        let c = try await req.loadCampaign()
        return (dto, c, try await CampaignService.details(c, on: req.db))
    }

    private func body(_ req: Request) async throws -> Body {
        let (dto, c, d) = try await Self.load(req)
        let marks = try await Self.marks(c, regionID: dto.regionID, on: req.db)
        return Body(
            d: dto, campaignID: try c.requireID().uuidString,
            regions: req.reachable(d.regions).map { .init(id: $0.id?.uuidString ?? "", name: $0.name, active: $0.id == dto.regionID) },
            statusChart: DispatchService.statusChart(dto), unitChart: DispatchService.unitChart(dto),
            statusCounts: WorkStatus.allCases.map {
                SelectOption(value: $0.rawValue, label: "\($0.chineseName) \(dto.counts[$0.rawValue] ?? 0)", selected: false)
            },
            generatedAt: DisplayTime.format(req.clock.now()), query: "?region=\(dto.regionID)&date=\(dto.date)",
            marked: dto.lines.map { l in
                let m = marks[l.indicatorCode]
                return MarkedLine(
                    line: l, mark: m.map { $0.mark == .warning ? "warning" : "advanced" } ?? "",
                    markText: m.map { ($0.mark == .warning ? "得分 \(Scoring.fmt2($0.score))，低于预警值 " : "得分 \(Scoring.fmt2($0.score))，达到先进值 ") + Scoring.fmt2($0.threshold) } ?? "")
            })
    }

    /// The navigation entry for verification: the running campaign's enterprise register.
    @Sendable func verification(req: Request) async throws -> Response {
        // The register belongs to a whole campaign: only campaigns the account reaches in full.
        let scope = try await req.regionScope()
        var whole: [Campaign] = []
        for c in try await req.visibleCampaigns().sort(\.$year, .descending).all()
        where try await CampaignService.checkScope(c, scope: scope, action: nil, on: req.db) == .whole {
            whole.append(c)
        }
        guard let c = whole.first(where: { $0.campaignStatus == .active }) ?? whole.first, let id = c.id else {
            req.setFlash(scope.isUnrestricted ? "还没有评价任务" : "企业名录和抽样属于整个评价任务，您的账户只管辖其中部分地区", kind: "error")
            return req.redirect(to: "/campaigns")
        }
        return req.redirect(to: SiteURL.campaign(id, .register))
    }

    /// The navigation entry: the running campaign's board (or the newest campaign's).
    @Sendable func latest(req: Request) async throws -> Response {
        let active = try await req.visibleCampaigns().filter(\.$status == Campaign.Status.active.rawValue)
            .sort(\.$year, .descending).first()
        let any = try await req.visibleCampaigns().sort(\.$year, .descending).first()
        guard let c = active ?? any, let id = c.id else {
            req.setFlash("还没有评价任务，请先新建评价任务", kind: "error")
            return req.redirect(to: "/campaigns")
        }
        return req.redirect(to: SiteURL.campaign(id, .dispatch))
    }

    @Sendable func board(req: Request) async throws -> View {
        try await req.render("dispatch/board", title: "每日调度", try await body(req))
    }

    @Sendable func printable(req: Request) async throws -> View {
        try await req.view.render("dispatch/print", PrintContext(body: try await body(req)))
    }

    /// Renders the printable page with headless Chromium when it is installed (README: how to install it).
    @Sendable func pdf(req: Request) async throws -> Response {
        // The campaign first: another region's campaign is not found whether or not Chromium is installed.
        let b = try await body(req)
        guard let chromium = PDFRenderer.chromiumPath() else {
            throw AppError(
                status: .serviceUnavailable, code: "pdf_unavailable",
                message: "服务器未安装 Chromium，无法生成 PDF；请打开打印页面用浏览器“打印 → 另存为 PDF”")
        }
        let view = try await req.view.render("dispatch/print", PrintContext(body: b))
        let html = String(buffer: view.data)
        let pdf = try await PDFRenderer.render(html: html, chromium: chromium, logger: req.logger)
        return Downloads.file(pdf, name: "每日调度-\(b.d.date).pdf", type: "application/pdf")
    }
}

struct DispatchAPIController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "dispatch", action: .viewDispatch, use: dispatch)
    }

    /// `?region=&date=`; unit heads get only their own unit's indicators.
    @Sendable func dispatch(req: Request) async throws -> Response {
        try await DispatchWebController.dispatchJSON(req)
    }
}
