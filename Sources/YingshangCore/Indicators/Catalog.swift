import Foundation

/// The county's indicator system: indicators with sub-indicators, a questionnaire and a filing guide each.
/// A catalog version is one immutable document once a campaign uses it.
public struct Catalog: Codable, Equatable, Sendable {
    public var indicators: [IndicatorSpec]

    public init(indicators: [IndicatorSpec]) { self.indicators = indicators }

    public func indicator(_ code: String) -> IndicatorSpec? { indicators.first { $0.code == code } }
}

public struct IndicatorSpec: Codable, Equatable, Sendable {
    public var code: String
    public var nameZh: String
    public var nameEn: String
    public var description: String
    public var weight: Double
    public var subIndicators: [SubIndicatorSpec]
    public var questionnaire: [QuestionnaireItem]
    public var guide: FilingGuide

    public init(
        code: String, nameZh: String, nameEn: String, description: String, weight: Double = 1,
        subIndicators: [SubIndicatorSpec], questionnaire: [QuestionnaireItem], guide: FilingGuide
    ) {
        self.code = code
        self.nameZh = nameZh
        self.nameEn = nameEn
        self.description = description
        self.weight = weight
        self.subIndicators = subIndicators
        self.questionnaire = questionnaire
        self.guide = guide
    }
}

public enum SubIndicatorKind: String, Codable, CaseIterable, Sendable {
    case number
    case yesNo = "yes_no"
    case choice
    case text

    public var chineseName: String {
        switch self {
        case .number: return "数值"
        case .yesNo: return "是/否"
        case .choice: return "选项"
        case .text: return "文字"
        }
    }
}

public enum Direction: String, Codable, CaseIterable, Sendable {
    case lowerIsBetter = "lower"
    case higherIsBetter = "higher"

    public var chineseName: String { self == .lowerIsBetter ? "越低越好" : "越高越好" }
}

public struct ChoiceOption: Codable, Equatable, Sendable {
    public var label: String
    public var points: Double

    public init(label: String, points: Double) {
        self.label = label
        self.points = points
    }
}

public struct SubIndicatorSpec: Codable, Equatable, Sendable {
    public var code: String
    public var nameZh: String
    public var nameEn: String
    public var kind: SubIndicatorKind
    /// Unit of a number, e.g. 个, 工作日, 元, %.
    public var unit: String?
    public var direction: Direction?
    /// Frontier (best) and worst values for distance-to-frontier scoring; numbers only.
    public var best: Double?
    public var worst: Double?
    public var weight: Double
    public var evidenceRequired: Bool
    public var options: [ChoiceOption]
    /// B-READY-style catalogs: the pillar this sub-indicator belongs to. When an indicator's sub-indicators have
    /// pillars, its score is the mean of its pillars' scores (`Scoring.scoreIndicator`). Nil in the national catalog.
    public var pillar: Pillar?
    /// A sub-indicator computed from the enterprise survey rather than filed (e.g. the share of firms reporting an
    /// informal payment); nil for a filed one.
    public var survey: SurveyMeasure?

    public init(
        code: String, nameZh: String, nameEn: String, kind: SubIndicatorKind, unit: String? = nil,
        direction: Direction? = nil, best: Double? = nil, worst: Double? = nil, weight: Double = 1,
        evidenceRequired: Bool = true, options: [ChoiceOption] = [], pillar: Pillar? = nil, survey: SurveyMeasure? = nil
    ) {
        self.code = code
        self.nameZh = nameZh
        self.nameEn = nameEn
        self.kind = kind
        self.unit = unit
        self.direction = direction
        self.best = best
        self.worst = worst
        self.weight = weight
        self.evidenceRequired = evidenceRequired
        self.options = options
        self.pillar = pillar
        self.survey = survey
    }
}

/// The World Bank's Business Ready (B-READY, 2024–) scores each topic on three pillars; the topic is their mean.
public enum Pillar: String, Codable, CaseIterable, Sendable {
    case regulatoryFramework = "regulatory_framework"
    case publicServices = "public_services"
    case operationalEfficiency = "operational_efficiency"

    public var chineseName: String {
        switch self {
        case .regulatoryFramework: return "监管框架"
        case .publicServices: return "公共服务"
        case .operationalEfficiency: return "运行效率"
        }
    }

    public var roman: String {
        switch self {
        case .regulatoryFramework: return "I"
        case .publicServices: return "II"
        case .operationalEfficiency: return "III"
        }
    }
}

/// How a survey-derived sub-indicator is computed from the enterprises' answers to one survey item
/// (`<indicator code>.<item>`): the share answering 是 (in %), or the median of a number.
public struct SurveyMeasure: Codable, Equatable, Sendable {
    public enum Statistic: String, Codable, CaseIterable, Sendable {
        case shareYes = "share_yes"
        case median
    }

    /// The survey item's suffix, e.g. "informal_payment".
    public var item: String
    public var statistic: Statistic
    /// The question put to the enterprise.
    public var question: String

    public init(item: String, statistic: Statistic, question: String) {
        self.item = item
        self.statistic = statistic
        self.question = question
    }
}

/// The five dimensions of the questionnaire named in the speech.
public enum Dimension: String, Codable, CaseIterable, Sendable {
    case steps, documents, time, cost, safeguards

    public var chineseName: String {
        switch self {
        case .steps: return "环节"
        case .documents: return "材料"
        case .time: return "时限"
        case .cost: return "成本"
        case .safeguards: return "制度保障"
        }
    }

    public var englishName: String {
        switch self {
        case .steps: return "Steps"
        case .documents: return "Documents"
        case .time: return "Time limits"
        case .cost: return "Cost"
        case .safeguards: return "Institutional safeguards"
        }
    }
}

public struct QuestionnaireItem: Codable, Equatable, Sendable {
    public var code: String
    public var dimension: Dimension
    public var text: String
    public var help: String
    /// The sub-indicator this answer feeds, or nil for a free-standing item.
    public var subIndicatorCode: String?
    /// How a free-standing item is answered (an item feeding a sub-indicator takes the sub-indicator's kind);
    /// nil is free text. Optional so that catalogs saved before it decode unchanged.
    public var shape: AnswerShape?
    /// The unit of a free-standing number.
    public var unit: String?

    public init(
        code: String, dimension: Dimension, text: String, help: String = "", subIndicatorCode: String? = nil,
        shape: AnswerShape? = nil, unit: String? = nil
    ) {
        self.code = code
        self.dimension = dimension
        self.text = text
        self.help = help
        self.subIndicatorCode = subIndicatorCode
        self.shape = shape
        self.unit = unit
    }
}

/// What a questionnaire item's answer looks like, so that a question asking for a list gets a list, one asking for
/// the 文号 of policy documents gets one line per document, and a number gets a number.
public enum AnswerShape: String, Codable, Sendable, CaseIterable {
    case text
    case number
    /// One entry per line (e.g. the steps of a procedure, in order).
    case list
    /// One policy document per line, each with its 文号 (e.g. 县政发〔2022〕12号).
    case documents
}

public struct FilingGuide: Codable, Equatable, Sendable {
    /// Markdown; rendered with `SafeMarkdown` (HTML in the source is shown as text).
    public var markdown: String
    public var requiredDocuments: [String]

    public init(markdown: String, requiredDocuments: [String]) {
        self.markdown = markdown
        self.requiredDocuments = requiredDocuments
    }
}
