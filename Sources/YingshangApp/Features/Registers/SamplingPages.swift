import Fluent
import SQLKit
import Vapor
import YingshangCore

/// The sampling pages' models: the form as typed, the draws with the allocation preview, and one draw.
extension SamplingWebController {
    /// The sampling form as typed: every field is text, so letters in a number field come back beside that field
    /// in Chinese with the input kept, instead of a whole-page decoding error naming `size`.
    struct DrawForm: Content {
        var size: String?
        var strata: [String]?
        var allocation: String?
        var minPerStratum: String?
        var reserveRatio: String?
        var seed: String?
        var statuses: [String]?
        var foundedBefore: String?
        var excludeDrawn: String?
        var sd: String?
        /// A numeric extra column of the register whose per-stratum spread is offered as S_h.
        var sdColumn: String?
        /// Set by the "由该列计算" button: fill S_h from `sdColumn` before the allocation is computed.
        var fillSD: String?

        /// The parameters and the problems of the fields that are not numbers.
        var parsed: (DrawParameters, [String: String]) {
            var errors: [String: String] = [:]
            func number<T: LosslessStringConvertible>(_ text: String?, _ field: String, _ zh: String, default d: T) -> T {
                let t = (text ?? "").trimmingCharacters(in: .whitespaces)
                if t.isEmpty { return d }
                guard let v = T(t) else {
                    errors[field] = "\(zh)应为数字，“\(t.prefix(20))”不是数字"
                    return d
                }
                return v
            }
            var sds: [String: Double] = [:]
            for (i, line) in (sd ?? "").split(whereSeparator: \.isNewline).enumerated() {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, let v = FiledNumber.parse(parts[1]) { sds[parts[0]] = v } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    errors["sd"] = "第 \(i + 1) 行应为“层=标准差”，如“城关街道=12.5”"
                }
            }
            let p = DrawParameters(
                size: number(size, "size", "样本量", default: 0), strata: strata ?? [],
                allocation: StratifiedSampling.Allocation(rawValue: allocation ?? "") ?? .proportional,
                minPerStratum: number(minPerStratum, "minPerStratum", "每层最少样本", default: 0),
                reserveRatio: number(reserveRatio, "reserveRatio", "备选比例", default: 0.0),
                seed: number(seed, "seed", "随机种子", default: UInt64(0)), statuses: statuses ?? [],
                foundedBefore: foundedBefore?.nonBlank, excludeDrawn: excludeDrawn != nil, sd: sds)
            return (p, errors)
        }
    }

    /// What the form shows: the last submission as typed (or the defaults), so nothing is lost after a preview or
    /// an error.
    struct FormView: Encodable {
        let size: String
        let seed: String
        let township: Bool
        let industry: Bool
        let sizeStratum: Bool
        let allocations: [SelectOption]
        let minPerStratum: String
        let reserveRatio: String
        let foundedBefore: String
        let statuses: [SelectOption]
        let excludeDrawn: Bool
        let sd: String
        let sdColumn: String

        init(_ f: DrawForm?, seedSuggestion: UInt64, statuses all: [String]) {
            size = f?.size ?? "100"
            seed = f?.seed ?? String(seedSuggestion)
            let strata = f?.strata ?? ["township"]
            township = strata.contains("township")
            industry = strata.contains("industry")
            sizeStratum = strata.contains("size")
            let chosen = f?.allocation ?? "proportional"
            allocations = [
                ("proportional", "按比例分配（最大余数法）"), ("neyman", "奈曼分配（需各层标准差）"), ("equal", "等量分配"),
            ].map { SelectOption(value: $0.0, label: $0.1, selected: $0.0 == chosen) }
            minPerStratum = f?.minPerStratum ?? "0"
            reserveRatio = f?.reserveRatio ?? "0.2"
            foundedBefore = f?.foundedBefore ?? ""
            let statuses = f?.statuses ?? EnterpriseRegister.defaultSamplingStatuses
            self.statuses = all.map { SelectOption(value: $0, label: $0, selected: statuses.contains($0)) }
            excludeDrawn = f?.excludeDrawn != nil
            sd = f?.sd ?? ""
            sdColumn = f?.sdColumn ?? ""
        }
    }

    struct DrawRow: Encodable {
        let id: String
        let drawnBy: String
        let at: String
        let size: Int
        let summary: String
    }

    struct SamplesBody: Encodable {
        let campaignID: String
        let draws: [DrawRow]
        let canDraw: Bool
        let preview: [AllocationRow]
        let form: DrawParameters?
        let errors: [String: String]
        let seedSuggestion: UInt64
        let statuses: [String]
        let view: FormView
        /// S_h from the latest draw with survey answers, as lines the S_h field takes ("城关街道=21.65"), and whence.
        let sdSuggestion: String
        let sdSource: String
        /// The register's extra columns, any of which may serve as a proxy for S_h, and what the last fill did.
        let sdColumns: [SelectOption]
        let sdNote: String
    }

    struct MemberRow: Encodable {
        let id: String
        let uscc: String
        let name: String
        let role: String
        let status: String
        let reason: String
        let active: Bool
    }

    struct StratumGroup: Encodable {
        let stratum: String
        let members: [MemberRow]
    }

    struct RateRow: Encodable {
        let stratum: String
        let issued: Int
        let submitted: Int
        let rate: String
    }

    struct Reminder: Encodable {
        let name: String
        let contact: String
        let phone: String
        let code: String
    }

    struct DrawBody: Encodable {
        let rates: [RateRow]
        let reminders: [Reminder]
        let id: String
        let campaignID: String
        let allocation: [AllocationRow]
        let parameters: String
        let groups: [StratumGroup]
        /// The members are shown a page at a time (`membersPerPage`), the tables above in full.
        let pager: Pager
        /// Unanswered enterprises beyond the reminders shown (the full list is the links download).
        let moreReminders: Int
        let canDraw: Bool
        let drawnBy: String
        let at: String
    }

    /// Members per page of a draw: a 40,000-member draw on one page took 5 s and 26 MB of HTML.
    static let membersPerPage = 500
    /// Unanswered enterprises listed on the draw's page.
    static let remindersShown = 200

    struct ReplaceForm: Content {
        var status: String?
        var reason: String?
    }

    /// One draw: its allocation, response rates, who still has to answer (contacts masked for all but the assessor;
    /// the first `remindersShown`) and a page of its members by stratum.
    static func drawBody(_ d: SampleDraw, role: Role, canDraw: Bool, page: Int, on db: any Database) async throws -> DrawBody {
        let did = try d.requireID()
        let statusNames = ["active": "有效", "unreachable": "联系不上", "refused": "拒绝"]
        let memberCount = try await SampleMember.query(on: db).filter(\.$draw.$id == did).count()
        // A page past the end (or any number typed into the address) shows the last one.
        let page = min(max(1, page), max(1, (memberCount + Self.membersPerPage - 1) / Self.membersPerPage))
        let metadata = PageMetadata(page: page, per: Self.membersPerPage, total: memberCount)
        let shown = try await SampleService.members(d, page: (page - 1, Self.membersPerPage), on: db)
        var byStratum: [String: [MemberRow]] = [:]
        for m in shown {
            let row = MemberRow(
                id: m.id.uuidString, uscc: m.uscc, name: m.name, role: m.role == "sample" ? "样本" : "备选",
                status: statusNames[m.status] ?? m.status, reason: m.reason ?? "", active: m.role == "sample" && m.status == "active")
            byStratum[m.stratum, default: []].append(row)
        }
        let townshipNames = try await StratumLabels.townshipNames(on: db)
        let groups: [StratumGroup] = byStratum.keys.sorted().map {
            StratumGroup(stratum: StratumLabels.label($0, townshipNames), members: byStratum[$0] ?? [])
        }
        let params = d.parameters?.description ?? ""
        let perStratum = try await SampleService.responseCounts(d, on: db)
        func rate(_ s: Int, _ i: Int) -> String { Display.percent(s, of: i) }
        let total = perStratum.values.reduce(0) { $0 + $1.issued }
        let done = perStratum.values.reduce(0) { $0 + $1.submitted }
        let rates = [RateRow(stratum: "合计", issued: total, submitted: done, rate: rate(done, total))]
            + perStratum.keys.sorted().map { RateRow(stratum: StratumLabels.label($0, townshipNames), issued: perStratum[$0]?.issued ?? 0, submitted: perStratum[$0]?.submitted ?? 0,
                                                     rate: rate(perStratum[$0]?.submitted ?? 0, perStratum[$0]?.issued ?? 0)) }
        let open = try await SurveyLinkList.entries(draws: [did], which: .open, page: (0, Self.remindersShown), on: db)
        let reminders = open.map { e in
            Reminder(
                name: e.name, contact: PersonalData.contact(e.contact ?? "", for: role), phone: PersonalData.phone(e.phone ?? "", for: role),
                code: e.shortCode)
        }
        return DrawBody(
                rates: total == 0 ? [] : rates, reminders: reminders,
                id: did.uuidString, campaignID: d.$campaign.id.uuidString,
                allocation: try await StratumLabels.labeled(d.allocation, on: db), parameters: params,
                groups: groups, pager: Pager(metadata: metadata, basePath: SiteURL.draw(did)),
                moreReminders: max(0, total - done - reminders.count), canDraw: canDraw, drawnBy: d.drawnBy,
                at: DisplayTime.format(d.createdAt))
    }
}

/// Stratum keys hold township codes ("370799001|C|中型"); people read and type names ("城关街道 × C × 中型").
enum StratumLabels {
    /// Stratum keys hold township codes; people read names.
    static func labeled(_ rows: [AllocationRow], on db: any Database) async throws -> [AllocationRow] {
        let names = try await townshipNames(on: db)
        return rows.map { AllocationRow(stratum: label($0.stratum, names), population: $0.population, sample: $0.sample, reserve: $0.reserve) }
    }

    static func townshipNames(on db: any Database) async throws -> [String: String] {
        Dictionary(
            try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.code, $0.name) },
            uniquingKeysWith: { a, _ in a })
    }

    static func label(_ stratum: String, _ names: [String: String]) -> String {
        stratum.split(separator: "|").map { names[String($0)] ?? String($0) }.joined(separator: " × ")
    }

    /// S_h typed with stratum names as the page shows them ("城关街道 × C × 中型") or as keys ("370799001|C|中型"):
    /// both become keys.
    static func resolveStratumNames(_ sd: [String: Double], on db: any Database) async throws -> [String: Double] {
        guard !sd.isEmpty else { return sd }
        let codes = Dictionary(
            try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.name, $0.code) },
            uniquingKeysWith: { a, _ in a })
        var out: [String: Double] = [:]
        for (name, value) in sd {
            let parts = name.split(whereSeparator: { $0 == "×" || $0 == "|" }).map { $0.trimmingCharacters(in: .whitespaces) }
            out[parts.map { codes[$0] ?? $0 }.joined(separator: "|")] = value
        }
        return out
    }
}
