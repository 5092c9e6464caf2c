import Fluent
import Foundation
import SQLKit
import YingshangCore
import YingshangOffice

/// The survey links to hand out: the same columns from the web download and from `yingshang survey tokens`, and the
/// QR code printed on each letter.
enum SurveyLinkList {
    static let header = ["统一社会信用代码", "企业名称", "联系人", "联系电话", "问卷链接", "查询码", "有效期至", "状态"]

    static func link(token: String, base: String) -> String { "\(base)/s/\(token)" }

    /// A survey response with the enterprise fields the lists and exports show.
    struct Entry: Sendable {
        let id: UUID
        let token: String
        let status: String
        let expiresAt: Date?
        let submittedAt: Date?
        /// Empty unless asked for (`answers: true`).
        let answersJSON: String
        let uscc: String
        let name: String
        let townshipCode: String?
        let contact: String?
        let phone: String?

        var shortCode: String { SurveyToken.code(of: token) }
        var submitted: Bool { status == "submitted" }
        var answers: [String: String] { SurveyResponse.answers(fromJSON: answersJSON) }
    }

    /// The responses of `draws` joined with their enterprises in one statement, in credit-code order. Loading them as
    /// models with their enterprises eager-loaded took 3 s for 40,000 links on PostgreSQL (a second query naming every
    /// enterprise id, and two objects per row); this reads only the columns shown.
    /// `open`: the responses not yet submitted (the letters still to send). `page`: 0-based, of `per` entries.
    enum Which { case all, submitted, open }

    static func entries(
        draws: [UUID], which: Which = .all, answers: Bool = false, page: (number: Int, per: Int)? = nil, on db: any Database
    ) async throws -> [Entry] {
        guard !draws.isEmpty else { return [] }
        var query = SQLQueryString("SELECT r.id, r.token, r.status, r.expires_at, r.submitted_at, ")
        query.appendInterpolation(unsafeRaw: answers ? "r.answers, " : "'' AS answers, ")
        query.appendInterpolation(unsafeRaw: "e.uscc, e.name, e.township_code, e.contact, e.phone FROM ")
        query.appendInterpolation(ident: SurveyResponse.schema)
        query.appendInterpolation(unsafeRaw: " r JOIN ")
        query.appendInterpolation(ident: Enterprise.schema)
        query.appendInterpolation(unsafeRaw: " e ON e.id = r.enterprise_id WHERE r.draw_id IN ")
        query.appendList(draws)
        switch which {
        case .all: break
        case .submitted: query.appendInterpolation(unsafeRaw: " AND r.status = 'submitted'")
        case .open: query.appendInterpolation(unsafeRaw: " AND r.status <> 'submitted'")
        }
        query.appendInterpolation(unsafeRaw: " ORDER BY e.uscc, r.token")
        if let page { query.appendPage(number: page.number, per: page.per) }
        return try await db.sql().raw(query).all().map { row in
            Entry(
                id: try row.decode(column: "id", as: UUID.self), token: try row.decode(column: "token", as: String.self), status: try row.decode(column: "status", as: String.self),
                expiresAt: try row.decode(column: "expires_at", as: Date?.self), submittedAt: try row.decode(column: "submitted_at", as: Date?.self),
                answersJSON: try row.decode(column: "answers", as: String.self), uscc: try row.decode(column: "uscc", as: String.self),
                name: try row.decode(column: "name", as: String.self), townshipCode: try row.decode(column: "township_code", as: String?.self),
                contact: try row.decode(column: "contact", as: String?.self), phone: try row.decode(column: "phone", as: String?.self))
        }
    }

    /// `role` masks contacts as the web does; nil is the operator's command line, which reads the database anyway.
    static func rows(_ entries: [Entry], base: String, role: Role?) -> [[String]] {
        [header] + entries.map { e in
            let contact = e.contact ?? "", phone = e.phone ?? ""
            return [
                e.uscc, e.name,
                role.map { PersonalData.contact(contact, for: $0) } ?? contact,
                role.map { PersonalData.phone(phone, for: $0) } ?? phone,
                link(token: e.token, base: base), e.shortCode, DisplayTime.format(e.expiresAt), e.submitted ? "已填写" : "未填写",
            ]
        }
    }

    /// An inline SVG QR code of the link (about 3 cm printed), or nothing if the link is too long to encode.
    static func qrSVG(_ link: String) -> String {
        (try? QRCode.encode(link))?.svg(moduleSize: 4, label: "问卷二维码") ?? ""
    }

    /// The command line's list: every link of a draw, unmasked, written to `url`; audited as a personal-data export.
    static func write(draw: SampleDraw, to url: URL, base: String, on db: any Database) async throws -> Int {
        let id = try draw.requireID()
        let responses = try await entries(draws: [id], on: db)
        try CSVWriter.write(rows(responses, base: base, role: nil)).write(to: url)
        try await AuditLog.record(
            on: db, req: nil, actor: nil, action: "export_personal_data", entityType: "sample_draw", entityID: id,
            before: noSnapshot, after: ["what": "问卷链接清单（含联系人、联系电话，命令行）", "rows": String(responses.count)])
        return responses.count
    }
}
