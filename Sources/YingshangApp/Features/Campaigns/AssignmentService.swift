import Fluent
import Vapor
import YingshangCore

struct AssignmentInput: Content {
    var leadUnitID: String?
    var cooperatorUnitIDs: [String]?
    var leaderUserID: String?
    var memberUserIDs: [String]?
}

struct AssignmentDTO: Content, Encodable {
    struct UnitRef: Content {
        let id: UUID
        let code: String
        let name: String
        let confirmed: Bool
    }

    struct UserRef: Content {
        let id: UUID
        let username: String
        let displayName: String
        let unitName: String
    }

    let id: UUID
    let regionID: UUID
    let indicatorCode: String
    let indicatorName: String
    let leadUnit: UnitRef?
    let cooperators: [UnitRef]
    let leader: UserRef?
    let members: [UserRef]
}

/// 一指标、一团队、一领队: who leads, who cooperates, who is on the team and who leads it.
enum AssignmentService {
    /// Every assignment of a campaign region, in indicator order, with names resolved.
    static func matrix(_ campaign: Campaign, regionID: UUID, on db: any Database) async throws -> [AssignmentDTO] {
        let id = try campaign.requireID()
        let indicators = try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == id).sort(\.$position).all()
        let assignments = try await Assignment.query(on: db).filter(\.$campaign.$id == id).filter(\.$region.$id == regionID)
            .with(\.$cooperators).with(\.$members).all()
        let units = Dictionary(uniqueKeysWithValues: try await Unit.query(on: db).all().compactMap { u in u.id.map { ($0, u) } })
        var userIDs = Set(assignments.flatMap { $0.members.map { $0.$user.id } })
        userIDs.formUnion(assignments.compactMap { $0.$leader.id })
        let users = Dictionary(
            uniqueKeysWithValues: try await User.query(on: db).filter(\.$id ~~ userIDs).all().compactMap { u in u.id.map { ($0, u) } })
        let byCode = Dictionary(uniqueKeysWithValues: assignments.map { ($0.indicatorCode, $0) })
        func unitRef(_ id: UUID?, confirmed: Bool) -> AssignmentDTO.UnitRef? {
            guard let id, let u = units[id] else { return nil }
            return .init(id: id, code: u.code, name: u.name, confirmed: confirmed)
        }
        func userRef(_ id: UUID?) -> AssignmentDTO.UserRef? {
            guard let id, let u = users[id] else { return nil }
            return .init(id: id, username: u.username, displayName: u.displayName, unitName: units[u.$unit.id]?.name ?? "")
        }
        return try indicators.compactMap { ind in
            guard let a = byCode[ind.code] else { return nil }
            return AssignmentDTO(
                id: try a.requireID(), regionID: regionID, indicatorCode: ind.code, indicatorName: ind.name,
                leadUnit: unitRef(a.$leadUnit.id, confirmed: a.leadConfirmedAt != nil),
                cooperators: a.cooperators.compactMap { unitRef($0.$unit.id, confirmed: $0.confirmedAt != nil) }
                    .sorted { $0.code < $1.code },
                leader: userRef(a.$leader.id),
                members: a.members.compactMap { userRef($0.$user.id) }.sorted { $0.username < $1.username })
        }
    }


    static func update(_ a: Assignment, _ input: AssignmentInput, by caller: Caller) async throws {
        var fields: [String: String] = [:]
        func unit(_ raw: String?) async throws -> UUID? {
            guard let raw = raw?.nonBlank else { return nil }
            guard let id = UUID(uuidString: raw), try await Unit.find(id, on: caller.db) != nil else { return UUID?.none }
            return id
        }
        let lead = try await unit(input.leadUnitID)
        if input.leadUnitID?.nonBlank != nil && lead == nil { fields["leadUnitID"] = "牵头单位不存在" }
        var cooperators: [UUID] = []
        for raw in input.cooperatorUnitIDs ?? [] where !raw.isEmpty {
            guard let id = try await unit(raw) else {
                fields["cooperatorUnitIDs"] = "配合单位不存在"
                continue
            }
            if id == lead { fields["cooperatorUnitIDs"] = "牵头单位不能同时是配合单位" } else if !cooperators.contains(id) {
                cooperators.append(id)
            }
        }
        func user(_ raw: String?) async throws -> UUID? {
            guard let raw = raw?.nonBlank, let id = UUID(uuidString: raw), try await User.find(id, on: caller.db) != nil else {
                return nil
            }
            return id
        }
        let leader = try await user(input.leaderUserID)
        if input.leaderUserID?.nonBlank != nil && leader == nil { fields["leaderUserID"] = "领队不存在" }
        var members: [UUID] = []
        for raw in input.memberUserIDs ?? [] where !raw.isEmpty {
            guard let id = try await user(raw) else {
                fields["memberUserIDs"] = "团队成员不存在"
                continue
            }
            if !members.contains(id) { members.append(id) }
        }
        guard fields.isEmpty else { throw AppError.invalid(fields) }
        if let leader, !members.contains(leader) { members.insert(leader, at: 0) }

        let id = try a.requireID()
        let (cooperatorIDs, memberIDs) = (cooperators, members)
        let before = try await snapshot(a, on: caller.db)
        let oldCoops = try await AssignmentCooperator.query(on: caller.db).filter(\.$assignment.$id == id).all()
        try await caller.db.writeTransaction { db in
            if a.$leadUnit.id != lead {
                a.$leadUnit.id = lead
                a.leadConfirmedAt = nil
                a.leadConfirmedBy = nil
            }
            a.$leader.id = leader
            try await a.update(on: db)
            // Cooperators that stay keep their confirmation.
            for c in oldCoops where !cooperatorIDs.contains(c.$unit.id) { try await c.delete(on: db) }
            for u in cooperatorIDs where !oldCoops.contains(where: { $0.$unit.id == u }) {
                try await AssignmentCooperator(assignmentID: id, unitID: u).create(on: db)
            }
            try await AssignmentMember.query(on: db).filter(\.$assignment.$id == id).delete()
            for u in memberIDs {
                try await AssignmentMember(assignmentID: id, userID: u, teamRole: u == leader ? "领队" : "成员").create(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "assignment",
                entityID: a.id, before: before, after: try await snapshot(a, on: db))
        }
    }

    struct Snapshot: Encodable {
        let indicatorCode: String
        let leadUnitID: UUID?
        let leadConfirmed: Bool
        let cooperatorUnitIDs: [UUID]
        let leaderUserID: UUID?
        let memberUserIDs: [UUID]
    }

    static func snapshot(_ a: Assignment, on db: any Database) async throws -> Snapshot {
        let id = try a.requireID()
        return Snapshot(
            indicatorCode: a.indicatorCode, leadUnitID: a.$leadUnit.id, leadConfirmed: a.leadConfirmedAt != nil,
            cooperatorUnitIDs: try await AssignmentCooperator.query(on: db).filter(\.$assignment.$id == id).all()
                .map { $0.$unit.id }.sorted { $0.uuidString < $1.uuidString },
            leaderUserID: a.$leader.id,
            memberUserIDs: try await AssignmentMember.query(on: db).filter(\.$assignment.$id == id).all()
                .map { $0.$user.id }.sorted { $0.uuidString < $1.uuidString })
    }

    /// A unit head confirms their unit's part: the lead role, a cooperating role, or both. Another unit's
    /// assignment is refused with 403.
    static func confirm(_ a: Assignment, by caller: Caller) async throws {
        let user = caller.user
        let role = caller.role
        let id = try a.requireID()
        let unitID = user.$unit.id
        let coop = try await AssignmentCooperator.query(on: caller.db).filter(\.$assignment.$id == id)
            .filter(\.$unit.$id == unitID).first()
        let isLead = a.$leadUnit.id == unitID || (!role.isUnitScoped && a.$leadUnit.id != nil)
        guard isLead || coop != nil else { throw AppError.forbidden("本单位不是该指标的牵头或配合单位，不能确认") }
        let before = try await snapshot(a, on: caller.db)
        try await caller.db.writeTransaction { db in
            if isLead {
                a.leadConfirmedAt = caller.clock.now()
                a.leadConfirmedBy = user.username
                try await a.update(on: db)
            }
            if let coop {
                coop.confirmedAt = caller.clock.now()
                coop.confirmedBy = user.username
                try await coop.update(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "confirm", entityType: "assignment", entityID: a.id,
                before: before, after: try await snapshot(a, on: db))
        }
    }

    /// "My unit is lead on X, cooperating on Y": every unit with a role in the campaign region.
    struct UnitView: Encodable {
        struct Entry: Encodable {
            let assignmentID: UUID
            let indicatorName: String
            let confirmed: Bool
        }

        let unitID: UUID
        let unitName: String
        let lead: [Entry]
        let cooperating: [Entry]
    }

    static func byUnit(_ matrix: [AssignmentDTO]) -> [UnitView] {
        var units: [UUID: (String, [UnitView.Entry], [UnitView.Entry])] = [:]
        for a in matrix {
            if let l = a.leadUnit {
                units[l.id, default: (l.name, [], [])].1.append(.init(assignmentID: a.id, indicatorName: a.indicatorName, confirmed: l.confirmed))
            }
            for c in a.cooperators {
                units[c.id, default: (c.name, [], [])].2.append(.init(assignmentID: a.id, indicatorName: a.indicatorName, confirmed: c.confirmed))
            }
        }
        return units.map { UnitView(unitID: $0.key, unitName: $0.value.0, lead: $0.value.1, cooperating: $0.value.2) }
            .sorted { ($1.lead.count, $0.unitName) < ($0.lead.count, $1.unitName) }
    }
}
