import Fluent
import Vapor
import YingshangCore

/// `/public`: published policies and best practices, no login, read-only; nothing unpublished is reachable.
struct PublicController {
    struct Body: Encodable {
        let practices: [LibraryWebController.PracticeRow]
        let policies: [LibraryWebController.PolicyRow]
        let q: String
        let indicators: [SelectOption]
        /// Who publishes: the deployment's top region (e.g. 青山县), so a citizen knows whose page this is.
        let publisher: String
    }

    /// The region whose departments use the platform (the one most units belong to, e.g. 青山县); empty without units.
    /// Benchmark and neighbouring regions loaded for comparison have no units.
    static func publisher(_ req: Request) async throws -> String {
        let cache = req.application.pageCaches.publisher
        if let cached = cache.get("", now: req.clock.now()) { return cached }
        let name = try await computePublisher(req.db)
        cache.put("", name, now: req.clock.now())
        return name
    }

    static func computePublisher(_ db: any Database) async throws -> String {
        var counts: [UUID: Int] = [:]
        for u in try await Unit.query(on: db).all() { if let r = u.$region.id { counts[r, default: 0] += 1 } }
        guard let top = counts.max(by: { ($0.value, $1.key.uuidString) < ($1.value, $0.key.uuidString) })?.key else { return "" }
        return try await Region.find(top, on: db)?.name ?? ""
    }

    func register(_ app: any RoutesBuilder) {
        app.get("public", use: index).markPublic()
        app.get("public", "policies", ":pid", use: policy).markPublic()
        app.get("public", "policies", ":pid", "file", use: policyFile).markPublic()
        app.get("public", "practices", ":pid", use: practice).markPublic()
    }

    /// The unfiltered page — what nearly every visitor opens — is kept for up to 10 s (emptied on this instance by
    /// every library change), so a crowd of citizens costs one set of queries and one rendering per 10 s.
    @Sendable func index(req: Request) async throws -> View {
        let q = String((req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(50))
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        let cache = req.application.pageCaches.publicIndex
        let unfiltered = q.isEmpty && indicator.isEmpty
        if unfiltered, let page = cache.get("", now: req.clock.now()) { return View(data: page) }
        let view = try await render(req, q: q, indicator: indicator)
        if unfiltered { cache.put("", view.data, now: req.clock.now()) }
        return view
    }

    private func render(_ req: Request, q: String, indicator: String) async throws -> View {
        let practices = try await LibraryWebController.practices(req.db, q: q, indicator: indicator) { $0 = $0.filter(\.$published == true) }
        let policies = try await LibraryWebController.policies(req.db, q: q, indicator: indicator, publishedOnly: true)
        return try await req.view.render(
            "public/index",
            Body(
                practices: practices.map(LibraryWebController.practiceRow), policies: policies.map(LibraryWebController.policyRow), q: q,
                indicators: LibraryWebController.indicatorOptions(indicator), publisher: try await Self.publisher(req)))
    }

    static func publishedPolicy(_ req: Request) async throws -> Policy {
        guard let id = UUID(uuidString: req.parameters.get("pid") ?? ""), let p = try await Policy.find(id, on: req.db), p.published else {
            throw AppError.notFound("政策文件")
        }
        return p
    }

    struct PolicyPage: Encodable {
        let row: LibraryWebController.PolicyRow
        let paragraphs: [String]
        let fileName: String?
    }

    @Sendable func policy(req: Request) async throws -> View {
        let p = try await Self.publishedPolicy(req)
        return try await req.view.render(
            "public/policy", PolicyPage(row: LibraryWebController.policyRow(p), paragraphs: p.fullText.split(separator: "\n").map(String.init), fileName: p.fileName))
    }

    @Sendable func policyFile(req: Request) async throws -> Response {
        let p = try await Self.publishedPolicy(req)
        return try await EvidenceStore.streamAttached(p, req: req)
    }

    struct PracticePage: Encodable {
        let row: LibraryWebController.PracticeRow
        let description: [String]
        let measures: [String]
        let results: [String]
    }

    @Sendable func practice(req: Request) async throws -> View {
        guard let id = UUID(uuidString: req.parameters.get("pid") ?? ""), let p = try await BestPractice.find(id, on: req.db), p.published,
            p.practiceStatus == .curated
        else { throw AppError.notFound("典型经验") }
        func lines(_ s: String) -> [String] { s.split(separator: "\n").map(String.init) }
        return try await req.view.render(
            "public/practice",
            PracticePage(row: LibraryWebController.practiceRow(p), description: lines(p.description), measures: lines(p.measures), results: lines(p.results)))
    }
}
