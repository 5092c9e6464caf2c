import Fluent
import Vapor
import YingshangCore

/// The campaign pages' models: the list, the form (typed values kept), one campaign.
extension CampaignsWebController {
    struct Row: Encodable {
        let id: String
        let name: String
        let year: Int
        let statusName: String
        let period: String
        let indicatorCount: Int
        let catalogVersion: Int
    }

    struct IndexBody: Encodable {
        let rows: [Row]
        let canManage: Bool
        let hasCatalog: Bool
    }

    struct Check: Encodable {
        let value: String
        let label: String
        let checked: Bool
    }

    struct PhaseField: Encodable {
        let kind: String
        let name: String
        let start: String
        let end: String
    }

    struct FormBody: Encodable {
        let heading: String
        let action: String
        let isEdit: Bool
        let isDraft: Bool
        let name: String
        let year: String
        let startDate: String
        let endDate: String
        let perDay: String
        let regions: [Check]
        let indicators: [Check]
        let phases: [PhaseField]
        let errors: [String: String]
        let catalogVersion: Int
    }

    struct ShowBody: Encodable {
        struct PhaseLine: Encodable {
            let name: String
            let start: String
            let end: String
            let current: Bool
        }

        let id: String
        let name: String
        let year: Int
        let status: String
        let isDraft: Bool
        let period: String
        let catalogVersion: Int
        let perDay: Int
        let phases: [PhaseLine]
        let indicators: [String]
        let regions: [String]
        let assigned: Int
        let totalAssignments: Int
        let scheduled: Int
        let tasks: Int
        let canManage: Bool
        let canDispatch: Bool
        let canCockpit: Bool
        let canFeeds: Bool
        let previous: Link?
        let next: [Link]
        /// A round: the annual campaign it monitors. An annual campaign: its rounds.
        let roundOf: Link?
        let rounds: [RoundDTO]
        let canRounds: Bool
        let canScores: Bool
    }

    struct Link: Encodable {
        let href: String
        let label: String
    }
}
