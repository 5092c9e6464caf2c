import Fluent
import NIOConcurrencyHelpers
import SQLiteNIO
import SQLKit
import Vapor
import YingshangCore

/// Preview, draw and replacement.
enum SampleService {
    static let strataFields = ["township", "industry", "size"]

    static func validate(_ p: DrawParameters) -> [String: String] {
        var f: [String: String] = [:]
        if p.size <= 0 { f["size"] = "样本量应为正整数" }
        if p.strata.isEmpty || !p.strata.allSatisfy(strataFields.contains) { f["strata"] = "分层字段应为 township、industry、size 的组合" }
        if p.minPerStratum < 0 { f["minPerStratum"] = "每层最少样本不能为负数" }
        if !(0...5).contains(p.reserveRatio) { f["reserveRatio"] = "备选比例应在 0–5 之间" }
        if let d = p.foundedBefore, Day(d) == nil { f["foundedBefore"] = "日期格式应为 YYYY-MM-DD" }
        return f
    }

    /// A stratum field's column and the name its empty cells go by in a stratum key ("未填乡镇|C|小型").
    static func stratumColumn(_ field: String) -> (column: String, missing: String) {
        switch field {
        case "township": return ("township_code", "未填乡镇")
        case "industry": return ("industry", "未填行业")
        default: return ("size", "未填规模")
        }
    }

    static func keyExpression(_ strata: [String]) -> SQLRaw {
        SQLRaw(strata.map(stratumColumn).map { "COALESCE(\($0.column), '\($0.missing)')" }.joined(separator: " || '|' || "))
    }

    /// The frame: credit codes of the enterprises passing the filters, by stratum, in code order (`RegisterStore.frame`:
    /// PostgreSQL aggregates per stratum, SQLite scans through its C interface), less those already drawn if asked.
    static func frame(_ campaignID: UUID, _ p: DrawParameters, on db: any Database) async throws -> [String: EnterpriseRegister.SortedCodes] {
        guard let snapshot = try await RegisterSnapshot.number(of: campaignID, on: db) else { return [:] }
        var frame = try await RegisterStores.on(db).frame(
            snapshot: snapshot, strata: p.strata, statuses: p.statuses, foundedBefore: p.foundedBefore)
        if p.excludeDrawn {
            let draws = try await SampleDraw.query(on: db).filter(\.$campaign.$id == campaignID).all().compactMap(\.id)
            let ids = try await SampleMember.query(on: db).filter(\.$draw.$id ~~ draws).filter(\.$role == "sample").all().map { $0.$enterprise.id }
            let excluded = Set(try await Enterprise.query(on: db).filter(\.$id ~~ ids).all().map(\.uscc))
            if !excluded.isEmpty {
                for (key, members) in frame { frame[key] = members.removing(excluded) }
            }
        }
        return frame.filter { !$0.value.isEmpty }
    }

    /// S_h per stratum from a numeric extra column of the register (e.g. 从业人员), over the enterprises that pass the
    /// draw's filters: one pass over the snapshot, values extracted by the database's JSON functions.
    static func proxyDeviations(_ campaignID: UUID, _ p: DrawParameters, column: String, on db: any Database) async throws -> ProxyDeviations {
        var result = ProxyDeviations()
        guard let sql = db as? any SQLDatabase, let snapshot = try await RegisterSnapshot.number(of: campaignID, on: db) else { return result }
        guard !column.isEmpty, column.count <= 64, !column.contains("\""), !column.contains("\\") else {
            throw AppError.invalid(["sdColumn": "列名无效"])
        }
        let value: SQLQueryString = sql.engine == .sqlite
            ? "json_extract(extra, \(bind: "$.\"" + column + "\""))" : "(extra::jsonb ->> \(bind: column))"
        var query: SQLQueryString = "SELECT \(unsafeRaw: keyExpression(p.strata).sql) AS k, \(value) AS v FROM enterprises WHERE snapshot_id = \(bind: snapshot) AND extra <> '{}'"
        if !p.statuses.isEmpty {
            query.appendInterpolation(unsafeRaw: " AND status IN ")
            query.appendList(p.statuses)
        }
        if let before = p.foundedBefore {
            query.appendInterpolation(unsafeRaw: " AND founded < ")
            query.appendInterpolation(bind: before)
        }
        let box = NIOLockedValueBox(result)
        try await sql.raw(query).run { row in
            guard let k = try? row.decode(column: "k", as: String.self), case let v?? = try? row.decode(column: "v", as: String?.self)
            else { return }
            box.withLockedValue { $0.add(stratum: k, cell: v) }
        }
        result = box.withLockedValue { $0 }
        return result
    }

    static func allocate(_ frame: [String: EnterpriseRegister.SortedCodes], _ p: DrawParameters) throws -> [AllocationRow] {
        let keys = frame.keys.sorted()
        let strata = keys.map { StratifiedSampling.Stratum(key: $0, size: frame[$0]?.count ?? 0, sd: p.sd[$0]) }
        switch StratifiedSampling.allocate(n: p.size, strata: strata, method: p.allocation, minimum: p.minPerStratum) {
        case .failure(let problem): throw AppError.invalid(["size": problem.message])
        case .success(let n):
            return zip(strata, n).map {
                AllocationRow(
                    stratum: $0.0.key, population: $0.0.size, sample: $0.1,
                    reserve: StratifiedSampling.reserveCount(sample: $0.1, stratumSize: $0.0.size, ratio: p.reserveRatio))
            }
        }
    }


    static func draw(_ campaignID: UUID, _ p: DrawParameters, by caller: Caller?, clock: AppClock, on db: any Database) async throws -> SampleDraw {
        let frame = try await frame(campaignID, p, on: db)
        let rows = try allocate(frame, p)
        var rng = SeededGenerator(seed: p.seed)
        let draw = SampleDraw()
        draw.$campaign.id = campaignID
        draw.parametersJSON = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
        draw.allocationJSON = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        draw.drawnBy = caller?.user.username ?? "system"
        draw.locked = false
        var picked: [(String, String, String, Int)] = []
        for row in rows {
            let pick = StratifiedSampling.select(
                sorted: frame[row.stratum] ?? EnterpriseRegister.SortedCodes([String]()), take: row.sample, reserve: row.reserve, using: &rng)
            for (i, u) in pick.sample.enumerated() { picked.append((u, row.stratum, "sample", i)) }
            for (i, u) in pick.reserve.enumerated() { picked.append((u, row.stratum, "reserve", i)) }
        }
        // Only the chosen few need their ids: two columns each, not whole rows (a fifth of a draw's time as models).
        guard let snapshot = try await RegisterSnapshot.number(of: campaignID, on: db) else { throw AppError.conflict("名单不存在") }
        let ids = try await RegisterStores.on(db).ids(snapshot: snapshot, codes: picked.map(\.0))
        let chosen = picked.compactMap { p in
            ids[p.0].map { DrawnMember(enterpriseID: $0, stratum: p.1, role: p.2, position: p.3) }
        }
        try await db.writeTransaction { tx in
            try await draw.create(on: tx)
            let did = try draw.requireID()
            try await RegisterStores.on(tx).insertMembers(draw: did, chosen)
            struct Audit: Encodable { let parameters: DrawParameters; let sample: Int; let reserve: Int }
            try await AuditLog.record(
                on: tx, by: caller, clock: clock, action: "draw", entityType: "sample", entityID: did,
                before: noSnapshot,
                after: Audit(parameters: p, sample: rows.reduce(0) { $0 + $1.sample }, reserve: rows.reduce(0) { $0 + $1.reserve }))
        }
        return draw
    }

    /// Marks a sampled enterprise unreachable or refused and promotes the next reserve of its stratum.
    static func replace(_ member: SampleMember, status: String, reason: String, by caller: Caller) async throws -> SampleMember? {
        guard ["unreachable", "refused"].contains(status) else { throw AppError.invalid(["status": "原因类型应为 unreachable（联系不上）或 refused（拒绝）"]) }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw AppError.invalid(["reason": "请填写替换原因"]) }
        guard member.role == "sample", member.status == "active" else { throw AppError.conflict("该企业不是有效样本，不能替换") }
        let next = try await SampleMember.query(on: caller.db).filter(\.$draw.$id == member.$draw.id).filter(\.$stratum == member.stratum)
            .filter(\.$role == "reserve").filter(\.$status == "active").sort(\.$position).first()
        try await caller.db.writeTransaction { tx in
            member.status = status
            member.reason = reason
            member.replacedBy = next?.id
            try await member.update(on: tx)
            if let next {
                next.role = "sample"
                try await next.update(on: tx)
            }
            try await AuditLog.record(
                on: tx, by: caller, action: "replace", entityType: "sample", entityID: member.$draw.id,
                before: ["member": member.id?.uuidString ?? ""],
                after: ["status": status, "reason": reason, "replacement": next?.id?.uuidString ?? "（备选已用完）"])
        }
        return next
    }
}

/// A draw's members and response counts, read for its page and export.
extension SampleService {
    /// A member of a draw with its enterprise's code and name.
    struct Member: Sendable {
        let id: UUID
        let stratum: String
        let role: String
        let position: Int
        let status: String
        let reason: String?
        let uscc: String
        let name: String
    }

    /// The members of a draw joined with their enterprises in one statement, by stratum, samples before reserves,
    /// then by position (and id, so pages never overlap even where a replacement shares a position); `page`
    /// (0-based) of `per` members, or all.
    static func members(_ draw: SampleDraw, page: (number: Int, per: Int)? = nil, on db: any Database) async throws -> [Member] {
        let sql = try db.sql()
        // Strata compare bytewise on both databases (PostgreSQL's default collation may be a locale's).
        let collate = sql.engine == .postgres ? " COLLATE \"C\"" : ""
        var query = SQLQueryString("""
            SELECT m.id, m.stratum, m.role, m.position, m.status, m.reason, e.uscc, e.name
            FROM \(ident: SampleMember.schema) m JOIN \(ident: Enterprise.schema) e ON e.id = m.enterprise_id
            WHERE m.draw_id = \(bind: try draw.requireID())
            """)
        query.appendInterpolation(unsafeRaw: " ORDER BY m.stratum\(collate), CASE WHEN m.role = 'sample' THEN 0 ELSE 1 END, m.position, m.id")
        if let page { query.appendPage(number: page.number, per: page.per) }
        return try await sql.raw(query).all().map { row in
            Member(
                id: try row.decode(column: "id", as: UUID.self), stratum: try row.decode(column: "stratum", as: String.self),
                role: try row.decode(column: "role", as: String.self), position: try row.decode(column: "position", as: Int.self),
                status: try row.decode(column: "status", as: String.self), reason: try row.decode(column: "reason", as: String?.self),
                uscc: try row.decode(column: "uscc", as: String.self), name: try row.decode(column: "name", as: String.self))
        }
    }

    /// Issued and submitted survey links per stratum of a draw, counted in the database.
    static func responseCounts(_ draw: SampleDraw, on db: any Database) async throws -> [String: (issued: Int, submitted: Int)] {
        let query: SQLQueryString = """
            SELECT coalesce(m.stratum, '') AS stratum, count(*) AS issued, sum(CASE WHEN r.status = 'submitted' THEN 1 ELSE 0 END) AS submitted
            FROM \(ident: SurveyResponse.schema) r
            LEFT JOIN \(ident: SampleMember.schema) m ON m.draw_id = r.draw_id AND m.enterprise_id = r.enterprise_id
            WHERE r.draw_id = \(bind: try draw.requireID()) GROUP BY coalesce(m.stratum, '')
            """
        var out: [String: (issued: Int, submitted: Int)] = [:]
        for row in try await db.sql().raw(query).all() {
            out[try row.decode(column: "stratum", as: String.self)] = (
                try row.decode(column: "issued", as: Int.self), try row.decode(column: "submitted", as: Int?.self) ?? 0
            )
        }
        return out
    }
}
