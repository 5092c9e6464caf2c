import Fluent
import Vapor
import YingshangCore

/// The library's rows and searches, shared with the public page.
extension LibraryWebController {
    struct PracticeRow: Encodable {
        let id: String
        let title: String
        let indicator: String
        let region: String
        let tags: [String]
        let status: String
        let statusCode: String
        let published: Bool
        let replicate: Bool
        let summary: String
    }

    struct PolicyRow: Encodable {
        let id: String
        let title: String
        let docNumber: String
        let issuingBody: String
        let issuedOn: String
        let indicators: [String]
        let published: Bool
    }

    static func practiceRow(_ p: BestPractice) -> PracticeRow {
        PracticeRow(
            id: p.id?.uuidString ?? "", title: p.title, indicator: p.indicatorCode.flatMap { NationalCatalog.namesByCode[$0] } ?? "",
            region: p.regionName, tags: p.tags.split(separator: ",").map(String.init), status: p.practiceStatus.chineseName,
            statusCode: p.status, published: p.published, replicate: p.replicate, summary: String(p.description.prefix(120)))
    }

    static func policyRow(_ p: Policy) -> PolicyRow {
        PolicyRow(
            id: p.id?.uuidString ?? "", title: p.title, docNumber: p.docNumber, issuingBody: p.issuingBody, issuedOn: p.issuedOn,
            indicators: p.indicatorCodes.compactMap { NationalCatalog.namesByCode[$0] }, published: p.published)
    }

    /// Search over title, text and tags; `indicator` filters both lists.
    static func practices(_ db: any Database, q: String, indicator: String, visible: (inout QueryBuilder<BestPractice>) -> Void) async throws -> [BestPractice] {
        var query = BestPractice.query(on: db).sort(\.$createdAt, .descending)
        visible(&query)
        if !q.isEmpty {
            query = query.group(.or) { $0.filter(\.$title ~~ q).filter(\.$description ~~ q).filter(\.$measures ~~ q).filter(\.$tags ~~ q).filter(\.$regionName ~~ q) }
        }
        if !indicator.isEmpty { query = query.filter(\.$indicatorCode == indicator) }
        return try await query.limit(200).all()
    }

    static func policies(_ db: any Database, q: String, indicator: String, publishedOnly: Bool) async throws -> [Policy] {
        var query = Policy.query(on: db).sort(\.$issuedOn, .descending)
        if publishedOnly { query = query.filter(\.$published == true) }
        if !q.isEmpty {
            query = query.group(.or) { $0.filter(\.$title ~~ q).filter(\.$docNumber ~~ q).filter(\.$issuingBody ~~ q).filter(\.$fullText ~~ q) }
        }
        if !indicator.isEmpty { query = query.filter(\.$indicators ~~ indicator) }
        return try await query.limit(200).all()
    }

    static func indicatorOptions(_ selected: String) -> [SelectOption] {
        [SelectOption(value: "", label: "全部指标", selected: selected.isEmpty)]
            + NationalCatalog.indicators.map { SelectOption(value: $0.code, label: $0.nameZh, selected: $0.code == selected) }
    }

    struct IndexBody: Encodable {
        let practices: [PracticeRow]
        let policies: [PolicyRow]
        let q: String
        let indicators: [SelectOption]
        let canSubmit: Bool
        let canManage: Bool
    }

    struct PracticeFormBody: Encodable {
        let values: PracticeInput
        let errors: [String: String]
        let indicators: [SelectOption]
        /// The scores page a proposal came from (an indicator at its advanced value), linked from the form.
        var source: String = ""
    }

    struct PracticeBody: Encodable {
        let row: PracticeRow
        let description: String
        let measures: String
        let results: String
        let submittedBy: String
        let fileName: String?
        let canManage: Bool
        let canUpload: Bool
        let statuses: [SelectOption]
        let campaigns: [SelectOption]
        let units: [SelectOption]
        let defaultDeadline: String
        let followUp: String
    }

    struct PolicyFormBody: Encodable {
        let values: PolicyInput
        let errors: [String: String]
        let indicators: [SelectOption]
    }

    struct PolicyBody: Encodable {
        let row: PolicyRow
        let paragraphs: [String]
        let fileName: String?
        let canManage: Bool
        let publishedAt: String
    }
}
