import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// The catalog pages' models: versions and indicators, one indicator's sub-indicators and questionnaire, the editor.
extension CatalogWebController {
    struct VersionRow: Encodable {
        let number: Int
        let note: String
        let createdBy: String
        let updatedAt: String
        let isUsed: Bool
        let isViewed: Bool
    }

    struct IndicatorRow: Encodable {
        let code: String
        let nameZh: String
        let nameEn: String
        let weight: String
        let subCount: Int
        let itemCount: Int
    }

    struct IndexBody: Encodable {
        let hasCatalog: Bool
        let version: VersionRow?
        let versions: [VersionRow]
        let rows: [IndicatorRow]
        let canManage: Bool
        let viewingOld: Bool
        let importErrors: [String]
    }

    struct SubDisplay: Encodable {
        let code: String
        let nameZh: String
        let nameEn: String
        let kind: String
        let unit: String
        let direction: String
        let best: String
        let worst: String
        let weight: String
        let evidence: Bool
        let options: String
    }

    struct ItemDisplay: Encodable {
        let code: String
        let text: String
        let help: String
        let sub: String
    }

    struct DimensionGroup: Encodable {
        let name: String
        let items: [ItemDisplay]
    }

    struct ShowBody: Encodable {
        let versionNumber: Int
        let code: String
        let nameZh: String
        let nameEn: String
        let description: String
        let weight: String
        let subs: [SubDisplay]
        let groups: [DimensionGroup]
        let guideHTML: String
        let documents: [String]
        let canManage: Bool
        let isCurrent: Bool
    }

    struct EditRow<T: Encodable>: Encodable {
        let index: Int
        let row: T
        let error: String
    }

    struct EditBody: Encodable {
        let code: String
        let form: IndicatorForm
        let subs: [EditRow<IndicatorForm.SubRow>]
        let items: [EditRow<IndicatorForm.ItemRow>]
        let errors: [String: String]
        let kinds: [SelectOption]
        let directions: [SelectOption]
        let dimensions: [SelectOption]
        let willCreateVersion: Bool
    }
}
