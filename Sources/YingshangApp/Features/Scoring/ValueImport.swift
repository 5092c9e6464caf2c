import Fluent
import Vapor
import YingshangCore

/// CSV imports of benchmark values and verified values: all rows valid or nothing stored, errors by row.
enum ValueImport {
    struct Failure: Error {
        let errors: [String]
    }

    static let maxRows = 5000

    /// Rows without the header (recognised by a first cell that is not data) and without blank lines.
    static func rows(_ text: String, header: String) -> [(line: Int, cells: [String])] {
        let all = CSV.parse(text).enumerated().map { (line: $0.offset + 1, cells: $0.element.map { $0.trimmingCharacters(in: .whitespaces) }) }
        return all.filter { r in !r.cells.allSatisfy(\.isEmpty) && !(r.line == 1 && r.cells.first?.hasPrefix(header) == true) }
    }

    /// The value checked against the sub-indicator's kind; nil when valid.
    static func problem(_ value: String, _ sub: SubIndicatorSpec) -> String? {
        switch sub.kind {
        case .number:
            guard let d = FiledNumber.parse(value), d >= 0 else { return "“\(value)”应为非负数字" }
            return nil
        case .yesNo: return ["是", "否"].contains(value) ? nil : "“\(value)”应为“是”或“否”"
        case .choice: return sub.options.contains { $0.label == value } ? nil : "“\(value)”不是本题选项"
        case .text: return value.count > 500 ? "不超过 500 字" : nil
        }
    }

    static func lookup(_ catalog: Catalog, campaignCodes: Set<String>, ind: String, sub: String) -> Result<SubIndicatorSpec, String> {
        guard campaignCodes.contains(ind), let spec = catalog.indicator(ind) else { return .failure("指标代码“\(ind)”不在本次评价中") }
        guard let s = spec.subIndicators.first(where: { $0.code == sub }) else { return .failure("指标「\(spec.nameZh)」没有二级指标“\(sub)”") }
        return .success(s)
    }

    /// `对标地区,指标代码,二级指标代码,数值`.
    static func importBenchmarks(_ c: Campaign, text: String, by caller: Caller) async throws -> Int {
        let cid = try c.requireID()
        let catalog = try await c.catalog(on: caller.db)
        let codes = Set(try await CampaignIndicator.query(on: caller.db).filter(\.$campaign.$id == cid).all().map(\.code))
        let rows = rows(text, header: "对标地区")
        var errors: [String] = []
        var parsed: [(String, String, String, String)] = []
        if rows.isEmpty { errors.append("没有数据行：每行填写 对标地区,指标代码,二级指标代码,数值") }
        if rows.count > maxRows { errors.append("一次最多导入 \(maxRows) 行") }
        var seen = Set<String>()
        for r in rows.prefix(maxRows) {
            guard r.cells.count >= 4 else { errors.append("第 \(r.line) 行：应有 4 列（对标地区,指标代码,二级指标代码,数值）"); continue }
            let (name, ind, sub, value) = (r.cells[0], r.cells[1], r.cells[2], r.cells[3])
            if name.isEmpty || name.count > 50 { errors.append("第 \(r.line) 行：对标地区名称必填，不超过 50 字"); continue }
            switch lookup(catalog, campaignCodes: codes, ind: ind, sub: sub) {
            case .failure(let m): errors.append("第 \(r.line) 行：\(m)")
            case .success(let spec):
                if let p = problem(value, spec) { errors.append("第 \(r.line) 行（\(spec.nameZh)）：\(p)"); continue }
                if !seen.insert("\(name)|\(ind)|\(sub)").inserted { errors.append("第 \(r.line) 行：与前面的行重复（\(name) \(ind).\(sub)）"); continue }
                parsed.append((name, ind, sub, value))
            }
        }
        if !errors.isEmpty { throw Failure(errors: errors) }
        let rowsToWrite = parsed
        try await caller.db.writeTransaction { db in
            for (name, ind, sub, value) in rowsToWrite {
                if let existing = try await BenchmarkValue.query(on: db).filter(\.$campaign.$id == cid).filter(\.$benchmark == name)
                    .filter(\.$indicatorCode == ind).filter(\.$subCode == sub).first()
                {
                    existing.value = value
                    try await existing.update(on: db)
                } else {
                    try await BenchmarkValue(campaignID: cid, benchmark: name, indicatorCode: ind, subCode: sub, value: value).create(on: db)
                }
            }
            try await AuditLog.record(
                on: db, by: caller, action: "import", entityType: "benchmark_values", entityID: cid, before: noSnapshot,
                after: ["rows": rowsToWrite.count])
        }
        return parsed.count
    }

    /// `地区编码,指标代码,二级指标代码,核验值,来源,理由`; 来源 is `verified` (default) or `records`; the reason is required.
    static func importVerified(_ c: Campaign, text: String, by caller: Caller) async throws -> Int {
        let cid = try c.requireID()
        let catalog = try await c.catalog(on: caller.db)
        let codes = Set(try await CampaignIndicator.query(on: caller.db).filter(\.$campaign.$id == cid).all().map(\.code))
        let regionIDs = try await CampaignRegion.query(on: caller.db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
        let regions = Dictionary(
            try await Region.query(on: caller.db).filter(\.$id ~~ regionIDs).all().compactMap { r in r.id.map { (r.code, $0) } },
            uniquingKeysWith: { a, _ in a })
        let rows = rows(text, header: "地区编码")
        var errors: [String] = []
        var parsed: [(UUID, String, String, String, ValueSource, String)] = []
        if rows.isEmpty { errors.append("没有数据行：每行填写 地区编码,指标代码,二级指标代码,核验值,来源,理由") }
        if rows.count > maxRows { errors.append("一次最多导入 \(maxRows) 行") }
        var seen = Set<String>()
        for r in rows.prefix(maxRows) {
            guard r.cells.count >= 4 else { errors.append("第 \(r.line) 行：应至少有 4 列（地区编码,指标代码,二级指标代码,核验值）"); continue }
            let cells = r.cells + ["", ""]
            guard let region = regions[cells[0]] else { errors.append("第 \(r.line) 行：地区编码“\(cells[0])”不是本次被评价地区"); continue }
            let sourceText = cells[4].isEmpty ? "verified" : cells[4]
            guard let source = ValueSource(rawValue: sourceText), source == .verified || source == .records else {
                errors.append("第 \(r.line) 行：来源应为 verified（第三方核验）或 records（业务数据）")
                continue
            }
            let reason = cells[5]
            if reason.isEmpty || reason.count > 500 { errors.append("第 \(r.line) 行：请填写采用该核验值的理由（不超过 500 字）"); continue }
            switch lookup(catalog, campaignCodes: codes, ind: cells[1], sub: cells[2]) {
            case .failure(let m): errors.append("第 \(r.line) 行：\(m)")
            case .success(let spec):
                if let p = problem(cells[3], spec) { errors.append("第 \(r.line) 行（\(spec.nameZh)）：\(p)"); continue }
                if !seen.insert("\(region)|\(cells[1])|\(cells[2])").inserted { errors.append("第 \(r.line) 行：与前面的行重复"); continue }
                parsed.append((region, cells[1], cells[2], cells[3], source, reason))
            }
        }
        if !errors.isEmpty { throw Failure(errors: errors) }
        let user = caller.user
        let rowsToWrite = parsed
        try await caller.db.writeTransaction { db in
            for (region, ind, sub, value, source, reason) in rowsToWrite {
                let existing = try await VerifiedValue.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == region)
                    .filter(\.$indicatorCode == ind).filter(\.$subCode == sub).first()
                let before = existing.map { ["value": $0.value, "source": $0.source, "reason": $0.reason] }
                let row = existing ?? VerifiedValue(campaignID: cid, regionID: region, indicatorCode: ind, subCode: sub, value: value, source: source, reason: reason, by: user.username)
                row.value = value
                row.source = source.rawValue
                row.reason = reason
                row.setBy = user.username
                try await row.save(on: db)
                try await AuditLog.record(
                    on: db, by: caller, action: existing == nil ? "create" : "update", entityType: "verified_value",
                    entityID: row.id, before: before, after: ["indicator": ind, "sub": sub, "value": value, "source": source.rawValue, "reason": reason])
            }
        }
        return parsed.count
    }
}
