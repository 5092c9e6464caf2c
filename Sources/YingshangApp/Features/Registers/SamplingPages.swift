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
        let canDraw: Bool
        let drawnBy: String
        let at: String
    }

    struct ReplaceForm: Content {
        var status: String?
        var reason: String?
    }

    static func members(_ draw: SampleDraw, on db: any Database) async throws -> [(SampleMember, Enterprise)] {
        let ms = try await SampleMember.query(on: db).filter(\.$draw.$id == (try draw.requireID())).with(\.$enterprise).all()
        let pairs: [(SampleMember, Enterprise)] = ms.map { ($0, $0.enterprise) }
        // By stratum, samples before reserves, then by position.
        return pairs.sorted { a, b in
            if a.0.stratum != b.0.stratum { return a.0.stratum < b.0.stratum }
            if a.0.role != b.0.role { return a.0.role == "sample" }
            return a.0.position < b.0.position
        }
    }

    /// One draw: its allocation, members by stratum, response rates and who still has to answer (contacts masked
    /// for all but the assessor).
    static func drawBody(_ d: SampleDraw, role: Role, canDraw: Bool, on db: any Database) async throws -> DrawBody {
        let list = try await members(d, on: db)
        let statusNames = ["active": "有效", "unreachable": "联系不上", "refused": "拒绝"]
        var byStratum: [String: [MemberRow]] = [:]
        for (m, e) in list {
            let row = MemberRow(
                id: m.id?.uuidString ?? "", uscc: e.uscc, name: e.name, role: m.role == "sample" ? "样本" : "备选",
                status: statusNames[m.status] ?? m.status, reason: m.reason ?? "", active: m.role == "sample" && m.status == "active")
            byStratum[m.stratum, default: []].append(row)
        }
        let townshipNames = Dictionary(
            uniqueKeysWithValues: try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.code, $0.name) })
        let groups: [StratumGroup] = byStratum.keys.sorted().map {
            StratumGroup(stratum: StratumLabels.label($0, townshipNames), members: byStratum[$0] ?? [])
        }
        let params = d.parameters?.description ?? ""
        let responses = try await SurveyResponse.query(on: db).filter(\.$draw.$id == (try d.requireID())).all()
        let stratumOf = Dictionary(list.map { ($0.0.$enterprise.id, $0.0.stratum) }, uniquingKeysWith: { a, _ in a })
        let enterpriseOf = Dictionary(list.map { ($0.0.$enterprise.id, $0.1) }, uniquingKeysWith: { a, _ in a })
        var perStratum: [String: (Int, Int)] = [:]
        for r in responses {
            let key = stratumOf[r.$enterprise.id] ?? ""
            perStratum[key, default: (0, 0)].0 += 1
            if r.status == "submitted" { perStratum[key, default: (0, 0)].1 += 1 }
        }
        func rate(_ s: Int, _ i: Int) -> String { Display.percent(s, of: i) }
        let total = responses.count
        let done = responses.filter { $0.status == "submitted" }.count
        let rates = [RateRow(stratum: "合计", issued: total, submitted: done, rate: rate(done, total))]
            + perStratum.keys.sorted().map { RateRow(stratum: StratumLabels.label($0, townshipNames), issued: perStratum[$0]?.0 ?? 0, submitted: perStratum[$0]?.1 ?? 0,
                                                     rate: rate(perStratum[$0]?.1 ?? 0, perStratum[$0]?.0 ?? 0)) }
        let reminders = responses.filter { $0.status != "submitted" }.compactMap { r -> Reminder? in
            guard let e = enterpriseOf[r.$enterprise.id] else { return nil }
            return Reminder(
                name: e.name, contact: PersonalData.contact(e.contact ?? "", for: role), phone: PersonalData.phone(e.phone ?? "", for: role),
                code: r.shortCode)
        }
        return DrawBody(
                rates: total == 0 ? [] : rates, reminders: reminders,
                id: try d.requireID().uuidString, campaignID: d.$campaign.id.uuidString,
                allocation: try await StratumLabels.labeled(d.allocation, on: db), parameters: params,
                groups: groups, canDraw: canDraw, drawnBy: d.drawnBy,
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
