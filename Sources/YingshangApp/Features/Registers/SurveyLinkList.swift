import Fluent
import Foundation
import YingshangCore
import YingshangOffice

/// The survey links to hand out: the same columns from the web download and from `yingshang survey tokens`, and the
/// QR code printed on each letter.
enum SurveyLinkList {
    static let header = ["统一社会信用代码", "企业名称", "联系人", "联系电话", "问卷链接", "查询码", "有效期至", "状态"]

    static func link(_ response: SurveyResponse, base: String) -> String { "\(base)/s/\(response.token)" }

    /// `role` masks contacts as the web does; nil is the operator's command line, which reads the database anyway.
    static func rows(_ responses: [SurveyResponse], base: String, role: Role?) -> [[String]] {
        [header] + responses.map { r in
            let contact = r.enterprise.contact ?? "", phone = r.enterprise.phone ?? ""
            return [
                r.enterprise.uscc, r.enterprise.name,
                role.map { PersonalData.contact(contact, for: $0) } ?? contact,
                role.map { PersonalData.phone(phone, for: $0) } ?? phone,
                link(r, base: base), r.shortCode, DisplayTime.format(r.expiresAt), r.status == "submitted" ? "已填写" : "未填写",
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
        let responses = try await SurveyResponse.query(on: db).filter(\.$draw.$id == id).with(\.$enterprise).all()
        try CSVWriter.write(rows(responses, base: base, role: nil)).write(to: url)
        try await AuditLog.record(
            on: db, req: nil, actor: nil, action: "export_personal_data", entityType: "sample_draw", entityID: id,
            before: noSnapshot, after: ["what": "问卷链接清单（含联系人、联系电话，命令行）", "rows": String(responses.count)])
        return responses.count
    }
}
