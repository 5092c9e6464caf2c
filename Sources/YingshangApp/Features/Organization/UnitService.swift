import Fluent
import Vapor
import YingshangCore

/// Validation, scoping and audited writes for units.
enum UnitService {
    static func validated(_ input: UnitInput, existing: Unit?, on db: any Database) async throws -> (
        code: String, name: String, type: UnitType, regionID: UUID?, contact: String?
    ) {
        let code = input.code.trimmed
        let name = input.name.trimmed
        var fields: [String: String] = [:]
        for p in UnitRules.validate(code: code, name: name) where fields[p.field] == nil { fields[p.field] = p.message }
        let type = UnitType(rawValue: input.type.trimmed)
        if type == nil { fields["type"] = "请选择单位类型" }
        var regionID: UUID? = nil
        if let raw = input.regionID?.nonBlank {
            if let id = UUID(uuidString: raw), try await Region.find(id, on: db) != nil {
                regionID = id
            } else {
                fields["regionID"] = "所属区划不存在"
            }
        }
        let contact = input.contact?.nonBlank
        if let contact, contact.count > 100 { fields["contact"] = "联系方式不超过 100 个字符" }
        if fields["code"] == nil {
            var dup = Unit.query(on: db).filter(\.$code == code)
            if let id = existing?.id { dup = dup.filter(\.$id != id) }
            if try await dup.count() > 0 { fields["code"] = "单位代码 \(code) 已存在" }
        }
        guard fields.isEmpty, let type else { throw AppError.invalid(fields) }
        return (code, name, type, regionID, contact)
    }

    /// A region-bound administrator keeps units inside its regions (the directory itself stays readable to all).
    static func requireScope(_ regionID: UUID?, _ caller: Caller, forbidden: Bool = false) throws {
        guard !caller.scope.covers(regionID?.uuidString) else { return }
        if forbidden { throw AppError.forbidden("该单位不在您的管辖地区内") }
        throw AppError.invalid(["regionID": "只能选择本人管辖范围内的区划"])
    }

    static func create(_ input: UnitInput, by caller: Caller) async throws -> Unit {
        let v = try await validated(input, existing: nil, on: caller.db)
        try requireScope(v.regionID, caller)
        let unit = Unit(code: v.code, name: v.name, type: v.type, regionID: v.regionID, contact: v.contact)
        try await caller.db.writeTransaction { db in
            try await unit.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "unit",
                entityID: unit.id, before: noSnapshot, after: try UnitDTO(unit))
        }
        return unit
    }

    static func update(_ unit: Unit, _ input: UnitInput, by caller: Caller) async throws {
        try requireScope(unit.$region.id, caller, forbidden: true)
        let v = try await validated(input, existing: unit, on: caller.db)
        try requireScope(v.regionID, caller)
        let before = try UnitDTO(unit)
        unit.code = v.code
        unit.name = v.name
        unit.type = v.type.rawValue
        unit.$region.id = v.regionID
        unit.contact = v.contact
        try await caller.db.writeTransaction { db in
            try await unit.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "unit",
                entityID: unit.id, before: before, after: try UnitDTO(unit))
        }
    }

    /// Refuses while users belong to the unit.
    static func delete(_ unit: Unit, by caller: Caller) async throws {
        try requireScope(unit.$region.id, caller, forbidden: true)
        let id = try unit.requireID()
        let users = try await User.query(on: caller.db).filter(\.$unit.$id == id).count()
        if users > 0 { throw AppError.conflict("“\(unit.name)”下还有 \(users) 个用户，请先移走或删除这些用户") }
        let before = try UnitDTO(unit)
        try await caller.db.writeTransaction { db in
            try await unit.delete(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "delete", entityType: "unit",
                entityID: id, before: before, after: noSnapshot)
        }
    }

    /// Units the current user may see: all, or only their own for unit-scoped roles.
    static func search(_ lq: ListQuery, by caller: Caller) async throws -> Fluent.Page<Unit> {
        let user = caller.user
        var query = Unit.query(on: caller.db)
        if caller.role.isUnitScoped { query = query.filter(\.$id == user.$unit.id) }
        if !lq.q.isEmpty {
            query = query.group(.or) { $0.filter(\.$name ~~ lq.q).filter(\.$code ~~ lq.q) }
        }
        return try await query.sort(\.$code).paginate(lq.pageRequest)
    }


    /// A unit by id; another unit's record is 403 for unit-scoped roles.
    static func find(_ id: UUID, by caller: Caller) async throws -> Unit {
        guard let unit = try await Unit.find(id, on: caller.db) else { throw AppError.notFound("单位") }
        guard UnitScope.canAccess(role: caller.role, userUnitID: caller.user.$unit.id.uuidString, recordUnitID: unit.id?.uuidString)
        else { throw AppError.forbidden("只能查看本单位的信息") }
        return unit
    }
}
