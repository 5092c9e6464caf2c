import Fluent
import Vapor
import YingshangCore

/// The filing page's model.
extension FilingsWebController {
    struct ItemView: Encodable {
        let code: String
        let text: String
        let help: String
        let value: String
        let kind: String
        let unit: String
        let options: [String]
        let subName: String
        let evidenceRequired: Bool
        let error: String
        let attachments: [AttachmentView]
    }

    struct AttachmentView: Encodable {
        let id: String
        let name: String
        let size: String
        let uploadedBy: String
        let uploadedAt: String
    }

    struct EventView: Encodable {
        let actionName: String
        let actor: String
        let reason: String?
        let atText: String
    }

    struct Group: Encodable {
        let name: String
        let items: [ItemView]
    }

    struct ShowBody: Encodable {
        let id: String
        let campaignName: String
        let indicatorName: String
        let leadUnit: String
        let state: String
        let stateName: String
        let version: Int
        let lastReason: String
        let returned: Bool
        let canEdit: Bool
        let actions: [SelectOption]
        let groups: [Group]
        let general: [AttachmentView]
        let guideHTML: String
        let documents: [String]
        let events: [EventView]
        let errors: [String]
        let conflict: Bool
        let limitMB: Int
        /// The longest answer accepted (`AnswerValidation.maxTextLength`), stated beside each text box.
        let maxText: Int = AnswerValidation.maxTextLength
        let versions: [Int]
        let cooperation: [CooperationView]
        let myContribution: MyContribution?
    }

    struct CooperationView: Encodable {
        let unitID: String
        let unitName: String
        let items: [CampaignsWebController.Check]
        let contributionID: String
        let stateName: String
        let canMerge: Bool
        let answers: [String]
    }

    struct MyContribution: Encodable {
        let items: [ItemView]
        let stateName: String
        let editable: Bool
    }

    /// One filing as its page shows it to `caller`: the questionnaire by dimension with answers (the typed ones after
    /// an error), errors beside their items, evidence, the actions the workflow offers, versions, the timeline, and
    /// the cooperating units' parts (for the lead unit) or the caller's own part (for a cooperating unit).
    static func showBody(
        _ f: Filing, by caller: Caller, input: [String: String]? = nil, errors: [FieldProblem] = [], conflict: Bool = false, uploadLimitMB: Int
    ) async throws -> ShowBody {
        let db = caller.db
        let ind = try await FilingService.indicator(f, on: db)
        let campaign = try await f.$campaign.get(on: db)
        let lead = try await f.$leadUnit.get(on: db)
        let dto = try await FilingService.dto(f, on: db)
        let values = input ?? f.answers
        let subs = Dictionary(uniqueKeysWithValues: ind.subIndicators.map { ($0.code, $0) })
        let itemCodes = Set(ind.questionnaire.map(\.code))
        let errorByItem = Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { "\($0)；\($1)" })
        func view(_ a: FilingDTO.Attachment) -> AttachmentView {
            AttachmentView(
                id: a.id.uuidString, name: a.name, size: ByteCountFormatter.string(fromByteCount: Int64(a.size), countStyle: .file),
                uploadedBy: a.uploadedBy, uploadedAt: DisplayTime.format(a.uploadedAt))
        }
        let groups = Dimension.allCases.compactMap { dim -> Group? in
            let items = ind.questionnaire.filter { $0.dimension == dim }.map { item -> ItemView in
                let sub = item.subIndicatorCode.flatMap { subs[$0] }
                return ItemView(
                    code: item.code, text: item.text, help: item.help, value: values[item.code] ?? "",
                    kind: sub?.kind.rawValue ?? item.shape?.rawValue ?? "text", unit: sub?.unit ?? item.unit ?? "",
                    options: sub?.kind == .choice ? sub?.options.map(\.label) ?? [] : [], subName: sub?.nameZh ?? "",
                    evidenceRequired: sub?.evidenceRequired ?? false, error: errorByItem[item.code] ?? "",
                    attachments: dto.attachments.filter { $0.itemCode == item.code }.map(view))
            }
            return items.isEmpty ? nil : Group(name: dim.chineseName, items: items)
        }
        let user = caller.user
        let role = caller.role
        let actor = FilingActor(role: role, isLeadUnit: f.$leadUnit.id == user.$unit.id)
        let actions = FilingWorkflow.availableActions(from: f.filingState, actor: actor).map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: false) }
        let canEdit = (try? FilingService.requireEdit(f, by: caller)) != nil
        let versions = try await FilingVersion.query(on: db).filter(\.$filing.$id == (try f.requireID()))
            .sort(\.$version, .descending).all().map(\.version)
        let contributions = try await FilingContribution.query(on: db).filter(\.$filing.$id == (try f.requireID())).all()
        var cooperation: [CooperationView] = []
        if canEdit {
            for unitID in try await ContributionService.cooperatingUnits(f, on: db) {
                let unitName = try await Unit.find(unitID, on: db)?.name ?? ""
                let c = contributions.first { $0.$unit.id == unitID }
                let assigned = Set(c?.items ?? [])
                cooperation.append(CooperationView(
                    unitID: unitID.uuidString, unitName: unitName,
                    items: ind.questionnaire.map { .init(value: $0.code, label: "\($0.code). \($0.text)", checked: assigned.contains($0.code)) },
                    contributionID: c?.id?.uuidString ?? "", stateName: c?.contributionState.chineseName ?? "未分配",
                    canMerge: c?.contributionState == .submitted,
                    answers: (c?.answers ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)：\($0.value)" }))
            }
        }
        var mine: MyContribution? = nil
        if let c = contributions.first(where: { $0.$unit.id == user.$unit.id }), f.$leadUnit.id != user.$unit.id {
            let assigned = Set(c.items)
            let items = groups.flatMap(\.items).filter { assigned.contains($0.code) }.map { item in
                ItemView(
                    code: item.code, text: item.text, help: item.help, value: (input ?? c.answers)[item.code] ?? c.answers[item.code] ?? "",
                    kind: item.kind, unit: item.unit, options: item.options, subName: item.subName,
                    evidenceRequired: item.evidenceRequired, error: "", attachments: [])
            }
            mine = MyContribution(
                items: items, stateName: c.contributionState.chineseName,
                editable: c.contributionState != .merged && (role == .filer || role == .unitHead))
        }
        return ShowBody(
                id: try f.requireID().uuidString, campaignName: campaign.name, indicatorName: ind.nameZh, leadUnit: lead.name,
                state: f.state, stateName: f.filingState.chineseName, version: f.version, lastReason: f.lastReason ?? "",
                returned: f.workStatus == .returned, canEdit: canEdit, actions: actions, groups: groups,
                general: dto.attachments.filter { $0.itemCode == nil }.map(view),
                guideHTML: SafeMarkdown.render(ind.guide.markdown), documents: ind.guide.requiredDocuments,
                events: dto.events.map {
                    EventView(actionName: $0.actionName, actor: $0.actor, reason: $0.reason, atText: DisplayTime.format($0.at))
                },
                errors: errors.filter { !itemCodes.contains($0.field) }.map(\.message),
                conflict: conflict, limitMB: uploadLimitMB, versions: versions,
                cooperation: cooperation, myContribution: mine)
    }
}
