import Foundation

/// A campaign's pages, by the path segments the routes register under `/campaigns/:id`.
enum CampaignPage: String, Sendable, CaseIterable {
    /// The campaign itself.
    case main = ""
    case overview, scores, tasks, schedule, matrix, records, flags, visits, feeds, register, dispatch, report, samples, surveys
    case scoreRules = "scores/rules"
    case scoreValues = "scores/values"
    case scoreUnits = "scores/units"
    case scoreThresholds = "scores/thresholds"
    case scoreExplanation = "scores/explain"
    case matrixByUnit = "matrix/by-unit"
}

/// The site's own addresses, built in one place from typed ids instead of strings assembled in each handler.
enum SiteURL {
    static func campaign(_ id: UUID, _ page: CampaignPage = .main, query: KeyValuePairs<String, String> = [:]) -> String {
        "/campaigns/\(id)" + (page == .main ? "" : "/\(page.rawValue)") + encode(query)
    }

    /// The filing of an indicator in a region, opened (or started by its lead unit) on first use.
    static func filing(campaign: UUID, indicator: String, region: UUID) -> String {
        "/campaigns/\(campaign)/filings/\(escaped(indicator))" + encode(["region": region.uuidString])
    }

    static func filing(_ id: UUID) -> String { "/filings/\(id)" }
    static func draw(_ id: UUID) -> String { "/samples/\(id)" }
    /// A batch (1-based) of a draw's letters.
    static func letters(draw id: UUID, batch: Int) -> String { "/samples/\(id)/letters" + encode(["batch": String(batch)]) }
    static func flag(_ id: UUID) -> String { "/flags/\(id)" }
    static func question(_ id: UUID) -> String { "/questions/\(id)" }
    static func rectification(_ id: UUID) -> String { "/rectifications/\(id)" }
    static func job(_ id: UUID) -> String { "/jobs/\(id)" }

    /// `?a=1&b=2` in the order given, values percent-encoded; empty for no pairs.
    static func encode(_ query: KeyValuePairs<String, String>) -> String {
        query.isEmpty ? "" : "?" + query.map { "\($0.key)=\(escaped($0.value))" }.joined(separator: "&")
    }

    private static func escaped(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

extension Campaign {
    /// This campaign's page (`try c.url(.scores)`).
    func url(_ page: CampaignPage = .main, query: KeyValuePairs<String, String> = [:]) throws -> String {
        SiteURL.campaign(try requireID(), page, query: query)
    }
}
