import Fluent
import NIOConcurrencyHelpers
import SQLiteNIO
import SQLKit
import Vapor
import YingshangCore

/// Everything a draw was made with, stored so it can be shown, exported and repeated.
struct DrawParameters: Codable, Sendable, Equatable {
    var size: Int
    var strata: [String]
    var allocation: StratifiedSampling.Allocation
    var minPerStratum: Int
    var reserveRatio: Double
    var seed: UInt64
    var statuses: [String]
    var foundedBefore: String?
    var excludeDrawn: Bool
    var sd: [String: Double]

    /// The parameters in words, for the draw page and the report (never raw JSON).
    var description: String {
        let names = ["township": "乡镇/街道", "industry": "行业门类", "size": "企业规模"]
        var parts = [
            "样本量 \(size)", "分层：\(strata.map { names[$0] ?? $0 }.joined(separator: " × "))", allocation.chineseName,
            "每层最少 \(minPerStratum)", "备选比例 \(reserveRatio)", "随机种子 \(seed)", "登记状态：\(statuses.joined(separator: "、"))",
        ]
        if let foundedBefore, !foundedBefore.isEmpty { parts.append("成立日期早于 \(foundedBefore)") }
        if excludeDrawn { parts.append("排除已被抽中的企业") }
        if !sd.isEmpty { parts.append("各层标准差：" + sd.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "，")) }
        return parts.joined(separator: "；")
    }
}

struct AllocationRow: Codable, Sendable, Equatable {
    let stratum: String
    let population: Int
    let sample: Int
    let reserve: Int
}

final class SampleDraw: Model, @unchecked Sendable {
    static let schema = "sample_draws"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "parameters") var parametersJSON: String
    @Field(key: "allocation") var allocationJSON: String
    @Field(key: "drawn_by") var drawnBy: String
    @Field(key: "locked") var locked: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    var parameters: DrawParameters? { try? JSONDecoder().decode(DrawParameters.self, from: Data(parametersJSON.utf8)) }
    var allocation: [AllocationRow] {
        (try? JSONDecoder().decode([AllocationRow].self, from: Data(allocationJSON.utf8))) ?? []
    }
}

final class SampleMember: Model, @unchecked Sendable {
    static let schema = "sample_members"

    @ID(key: .id) var id: UUID?
    @Parent(key: "draw_id") var draw: SampleDraw
    @Parent(key: "enterprise_id") var enterprise: Enterprise
    @Field(key: "stratum") var stratum: String
    /// "sample" or "reserve"; a reserve promoted to replace someone becomes "sample".
    @Field(key: "role") var role: String
    @Field(key: "position") var position: Int
    /// active, unreachable, refused.
    @Field(key: "status") var status: String
    @OptionalField(key: "reason") var reason: String?
    @OptionalField(key: "replaced_by") var replacedBy: UUID?

    init() {}
}

struct CreateSampleTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(SampleDraw.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("parameters", .string, .required)
            .field("allocation", .string, .required)
            .field("drawn_by", .string, .required)
            .field("locked", .bool, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(SampleMember.schema)
            .id()
            .field("draw_id", .uuid, .required, .references(SampleDraw.schema, "id", onDelete: .cascade))
            .field("enterprise_id", .uuid, .required, .references(Enterprise.schema, "id"))
            .field("stratum", .string, .required)
            .field("role", .string, .required)
            .field("position", .int, .required)
            .field("status", .string, .required)
            .field("reason", .string)
            .field("replaced_by", .uuid)
            .unique(on: "draw_id", "enterprise_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SampleMember.schema).delete()
        try await db.schema(SampleDraw.schema).delete()
    }
}
