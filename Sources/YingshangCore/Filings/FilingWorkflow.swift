import Foundation

/// Where a filing stands: draft → submitted (filer) → unit approved (unit head) → accepted (bureau).
/// A return at any review step sends it back to draft with a reason; the bureau can reopen an accepted filing.
public enum FilingState: String, Codable, CaseIterable, Sendable {
    case draft
    case submitted
    case unitApproved = "unit_approved"
    case accepted

    public var chineseName: String {
        switch self {
        case .draft: return "草稿"
        case .submitted: return "已提交"
        case .unitApproved: return "单位已审核"
        case .accepted: return "审批局已通过"
        }
    }

    /// Only drafts can be edited; an accepted filing is locked until the bureau reopens it.
    public var isEditable: Bool { self == .draft }
}

public enum FilingAction: String, Codable, CaseIterable, Sendable {
    case submit
    case approve
    case `return`
    case accept
    case reopen

    public var chineseName: String {
        switch self {
        case .submit: return "提交"
        case .approve: return "单位审核通过"
        case .return: return "退回"
        case .accept: return "审批局通过"
        case .reopen: return "重新打开"
        }
    }
}

/// Who is acting, as the workflow needs to know it.
public struct FilingActor: Sendable, Equatable {
    public let role: Role
    /// Whether the actor belongs to the filing's lead unit.
    public let isLeadUnit: Bool

    public init(role: Role, isLeadUnit: Bool) {
        self.role = role
        self.isLeadUnit = isLeadUnit
    }

    var isBureau: Bool { role == .coordinator || role == .admin }
}

public enum FilingWorkflow {
    public enum Problem: Error, Equatable, Sendable {
        case forbidden(String)
        case invalidState(String)
        case reasonRequired

        public var message: String {
            switch self {
            case .forbidden(let m), .invalidState(let m): return m
            case .reasonRequired: return "退回或重新打开必须填写原因"
            }
        }
    }

    /// The next state, or why the action is not allowed. Forbidden means the role may never do it here (403);
    /// invalid state means the action does not fit the filing's current state (409).
    public static func next(
        from state: FilingState, action: FilingAction, actor: FilingActor, reason: String?
    ) -> Result<FilingState, Problem> {
        let hasReason = !(reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        switch action {
        case .submit:
            guard actor.isLeadUnit, actor.role == .filer || actor.role == .unitHead else {
                return .failure(.forbidden("只有牵头单位的填报人或负责人可以提交"))
            }
            guard state == .draft else { return .failure(.invalidState("只有草稿可以提交，当前状态：\(state.chineseName)")) }
            return .success(.submitted)
        case .approve:
            guard actor.isLeadUnit, actor.role == .unitHead else {
                return .failure(.forbidden("只有牵头单位负责人可以审核本单位的填报"))
            }
            guard state == .submitted else { return .failure(.invalidState("只有已提交的填报可以审核，当前状态：\(state.chineseName)")) }
            return .success(.unitApproved)
        case .return:
            let allowed =
                (state == .submitted && actor.isLeadUnit && actor.role == .unitHead)
                || ((state == .submitted || state == .unitApproved) && actor.isBureau)
            guard actor.isBureau || (actor.isLeadUnit && actor.role == .unitHead) else {
                return .failure(.forbidden("只有本单位负责人或审批局可以退回"))
            }
            guard allowed else { return .failure(.invalidState("当前状态（\(state.chineseName)）不能退回")) }
            guard hasReason else { return .failure(.reasonRequired) }
            return .success(.draft)
        case .accept:
            guard actor.isBureau else { return .failure(.forbidden("只有审批局可以审核通过")) }
            guard state == .unitApproved else {
                return .failure(.invalidState("须经单位负责人审核后才能通过，当前状态：\(state.chineseName)"))
            }
            return .success(.accepted)
        case .reopen:
            guard actor.isBureau else { return .failure(.forbidden("只有审批局可以重新打开已通过的填报")) }
            guard state == .accepted else { return .failure(.invalidState("只有已通过的填报可以重新打开")) }
            guard hasReason else { return .failure(.reasonRequired) }
            return .success(.draft)
        }
    }

    /// The actions this actor may take on a filing in `state` (the buttons a page offers). A reason is not part of
    /// the question: actions that need one are offered, and the form asks for it.
    public static func availableActions(from state: FilingState, actor: FilingActor) -> [FilingAction] {
        FilingAction.allCases.filter {
            switch next(from: state, action: $0, actor: actor, reason: nil) {
            case .success, .failure(.reasonRequired): return true
            case .failure: return false
            }
        }
    }

    /// The dispatch status of a filing.
    public static func workStatus(state: FilingState, lastAction: FilingAction?, hasAnswers: Bool) -> WorkStatus {
        switch state {
        case .accepted: return .accepted
        case .submitted, .unitApproved: return .submitted
        case .draft:
            if lastAction == .return || lastAction == .reopen { return .returned }
            return hasAnswers ? .drafting : .notStarted
        }
    }
}
