import Fluent
import SQLKit
import Foundation
import YingshangCore

/// The stratified satisfaction index of each draw: respondents of a draw are weighted within that draw only
/// (N_h / r_h of their stratum there), so a second, unrelated draw never changes the first one's figures.
enum SurveyEstimates {
    struct DrawEstimate {
        let drawID: UUID
        let drawnAt: Date?
        let result: StratifiedEstimate.Result?
    }

    static func byDraw(campaignID: UUID, template: SurveyTemplate, on db: any Database) async throws -> [DrawEstimate] {
        let likert = template.items.filter { $0.kind == .likert }.map(\.code)
        var out: [DrawEstimate] = []
        for draw in try await SampleDraw.query(on: db).filter(\.$campaign.$id == campaignID).sort(\.$createdAt).all() {
            let did = try draw.requireID()
            let values = try await indexValues(draw: draw, likert: likert, on: db)
            let strata = draw.allocation.map {
                StratifiedEstimate.Stratum(key: $0.stratum, population: $0.population, planned: $0.sample, values: values[$0.stratum] ?? [])
            }
            out.append(DrawEstimate(drawID: did, drawnAt: draw.createdAt, result: StratifiedEstimate.estimate(strata)))
        }
        return out
    }

    /// Each respondent's satisfaction index (0–100) of a draw, by the stratum it was drawn from.
    static func indexValues(draw: SampleDraw, likert: [String], on db: any Database) async throws -> [String: [Double]] {
        let did = try draw.requireID()
        guard !likert.isEmpty else { return [:] }
        let sql = try db.sql()
        // One join reads only the submitted answers and their stratum (both tables are unique on draw × enterprise),
        // and the database's JSON functions pick out the Likert answers: decoding each stored answer set in Swift
        // took three quarters of the report's time at 13,600 responses (and loading every issued member and
        // response as models most of the rest).
        let sqlite = sql.engine == .sqlite
        var columns: [SQLQueryString] = []
        for (i, code) in likert.enumerated() {
            columns.append(sqlite
                ? "json_extract(r.answers, \(bind: "$.\"" + code + "\"")) AS \(ident: "a\(i)")"
                : "(r.j ->> \(bind: code)) AS \(ident: "a\(i)")")
        }
        // PostgreSQL parses the text as JSON once per row in the materialised CTE: with `answers::jsonb` in each
        // column it parsed every answer set once per Likert item (16 times), 5.5–6 s of the report at 15,000
        // responses against 0.4 s.
        let submitted: SQLQueryString = sqlite
            ? "SELECT r.draw_id, r.enterprise_id, r.answers FROM survey_responses r WHERE r.draw_id = \(bind: did) AND r.status = 'submitted'"
            : "SELECT r.draw_id, r.enterprise_id, r.answers::jsonb AS j FROM survey_responses r WHERE r.draw_id = \(bind: did) AND r.status = 'submitted'"
        let rows = try await sql.raw("""
            WITH r AS \(unsafeRaw: sqlite ? "" : "MATERIALIZED ")(\(submitted))
            SELECT m.stratum AS stratum, \(columns.joined(separator: ", ")) FROM r
            JOIN sample_members m ON m.draw_id = r.draw_id AND m.enterprise_id = r.enterprise_id
            """).all()
        var values: [String: [Double]] = [:]
        for row in rows {
            let stratum = try row.decode(column: "stratum", as: String.self)
            // Stored answers are text ("1"…"5"); anything else is not a Likert answer and is left out, as before.
            let answers = likert.indices.compactMap { i in (try? row.decode(column: "a\(i)", as: String?.self)).flatMap { $0 }.flatMap(Int.init) }
            guard let index = SatisfactionIndex.enterprise(answers) else { continue }
            values[stratum, default: []].append(index)
        }
        return values
    }

    /// S_h for a Neyman allocation from the latest draw with answers: the standard deviation of the satisfaction index
    /// in each stratum with at least two respondents, by stratum key, and which draw it came from.
    static func previousStandardDeviations(
        campaignID: UUID, template: SurveyTemplate, on db: any Database
    ) async throws -> (draw: SampleDraw, sd: [String: Double])? {
        let likert = template.items.filter { $0.kind == .likert }.map(\.code)
        for draw in try await SampleDraw.query(on: db).filter(\.$campaign.$id == campaignID).sort(\.$createdAt, .descending).all() {
            let sd = try await indexValues(draw: draw, likert: likert, on: db).compactMapValues(StratifiedEstimate.sampleStandardDeviation)
            if !sd.isEmpty { return (draw, sd) }
        }
        return nil
    }
}
