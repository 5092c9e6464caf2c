import Fluent
import Vapor
import YingshangCore

/// `/campaigns/:id/feeds`: the bureau issues and revokes the keys departments' systems push case records with, and
/// sees what arrived.
struct FeedsWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "feeds", action: .manageFeeds, use: index)
        g.post("campaigns", ":id", "feeds", action: .manageFeeds, use: issue)
        g.post("campaigns", ":id", "feeds", ":keyID", "revoke", action: .manageFeeds, use: revoke)
    }

    struct KeyRow: Encodable {
        let id: String
        let name: String
        let indicator: String
        let region: String
        let prefix: String
        let createdAt: String
        let createdBy: String
        let lastUsedAt: String
        let revoked: String
        let batches: Int
        let records: Int
    }

    struct BatchRow: Encodable {
        let receivedAt: String
        let key: String
        let idempotencyKey: String
        let records: Int
    }

    struct Body: Encodable {
        let campaignID: String
        let campaignName: String
        let keys: [KeyRow]
        let batches: [BatchRow]
        let regions: [SelectOption]
        let indicators: [SelectOption]
        let name: String
        let errors: [String: String]
        /// The key just issued: shown on this response only.
        let issuedKey: String
        let issuedName: String
    }

    private func page(
        _ req: Request, _ c: Campaign, name: String = "", regionID: String = "", indicator: String = "", errors: [String: String] = [:],
        issued: (String, String)? = nil
    ) async throws -> View {
        let cid = try c.requireID()
        let d = try await CampaignService.details(c, on: req.db)
        let keys = try await DataFeedKey.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$createdAt, .descending).all()
        let keyIDs = keys.compactMap(\.id)
        let batches = keyIDs.isEmpty ? [] : try await DataFeedBatch.query(on: req.db).filter(\.$key.$id ~~ keyIDs)
            .sort(\.$receivedAt, .descending).all()
        let regionNames = Dictionary(d.regions.compactMap { r in r.id.map { ($0, r.name) } }, uniquingKeysWith: { a, _ in a })
        let indicatorNames = Dictionary(d.indicators.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let keyNames = Dictionary(keys.compactMap { k in k.id.map { ($0, k.name) } }, uniquingKeysWith: { a, _ in a })
        let rows = keys.map { k in
            let mine = batches.filter { $0.$key.id == k.id }
            return KeyRow(
                id: k.id?.uuidString ?? "", name: k.name, indicator: indicatorNames[k.indicatorCode] ?? k.indicatorCode,
                region: regionNames[k.$region.id] ?? "", prefix: k.keyPrefix + "…", createdAt: DisplayTime.format(k.createdAt),
                createdBy: k.createdBy, lastUsedAt: DisplayTime.format(k.lastUsedAt),
                revoked: k.revokedAt.map { "\(DisplayTime.format($0))（\(k.revokedBy ?? "")）" } ?? "", batches: mine.count,
                records: mine.reduce(0) { $0 + $1.records })
        }
        let body = Body(
            campaignID: cid.uuidString, campaignName: c.name, keys: rows,
            batches: batches.prefix(20).map {
                BatchRow(receivedAt: DisplayTime.format($0.receivedAt), key: keyNames[$0.$key.id] ?? "", idempotencyKey: $0.idempotencyKey, records: $0.records)
            },
            regions: d.regions.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == regionID) },
            indicators: d.indicators.filter { RecordSchema.schema(for: $0.code) != nil }.map {
                SelectOption(value: $0.code, label: $0.name, selected: $0.code == indicator)
            },
            name: name, errors: errors, issuedKey: issued?.0 ?? "", issuedName: issued?.1 ?? "")
        return try await req.render("feeds/index", title: "业务数据接口", body)
    }

    @Sendable func index(req: Request) async throws -> View {
        try await page(req, try await req.loadCampaign())
    }

    struct IssueForm: Content {
        var name: String?
        var regionID: String?
        var indicatorCode: String?
    }

    /// The key is in this response only; a refresh does not show it again (the list shows its first characters).
    @Sendable func issue(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let form = try req.content.decode(IssueForm.self)
        do {
            let (key, secret) = try await FeedService.issue(c, regionID: form.regionID, indicator: form.indicatorCode, name: form.name, by: req.caller())
            let view = try await page(req, c, issued: (secret, key.name))
            let res = try await view.encodeResponse(status: .created, for: req)
            res.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return res
        } catch let e as AppError where e.status == .unprocessableEntity {
            let view = try await page(
                req, c, name: form.name ?? "", regionID: form.regionID ?? "", indicator: form.indicatorCode ?? "", errors: e.fields ?? [:])
            return try await view.encodeResponse(status: .unprocessableEntity, for: req)
        }
    }

    @Sendable func revoke(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let key = try await DataFeedKey.find(try req.uuidParameter("keyID"), on: req.db), key.$campaign.id == c.id else {
            throw AppError.notFound("数据接口密钥")
        }
        let target = try c.url(.feeds)
        do {
            try await FeedService.revoke(key, by: req.caller())
        } catch let e as AppError where e.status == .conflict {
            req.setFlash(e.message, kind: "error")
            return req.redirect(to: target)
        }
        req.setFlash("已停用密钥“\(key.name)”：此后用它推送的数据一律拒收")
        return req.redirect(to: target)
    }
}

/// `POST /api/v1/feeds/records`: a department's system pushes a batch of case records with its key.
struct FeedAPIController {
    /// 5,000 records of a few hundred bytes each, with room to spare.
    static let maxBody = 4 << 20

    func register(_ api: any RoutesBuilder) {
        let route = api.on(.POST, "feeds", "records", body: .collect(maxSize: ByteCount(value: Self.maxBody)), use: receive).markPublic()
        route.userInfo[RouteActionKey.bodyLimitKey] = Self.maxBody
    }

    @Sendable func receive(req: Request) async throws -> Response {
        let key = try await FeedService.key(bearer: req.headers.bearerAuthorization?.token, on: req.db)
        guard req.headers.contentType == .json else {
            throw AppError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "请求体应为 application/json")
        }
        let body = req.body.data.map { Data(buffer: $0) } ?? Data()
        switch try await FeedService.receive(
            key: key, idempotencyKey: req.headers.first(name: "Idempotency-Key"), body: body, ip: AuditLog.clientIP(req),
            now: req.clock.now(), on: req.db)
        {
        case .stored(let receipt):
            return try await receipt.encodeResponse(status: .created, for: req)
        case .replayed(let receipt):
            let res = try await receipt.encodeResponse(status: .ok, for: req)
            res.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            return res
        }
    }
}
