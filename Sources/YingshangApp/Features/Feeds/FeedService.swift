import Fluent
import Vapor
import YingshangCore

/// Data feeds: keys for departments' systems, and the batches of case records they push.
enum FeedService {
    /// What the sender gets back, and gets back again for a retry of the same batch.
    struct Receipt: Content, Equatable {
        let batchID: UUID
        let idempotencyKey: String
        let indicator: String
        let region: String
        let accepted: Int
        /// Cases new to the campaign; `updated` replaced a case with the same 办件编号 sent before.
        let inserted: Int
        let updated: Int
        let receivedAt: String
    }

    enum Outcome {
        case stored(Receipt)
        case replayed(Receipt)
    }

    struct Body: Decodable {
        let records: [FeedRecord]
    }

    static func unauthorized(_ message: String) -> AppError {
        AppError(status: .unauthorized, code: "feed_key_invalid", message: message)
    }

    /// The key in `Authorization: Bearer yk_…`; a missing, unknown or revoked key is a 401.
    static func key(bearer: String?, on db: any Database) async throws -> DataFeedKey {
        guard let bearer, bearer.hasPrefix("yk_"), bearer.count <= 200 else {
            throw unauthorized("需要数据接口密钥：Authorization: Bearer yk_…")
        }
        guard let key = try await DataFeedKey.query(on: db).filter(\.$keyHash == DataFeedKey.hash(bearer)).first() else {
            throw unauthorized("数据接口密钥无效")
        }
        if key.revokedAt != nil { throw unauthorized("数据接口密钥已停用，请向审批局申请新的密钥") }
        return key
    }

    /// All or nothing: every record is checked as the file import checks a row; a case already received (same
    /// 办件编号 for this campaign, region and indicator) is replaced. The same idempotency key with the same body
    /// returns the first receipt; with another body it is refused.
    static func receive(
        key: DataFeedKey, idempotencyKey raw: String?, body: Data, ip: String?, now: Date, on db: any Database
    ) async throws -> Outcome {
        let idem = (raw ?? "").trimmingCharacters(in: .whitespaces)
        guard RecordFeed.isValidKey(idem) else {
            throw AppError.invalid(["Idempotency-Key": "请在请求头 Idempotency-Key 中给出本批次的唯一标识（1–100 个字母、数字或 -_.:）"])
        }
        let kid = try key.requireID()
        let digest = SHA256.hash(data: body).hex
        if let earlier = try await replay(kid, idem, digest, on: db) { return .replayed(earlier) }

        let campaign = try await key.$campaign.get(on: db)
        if campaign.campaignStatus == .closed { throw AppError.conflict("评价任务已结束，不再接收业务数据") }
        let schema = try VerificationService.schema(key.indicatorCode)
        let batch: Body
        do {
            batch = try JSONDecoder().decode(Body.self, from: body)
        } catch {
            throw AppError.invalid(["records": "请求体应为 {\"records\": [...]}，每条记录含 caseID、uscc、appliedOn、completedOn，可选 feeFen（分）和 counts：\(Self.describe(error))"])
        }
        let parsed = RecordFeed.parse(batch.records, schema: schema)
        if !parsed.problems.isEmpty {
            throw AppError(
                status: .unprocessableEntity, code: "invalid_records",
                message: "本批 \(batch.records.count) 条记录中有 \(parsed.problems.count) 条有误，未接收任何记录",
                fields: Dictionary(parsed.problems.sorted { $0.key < $1.key }.prefix(50).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        }
        let cid = key.$campaign.id
        let rid = key.$region.id
        let region = try await key.$region.get(on: db)
        do {
            return try await db.writeTransaction { db in
                let ids = parsed.records.map(\.caseID)
                var existing = 0
                for chunk in stride(from: 0, to: ids.count, by: 500) {
                    let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
                    let scope = BusinessRecord.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid)
                        .filter(\.$indicatorCode == key.indicatorCode).filter(\.$caseID ~~ part)
                    existing += try await scope.count()
                    try await BusinessRecord.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid)
                        .filter(\.$indicatorCode == key.indicatorCode).filter(\.$caseID ~~ part).delete()
                }
                let models = try parsed.records.map { try BusinessRecord(campaignID: cid, regionID: rid, indicatorCode: key.indicatorCode, record: $0) }
                for chunk in stride(from: 0, to: models.count, by: 500) {
                    try await models[chunk..<min(models.count, chunk + 500)].create(on: db)
                }
                let row = DataFeedBatch()
                row.id = UUID()
                row.$key.id = kid
                row.idempotencyKey = idem
                row.bodySHA256 = digest
                row.records = models.count
                row.receivedAt = now
                let receipt = Receipt(
                    batchID: try row.requireID(), idempotencyKey: idem, indicator: key.indicatorCode, region: region.name,
                    accepted: models.count, inserted: models.count - existing, updated: existing, receivedAt: DisplayTime.format(now))
                row.receiptJSON = try JSONCoding.encode(receipt)
                try await row.create(on: db)
                key.lastUsedAt = now
                try await key.update(on: db)
                try await AuditLog.record(
                    on: db, machine: key.name, at: now, ip: ip, action: "feed", entityType: "business_records", entityID: row.id,
                    before: noSnapshot,
                    after: ["indicator": key.indicatorCode, "region": region.name, "idempotencyKey": idem, "accepted": String(models.count),
                            "inserted": String(receipt.inserted), "updated": String(receipt.updated)])
                return .stored(receipt)
            }
        } catch {
            // The same batch sent twice at once: the unique (key, idempotency key) index let one in.
            if let failure = error as? any DatabaseError, failure.isConstraintFailure {
                if let earlier = try await replay(kid, idem, digest, on: db) { return .replayed(earlier) }
                throw AppError.conflict("另一批次正在写入相同的办件，请稍后用同一 Idempotency-Key 重试")
            }
            throw error
        }
    }

    private static func replay(_ kid: UUID, _ idem: String, _ digest: String, on db: any Database) async throws -> Receipt? {
        guard let earlier = try await DataFeedBatch.query(on: db).filter(\.$key.$id == kid).filter(\.$idempotencyKey == idem).first() else {
            return nil
        }
        guard earlier.bodySHA256 == digest else {
            throw AppError(
                status: .unprocessableEntity, code: "idempotency_key_reused",
                message: "Idempotency-Key “\(idem)” 已用于另一批内容不同的记录；新批次请使用新的标识")
        }
        return try JSONCoding.decode(Receipt.self, earlier.receiptJSON)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            return "缺少 \(path(ctx.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "\(path(ctx.codingPath)) 的类型不对"
        case DecodingError.dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "不是有效的 JSON" : "\(path(ctx.codingPath)) 无效"
        default:
            return "不是有效的 JSON"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    // MARK: Keys

    /// A new key for one indicator (one with a record template) in one assessed region. Returns the key once.
    static func issue(_ campaign: Campaign, regionID: String?, indicator: String?, name: String?, by caller: Caller) async throws -> (DataFeedKey, String) {
        let d = try await CampaignService.details(campaign, on: caller.db)
        var fields: [String: String] = [:]
        let label = name.trimmed
        if label.isEmpty || label.count > 100 { fields["name"] = "请填写推送系统的名称（不超过 100 个字），如“县政务服务中心一网通办系统”" }
        let rid = regionID.flatMap(UUID.init(uuidString:))
        if rid == nil || !d.regionIDs.contains(rid ?? UUID()) { fields["regionID"] = "请选择本评价任务的被评价地区" }
        let code = indicator.trimmed
        if !d.indicators.contains(where: { $0.code == code }) {
            fields["indicatorCode"] = "请选择本评价任务的指标"
        } else if RecordSchema.schema(for: code) == nil {
            fields["indicatorCode"] = "该指标暂无业务数据模板（支持：" + RecordSchema.all.map(\.nameZh).joined(separator: "、") + "）"
        }
        guard fields.isEmpty, let rid else { throw AppError.invalid(fields) }
        let secret = "yk_" + Base64URL.randomToken()
        let key = DataFeedKey()
        key.id = UUID()
        key.$campaign.id = try campaign.requireID()
        key.$region.id = rid
        key.indicatorCode = code
        key.name = label
        key.keyHash = DataFeedKey.hash(secret)
        key.keyPrefix = String(secret.prefix(10))
        key.createdBy = caller.user.username
        key.createdAt = caller.clock.now()
        try await caller.db.writeTransaction { db in
            try await key.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "data_feed_key", entityID: key.id, before: noSnapshot,
                after: ["name": label, "indicator": code, "region": rid.uuidString, "prefix": key.keyPrefix])
        }
        return (key, secret)
    }

    static func revoke(_ key: DataFeedKey, by caller: Caller) async throws {
        guard key.revokedAt == nil else { throw AppError.conflict("该密钥已停用") }
        key.revokedAt = caller.clock.now()
        key.revokedBy = caller.user.username
        try await caller.db.writeTransaction { db in
            try await key.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "revoke", entityType: "data_feed_key", entityID: key.id, before: ["name": key.name],
                after: ["name": key.name, "revokedBy": caller.user.username])
        }
    }
}
