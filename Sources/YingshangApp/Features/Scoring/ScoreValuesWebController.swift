import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/scores/values`: benchmark values and verified values, shown and imported as CSV text.
struct ScoreValuesWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "scores", "values", action: .viewScores, use: values)
        g.post("campaigns", ":id", "scores", "benchmarks", action: .runScoring, use: importBenchmarks)
        g.post("campaigns", ":id", "scores", "verified", action: .runScoring, use: importVerified)
    }

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
        let catalog = try await c.catalog(on: req.db)
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
            return req.redirect(to: try c.url(.scoreValues))
        } catch let e as ValueImport.Failure {
            let kept = keepText(text)
            let res = try await valuesPage(req, c, errors: e.errors, benchmarkText: kept.benchmarkText, verifiedText: kept.verifiedText)
                .encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
    }
}
