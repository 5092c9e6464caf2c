import Fluent
import Vapor
import YingshangCore

/// Validation and audited writes for regions, used by the API, the web pages and the demo loader.
enum RegionService {
    static func validated(_ input: RegionInput, existing: Region?, on db: any Database) async throws -> (
        code: String, name: String, level: RegionLevel, parentID: UUID?
    ) {
        var fields: [String: String] = [:]
        let code = input.code.trimmed
        let name = input.name.trimmed
        let level = RegionLevel(rawValue: input.level.trimmed)
        if name.isEmpty || name.count > 100 { fields["name"] = "名称必填，不超过 100 个字符" }
        if level == nil { fields["level"] = "请选择层级（省、市、县、乡镇/街道）" }
        var parent: Region? = nil
        if let raw = input.parentID?.nonBlank {
            if let id = UUID(uuidString: raw), let p = try await Region.find(id, on: db) {
                parent = p
            } else {
                fields["parentID"] = "上级区划不存在"
            }
        }
        if let level, fields["parentID"] == nil {
            if let parent {
                if !level.allowedParentLevels.contains(parent.regionLevel) {
                    fields["parentID"] = "\(level.chineseName)的上级不能是\(parent.regionLevel.chineseName)"
                }
                if parent.id != nil, parent.id == existing?.id { fields["parentID"] = "上级区划不能是自身" }
            } else if level == .township {
                fields["parentID"] = "乡镇/街道必须选择所属县（市、区）"
            }
        }
        if let level, let problem = DivisionCode.validate(code, level: level, parentCode: parent?.code) {
            fields["code"] = problem
        }
        if fields["code"] == nil {
            var dup = Region.query(on: db).filter(\.$code == code)
            if let id = existing?.id { dup = dup.filter(\.$id != id) }
            if try await dup.count() > 0 { fields["code"] = "区划代码 \(code) 已存在" }
        }
        guard fields.isEmpty, let level else { throw AppError.invalid(fields) }
        return (code, name, level, parent?.id)
    }

    static func create(_ input: RegionInput, by caller: Caller) async throws -> Region {
        let v = try await validated(input, existing: nil, on: caller.db)
        if !caller.scope.covers(v.parentID?.uuidString) { throw AppError.invalid(["parentID": "只能在本人管辖地区内新建下级区划"]) }
        let region = Region(code: v.code, name: v.name, level: v.level, parentID: v.parentID)
        try await caller.db.writeTransaction { db in
            try await region.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "region",
                entityID: region.id, before: noSnapshot, after: try RegionDTO(region))
        }
        return region
    }

    static func update(_ region: Region, _ input: RegionInput, by caller: Caller) async throws {
        guard caller.scope.covers(region.id?.uuidString) else { throw AppError.forbidden("该区划不在您的管辖地区内") }
        let v = try await validated(input, existing: region, on: caller.db)
        // The bound region itself may be renamed but not moved out from under its parent.
        if v.parentID != region.$parent.id, !caller.scope.covers(v.parentID?.uuidString) {
            throw AppError.invalid(["parentID": "只能在本人管辖地区内调整上级区划"])
        }
        let before = try RegionDTO(region)
        region.code = v.code
        region.name = v.name
        region.level = v.level.rawValue
        region.$parent.id = v.parentID
        try await caller.db.writeTransaction { db in
            try await region.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "region",
                entityID: region.id, before: before, after: try RegionDTO(region))
        }
    }

    /// Refuses while townships or units still point at the region.
    static func delete(_ region: Region, by caller: Caller) async throws {
        guard caller.scope.covers(region.id?.uuidString) else { throw AppError.forbidden("该区划不在您的管辖地区内") }
        let id = try region.requireID()
        let children = try await Region.query(on: caller.db).filter(\.$parent.$id == id).count()
        let units = try await Unit.query(on: caller.db).filter(\.$region.$id == id).count()
        if children > 0 || units > 0 {
            throw AppError.conflict("“\(region.name)”下还有 \(children) 个下级区划、\(units) 个单位，不能删除")
        }
        let before = try RegionDTO(region)
        try await caller.db.writeTransaction { db in
            try await region.delete(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "delete", entityType: "region",
                entityID: id, before: before, after: noSnapshot)
        }
    }

    static func search(_ lq: ListQuery, on db: any Database) async throws -> Fluent.Page<Region> {
        var query = Region.query(on: db)
        if !lq.q.isEmpty {
            query = query.group(.or) { $0.filter(\.$name ~~ lq.q).filter(\.$code ~~ lq.q) }
        }
        return try await query.sort(\.$code).paginate(lq.pageRequest)
    }

}
