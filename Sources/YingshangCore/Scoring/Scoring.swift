import Foundation

/// Distance to frontier (World Bank Doing Business method, REFERENCE.md): 100 at the frontier, 0 at the worst value.
public enum DistanceToFrontier {
    /// nil when best equals worst (no scale to measure on). The formula is the same for both directions:
    /// (w − y) / (w − b) equals (y − w) / (b − w); the direction only decides which end is "best".
    public static func score(_ value: Double, best: Double, worst: Double) -> Double? {
        guard best != worst, value.isFinite else { return nil }
        let raw = (worst - value) / (worst - best) * 100
        return min(100, max(0, raw))
    }
}

/// Where a number used for scoring came from; shown beside every score.
public enum ValueSource: String, Codable, CaseIterable, Sendable {
    case filing
    case verified
    case records
    case survey
    case benchmark

    public var chineseName: String {
        switch self {
        case .filing: return "部门填报（已通过）"
        case .verified: return "第三方核验值"
        case .records: return "业务数据"
        case .survey: return "企业问卷"
        case .benchmark: return "对标数据"
        }
    }
}

/// One sub-indicator as scored: its definition from the catalog version and the value found for it.
public struct SubIndicatorInput: Codable, Equatable, Sendable {
    public var code: String
    public var nameZh: String
    public var kind: SubIndicatorKind
    public var unit: String?
    public var best: Double?
    public var worst: Double?
    public var weight: Double
    public var options: [ChoiceOption]
    /// The answer as text ("3", "是", an option label); nil or blank = no value.
    public var value: String?
    public var source: ValueSource?
    public var note: String?
    /// For survey-based values: how many enterprises answered (checked against the campaign's minimum).
    public var respondents: Int?
    /// The B-READY pillar it counts in (nil outside pillared catalogs).
    public var pillar: Pillar? = nil

    public init(
        code: String, nameZh: String, kind: SubIndicatorKind, unit: String? = nil, best: Double? = nil, worst: Double? = nil,
        weight: Double = 1, options: [ChoiceOption] = [], value: String?, source: ValueSource?, note: String? = nil,
        respondents: Int? = nil
    ) {
        self.code = code
        self.nameZh = nameZh
        self.kind = kind
        self.unit = unit
        self.best = best
        self.worst = worst
        self.weight = weight
        self.options = options
        self.value = value
        self.source = source
        self.note = note
        self.respondents = respondents
    }

    public init(_ spec: SubIndicatorSpec, value: String?, source: ValueSource?, note: String? = nil, respondents: Int? = nil) {
        self.init(
            code: spec.code, nameZh: spec.nameZh, kind: spec.kind, unit: spec.unit, best: spec.best, worst: spec.worst,
            weight: spec.weight, options: spec.options, value: value, source: source, note: note, respondents: respondents)
        self.pillar = spec.pillar
    }
}

public struct IndicatorInput: Codable, Equatable, Sendable {
    public var code: String
    public var nameZh: String
    public var weight: Double
    public var subIndicators: [SubIndicatorInput]

    public init(code: String, nameZh: String, weight: Double, subIndicators: [SubIndicatorInput]) {
        self.code = code
        self.nameZh = nameZh
        self.weight = weight
        self.subIndicators = subIndicators
    }
}

/// One scored region. Benchmark regions (imported values of the best county, the national best…) are scored the
/// same way for comparison but never ranked.
public struct RegionScoringInput: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var isBenchmark: Bool
    public var indicators: [IndicatorInput]

    public init(id: String, name: String, isBenchmark: Bool = false, indicators: [IndicatorInput]) {
        self.id = id
        self.name = name
        self.isBenchmark = isBenchmark
        self.indicators = indicators
    }
}

/// Everything a scoring run depends on, stored with the run so it can be re-run to the same numbers.
public struct ScoringInputs: Codable, Equatable, Sendable {
    public var catalogVersion: String
    public var regions: [RegionScoringInput]
    /// Fewest respondents a survey-based value needs to be scored (campaign setting). Nil in runs stored before
    /// the rule existed, which re-run as they were.
    public var minimumRespondents: Int?

    public init(catalogVersion: String, regions: [RegionScoringInput], minimumRespondents: Int? = nil) {
        self.catalogVersion = catalogVersion
        self.regions = regions
        self.minimumRespondents = minimumRespondents
    }
}

/// Survey-based values (docs/methods.md, "What an indicator is scored from").
public enum SurveyScoringRules {
    /// Default fewest respondents for a survey value: below it the estimate's interval is too wide to rank on.
    public static let defaultMinimumRespondents = 30
}

public enum SubScoreStatus: String, Codable, Sendable {
    case scored
    /// No value (未填报): excluded from the weighted mean and listed in the run's warnings.
    case missing
    /// A free-text item: shown, never scored.
    case notScored = "not_scored"
    /// A value that cannot be scored (unparsable, or the catalog lacks best/worst): excluded and listed.
    case invalid
    /// A survey value from fewer respondents than the campaign's minimum (样本不足): excluded and listed.
    case insufficientSample = "insufficient_sample"
}

public struct SubScore: Codable, Equatable, Sendable {
    public var code: String
    public var nameZh: String
    public var unit: String?
    public var value: String?
    public var numericValue: Double?
    public var best: Double?
    public var worst: Double?
    public var weight: Double
    public var score: Double?
    public var status: SubScoreStatus
    public var source: ValueSource?
    public var note: String?
    /// value → formula → score, in Chinese, for the explanation page.
    public var explanation: String
    public var pillar: Pillar? = nil

    /// Points short of the frontier (100 − score); nil when unscored.
    public var distanceToFrontier: Double? { score.map(Scoring.distanceToFrontier) }
}

extension Scoring {
    /// How far a 0–100 score is from the frontier (the best performance scores 100).
    public static func distanceToFrontier(_ score: Double) -> Double { 100 - score }
}

/// One B-READY pillar of an indicator: the weighted mean of its scored sub-indicators.
public struct PillarScore: Codable, Equatable, Sendable {
    public var pillar: Pillar
    public var score: Double
}

public struct IndicatorScore: Codable, Equatable, Sendable {
    public var code: String
    public var nameZh: String
    public var weight: Double
    /// nil when no sub-indicator has a value (未填报).
    public var score: Double?
    public var subScores: [SubScore]
    /// Rank among assessed regions (1 = best, ties share); nil for benchmarks and unscored indicators.
    public var rank: Int?
    /// Why an indicator with some value has no score: only survey values, no filed or verified one.
    public var unscoredReason: String?
    /// Pillared (B-READY-style) indicators: each pillar's score; the indicator's is their mean. Nil otherwise.
    public var pillars: [PillarScore]? = nil

    public var missingCodes: [String] {
        subScores.filter { $0.status == .missing || $0.status == .invalid || $0.status == .insufficientSample }.map(\.code)
    }

    /// Scored from filed or verified data (a survey value may be among its sub-indicators).
    public var isScored: Bool { score != nil }
}

/// How many indicators of a region were scored from what, for the overview and the report.
public struct ScoringCoverage: Equatable, Sendable {
    public var total = 0
    /// Scored from filed or verified values alone.
    public var scoredFromData = 0
    /// Scored from filed or verified values, with an enterprise-survey sub-indicator among them.
    public var scoredWithSurvey = 0
    /// Only survey values: never scored from that single source.
    public var surveyOnly = 0
    /// No value at all (未填报).
    public var unfiled = 0
    /// Survey values excluded for too few respondents.
    public var insufficientSamples = 0

    public init(_ region: RegionScore) {
        for ind in region.indicators {
            total += 1
            insufficientSamples += ind.subScores.filter { $0.status == .insufficientSample }.count
            if ind.score != nil {
                if ind.subScores.contains(where: { $0.status == .scored && $0.source == .survey }) { scoredWithSurvey += 1 } else { scoredFromData += 1 }
            } else if ind.unscoredReason != nil {
                surveyOnly += 1
            } else {
                unfiled += 1
            }
        }
    }

    public var scored: Int { scoredFromData + scoredWithSurvey }

    /// One sentence in Chinese.
    public var summary: String {
        var parts = ["参评指标 \(total) 项", "已评分 \(scored) 项（其中 \(scoredWithSurvey) 项含企业问卷满意度）"]
        if surveyOnly > 0 { parts.append("仅有问卷数据、无填报或核验值而不评分 \(surveyOnly) 项") }
        parts.append("未填报 \(unfiled) 项")
        if insufficientSamples > 0 { parts.append("问卷样本不足而未计分的二级指标 \(insufficientSamples) 个") }
        return parts.joined(separator: "，")
    }
}

public struct RegionScore: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var isBenchmark: Bool
    public var overall: Double?
    public var rank: Int?
    public var indicators: [IndicatorScore]

    public func indicator(_ code: String) -> IndicatorScore? { indicators.first { $0.code == code } }
}

public struct ScoringResult: Codable, Equatable, Sendable {
    public var regions: [RegionScore]
    /// Every value that was missing or unusable, by region and indicator, in Chinese.
    public var warnings: [String]
    public var assessedCount: Int

    public func region(_ id: String) -> RegionScore? { regions.first { $0.id == id } }
    public var assessed: [RegionScore] { regions.filter { !$0.isBenchmark } }
}

public struct ScoringError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Scores regions from their inputs: sub-indicators → indicators → overall, then ranks. Pure and deterministic.
public enum Scoring {
    public static func run(_ inputs: ScoringInputs) throws -> ScoringResult {
        if !inputs.regions.contains(where: { !$0.isBenchmark }) { throw ScoringError("没有被评价地区") }
        var warnings: [String] = []
        var regions: [RegionScore] = []
        for region in inputs.regions {
            var indicators: [IndicatorScore] = []
            for ind in region.indicators {
                let scored = try scoreIndicator(ind, minimumRespondents: inputs.minimumRespondents)
                indicators.append(scored)
                if !region.isBenchmark {
                    if let reason = scored.unscoredReason {
                        warnings.append("\(region.name)「\(ind.nameZh)」\(reason)，未计入总分")
                    } else if scored.score == nil {
                        warnings.append("\(region.name)「\(ind.nameZh)」未填报或无可评分数据，未计入总分")
                    }
                    for s in scored.subScores where s.status == .insufficientSample {
                        warnings.append("\(region.name)「\(ind.nameZh)—\(s.nameZh)」\(s.explanation)，未计分")
                    }
                    if scored.score != nil {
                        for s in scored.subScores where s.status == .missing || s.status == .invalid {
                            warnings.append("\(region.name)「\(ind.nameZh)—\(s.nameZh)」\(s.status == .missing ? "未填报" : s.explanation)，未计分")
                        }
                    }
                }
            }
            let present = indicators.filter { $0.score != nil }
            let totalWeight = present.reduce(0) { $0 + $1.weight }
            var overall: Double? = nil
            if !present.isEmpty {
                guard totalWeight > 0 else { throw ScoringError("\(region.name)：已评分指标的权重之和为 0，无法计算总分") }
                overall = present.reduce(0) { $0 + ($1.score ?? 0) * $1.weight } / totalWeight
            }
            regions.append(RegionScore(id: region.id, name: region.name, isBenchmark: region.isBenchmark, overall: overall, rank: nil, indicators: indicators))
        }
        // Ranks among assessed regions only.
        let assessedIdx = regions.indices.filter { !regions[$0].isBenchmark }
        let overallRanks = Ranking.competition(assessedIdx.map { regions[$0].overall })
        for (k, i) in assessedIdx.enumerated() { regions[i].rank = overallRanks[k] }
        let codes = regions.first(where: { !$0.isBenchmark })?.indicators.map(\.code) ?? []
        for code in codes {
            let ranks = Ranking.competition(assessedIdx.map { regions[$0].indicator(code)?.score })
            for (k, i) in assessedIdx.enumerated() {
                if let j = regions[i].indicators.firstIndex(where: { $0.code == code }) { regions[i].indicators[j].rank = ranks[k] }
            }
        }
        return ScoringResult(regions: regions, warnings: warnings, assessedCount: assessedIdx.count)
    }

    /// An indicator is scored from its filed or verified values; a survey value joins them as one more
    /// sub-indicator, but an indicator whose only values come from the survey is not scored (one source, often a
    /// handful of answers, must not out-rank indicators that filed). Survey values from fewer than
    /// `minimumRespondents` enterprises are excluded as 样本不足.
    static func scoreIndicator(_ ind: IndicatorInput, minimumRespondents: Int? = nil) throws -> IndicatorScore {
        let subs = ind.subIndicators.map { sub -> SubScore in
            var out = scoreSub(sub)
            out.pillar = sub.pillar
            if let minimum = minimumRespondents, sub.source == .survey, out.status == .scored, (sub.respondents ?? 0) < minimum {
                out.status = .insufficientSample
                out.score = nil
                out.explanation = "样本不足：问卷回答 \(sub.respondents ?? 0) 家，少于本次评价设定的 \(minimum) 家"
            }
            return out
        }
        let present = subs.filter { $0.status == .scored }
        var score: Double? = nil
        var reason: String? = nil
        if !present.isEmpty, minimumRespondents != nil, present.allSatisfy({ $0.source == .survey }) {
            reason = "仅有企业问卷数据，无已通过的填报或核验值，不单独计分"
        } else if !present.isEmpty {
            score = try weightedMean(present, ind)
        }
        // B-READY: each pillar is the weighted mean of its scored sub-indicators, the indicator the plain mean of the
        // pillars that have a score (a pillar with no value is left out, as a missing sub-indicator is).
        var pillars: [PillarScore]? = nil
        if reason == nil, subs.contains(where: { $0.pillar != nil }) {
            pillars = try Pillar.allCases.compactMap { p in
                let inPillar = present.filter { $0.pillar == p }
                return inPillar.isEmpty ? nil : PillarScore(pillar: p, score: try weightedMean(inPillar, ind))
            }
            score = pillars.flatMap { $0.isEmpty ? nil : $0.reduce(0) { $0 + $1.score } / Double($0.count) }
        }
        return IndicatorScore(
            code: ind.code, nameZh: ind.nameZh, weight: ind.weight, score: score, subScores: subs, rank: nil, unscoredReason: reason,
            pillars: pillars)
    }

    private static func weightedMean(_ subs: [SubScore], _ ind: IndicatorInput) throws -> Double {
        let w = subs.reduce(0) { $0 + $1.weight }
        guard w > 0 else { throw ScoringError("指标「\(ind.nameZh)」已评分二级指标的权重之和为 0") }
        return subs.reduce(0) { $0 + ($1.score ?? 0) * $1.weight } / w
    }

    public static func scoreSub(_ s: SubIndicatorInput) -> SubScore {
        var out = SubScore(
            code: s.code, nameZh: s.nameZh, unit: s.unit, value: s.value, numericValue: nil, best: s.best, worst: s.worst,
            weight: s.weight, score: nil, status: .missing, source: s.source, note: s.note, explanation: "未填报")
        let raw = (s.value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if s.kind == .text {
            out.status = .notScored
            out.explanation = "文字题，不计分"
            return out
        }
        guard !raw.isEmpty else { return out }
        switch s.kind {
        case .number:
            guard let y = FiledNumber.parse(raw) else {
                out.status = .invalid
                out.explanation = "“\(raw)”不是数字"
                return out
            }
            out.numericValue = y
            guard let b = s.best, let w = s.worst, let score = DistanceToFrontier.score(y, best: b, worst: w) else {
                out.status = .invalid
                out.explanation = "指标体系未设置有效的最优值/最差值"
                return out
            }
            out.score = score
            out.status = .scored
            let u = s.unit ?? ""
            out.explanation =
                "得分 = (最差值 − 实际值) ÷ (最差值 − 最优值) × 100 = (\(fmt(w)) − \(fmt(y))) ÷ (\(fmt(w)) − \(fmt(b))) × 100 = \(fmt2((w - y) / (w - b) * 100))"
                + (score != (w - y) / (w - b) * 100 ? "，截取到 [0, 100] 为 \(fmt2(score))" : "") + (u.isEmpty ? "" : "（单位：\(u)）")
        case .yesNo:
            let v = raw.lowercased()
            guard ["是", "否", "yes", "no"].contains(v) else {
                out.status = .invalid
                out.explanation = "“\(raw)”应为是或否"
                return out
            }
            let yes = v == "是" || v == "yes"
            out.numericValue = yes ? 1 : 0
            out.score = yes ? 100 : 0
            out.status = .scored
            out.explanation = "是/否题：“是”得 100 分，“否”得 0 分；本项为“\(yes ? "是" : "否")”，得 \(yes ? 100 : 0) 分"
        case .choice:
            let maxPoints = s.options.map(\.points).max() ?? 0
            guard let option = s.options.first(where: { $0.label == raw }), maxPoints > 0 else {
                out.status = .invalid
                out.explanation = "“\(raw)”不是本题的选项"
                return out
            }
            let score = min(100, max(0, option.points / maxPoints * 100))
            out.numericValue = option.points
            out.score = score
            out.status = .scored
            out.explanation = "选项题：“\(raw)”\(fmt(option.points)) 分 ÷ 满分 \(fmt(maxPoints)) × 100 = \(fmt2(score))"
        case .text:
            break
        }
        return out
    }

    /// A number as typed: integers without decimals.
    public static func fmt(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e12 ? String(Int64(d)) : String(format: "%g", d)
    }

    /// Display rounding: two decimals (storage keeps full precision).
    public static func fmt2(_ d: Double) -> String { Display.fixed(d) }

    /// A change in score as shown beside it: sign and two decimals ("+3.19", "-0.27"); a change that rounds to
    /// nothing is "0.00", never "-0.00".
    public static func fmtChange(_ d: Double) -> String {
        let r = (d * 100).rounded() / 100
        return r == 0 ? "0.00" : String(format: "%+.2f", r)
    }

    /// Up (1), down (-1) or unchanged (0) at display precision, so the colour agrees with the text.
    public static func changeDirection(_ d: Double) -> Int {
        let r = (d * 100).rounded() / 100
        return r > 0 ? 1 : r < 0 ? -1 : 0
    }
}

/// Competition ranking ("1224"): equal scores share a rank, the next rank skips. nil scores get no rank.
public enum Ranking {
    public static func competition(_ scores: [Double?]) -> [Int?] {
        scores.map { s in
            guard let s else { return nil }
            // A 1e-9 margin keeps floating-point noise from splitting a tie.
            return 1 + scores.filter { o in o.map { $0 - s > 1e-9 } ?? false }.count
        }
    }
}

extension IndicatorScore {
    /// The indicator's formula with its numbers, for the explanation page: the weighted mean of the scored
    /// sub-indicators (the rule `Scoring.scoreIndicator` applies), or why there is no score.
    public var formula: String {
        let scored = subScores.filter { $0.status == .scored }
        guard !scored.isEmpty, let score else {
            return unscoredReason ?? "没有可评分的二级指标，本指标未评分（不按 0 分计）"
        }
        if let pillars, !pillars.isEmpty {
            // B-READY: each pillar's weighted mean, then the plain mean of the pillars.
            let parts = pillars.map { p -> String in
                let inP = scored.filter { $0.pillar == p.pillar }
                let terms = inP.map { "\(Scoring.fmt2($0.score ?? 0)) × \(Scoring.fmt($0.weight))" }.joined(separator: " + ")
                return "支柱\(p.pillar.roman)\(p.pillar.chineseName) = (\(terms)) ÷ \(Scoring.fmt(inP.reduce(0) { $0 + $1.weight })) = \(Scoring.fmt2(p.score))"
            }
            return parts.joined(separator: "；") + "；指标得分 = 各支柱得分的平均 = ("
                + pillars.map { Scoring.fmt2($0.score) }.joined(separator: " + ") + ") ÷ \(pillars.count) = \(Scoring.fmt2(score))"
        }
        let sumW = scored.reduce(0) { $0 + $1.weight }
        return "指标得分 = Σ(二级指标得分 × 权重) ÷ Σ权重 = ("
            + scored.map { "\(Scoring.fmt2($0.score ?? 0)) × \(Scoring.fmt($0.weight))" }.joined(separator: " + ")
            + ") ÷ \(Scoring.fmt(sumW)) = \(Scoring.fmt2(score))"
    }
}

