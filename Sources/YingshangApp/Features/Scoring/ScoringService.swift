import Fluent
import Foundation
import Vapor
import YingshangCore

/// Gathers the values a scoring run needs, runs `Scoring` (pure) and stores the run with its inputs.
enum ScoringService {
    /// Value precedence per sub-indicator: the assessor's verified value, else the accepted filing's answer.
    /// The survey satisfaction index becomes a 0–100 sub-indicator of each region with answers: all answers when the
    /// campaign assesses one region, else each enterprise counts for the region whose division code starts its
    /// township code (a city-wide draw is split by county).
    static func collectInputs(_ campaign: Campaign, on db: any Database) async throws -> ScoringInputs {
        let cid = try campaign.requireID()
        guard let version = try await CatalogVersion.find(campaign.$catalogVersion.id, on: db) else { throw AppError.notFound("指标体系版本") }
        let catalog = try version.catalog()  // the version's number is recorded with the run
        let indicators = try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == cid).sort(\.$position).all()
        let regionIDs = try await CampaignRegion.query(on: db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
        let regions = try await Region.query(on: db).filter(\.$id ~~ regionIDs).sort(\.$code).all()
        var answers: [String: [String: String]] = [:]
        for f in try await Filing.query(on: db).filter(\.$campaign.$id == cid).filter(\.$state == FilingState.accepted.rawValue).all() {
            answers["\(f.$region.id)|\(f.indicatorCode)"] = f.answers
        }
        var verified: [String: VerifiedValue] = [:]
        for v in try await VerifiedValue.query(on: db).filter(\.$campaign.$id == cid).all() {
            verified["\(v.$region.id)|\(v.indicatorCode)|\(v.subCode)"] = v
        }
        let survey = try await SurveyService.answersByRegion(cid, regions: regions, on: db)
        let satisfaction = survey.map { template, answers in satisfactionIndex(template, answers) } ?? [:]

        func indicatorInputs(value: (IndicatorSpec, SubIndicatorSpec) -> (String?, ValueSource?, String?)) -> [IndicatorInput] {
            indicators.compactMap { ci in
                guard let spec = catalog.indicator(ci.code) else { return nil }
                let subs = spec.subIndicators.map { sub -> SubIndicatorInput in
                    let (v, source, note) = value(spec, sub)
                    return SubIndicatorInput(sub, value: v, source: v == nil ? nil : source, note: note)
                }
                return IndicatorInput(code: ci.code, nameZh: ci.name, weight: spec.weight, subIndicators: subs)
            }
        }
        var out: [RegionScoringInput] = []
        for r in regions {
            let rid = try r.requireID()
            var inds = indicatorInputs { spec, sub in
                if let v = verified["\(rid)|\(spec.code)|\(sub.code)"] {
                    return (v.value, ValueSource(rawValue: v.source) ?? .verified, v.reason.isEmpty ? nil : v.reason)
                }
                let filed = answers["\(rid)|\(spec.code)"]
                let item = spec.questionnaire.first { $0.subIndicatorCode == sub.code }
                let v = item.flatMap { filed?[$0.code] }?.trimmingCharacters(in: .whitespacesAndNewlines)
                return (v?.isEmpty == false ? v : nil, .filing, nil)
            }
            // Survey-derived sub-indicators (B-READY-style catalogs): the share or median of this region's answers,
            // unless the assessor set a verified value.
            for i in inds.indices {
                guard let spec = catalog.indicator(inds[i].code) else { continue }
                for (j, sub) in spec.subIndicators.enumerated() where sub.survey != nil && j < inds[i].subIndicators.count {
                    guard let m = sub.survey, verified["\(rid)|\(spec.code)|\(sub.code)"] == nil else { continue }
                    let responses = (survey?.1[rid] ?? []).map { survey?.0.applicable($0) ?? $0 }
                    let e = SurveyMeasures.estimate(m, indicator: spec.code, responses: responses)
                    inds[i].subIndicators[j] = SubIndicatorInput(
                        sub, value: e.map { String($0.value) }, source: e == nil ? nil : .survey, note: e?.note, respondents: e?.n)
                }
            }
            for i in inds.indices {
                guard let s = satisfaction[rid]?[inds[i].code] else { continue }
                inds[i].subIndicators.append(
                    SubIndicatorInput(
                        code: "satisfaction", nameZh: "企业满意度", kind: .number, unit: "分", best: 100, worst: 0, weight: 1,
                        value: String(s.mean), source: .survey,
                        note: "问卷 n = \(s.n)" + (s.halfWidth95.map { String(format: "，95%% 置信区间 ±%.2f", $0) } ?? ""),
                        respondents: s.n))
            }
            out.append(RegionScoringInput(id: rid.uuidString, name: r.name, indicators: inds))
        }
        let benchmarks = try await BenchmarkValue.query(on: db).filter(\.$campaign.$id == cid).sort(\.$benchmark).all()
        var names: [String] = []
        for b in benchmarks where !names.contains(b.benchmark) { names.append(b.benchmark) }
        for name in names {
            let values = Dictionary(
                benchmarks.filter { $0.benchmark == name }.map { ("\($0.indicatorCode)|\($0.subCode)", $0.value) }, uniquingKeysWith: { a, _ in a })
            out.append(
                RegionScoringInput(
                    id: "benchmark:\(name)", name: name, isBenchmark: true,
                    indicators: indicatorInputs { spec, sub in (values["\(spec.code)|\(sub.code)"], .benchmark, nil) }))
        }
        return ScoringInputs(
            catalogVersion: "\(version.number)", regions: out, minimumRespondents: try await ruleSet(campaign, on: db).surveyMinimum)
    }

    private static func satisfactionIndex(_ template: SurveyTemplate, _ answers: [UUID: [[String: String]]]) -> [UUID: [String: SatisfactionIndex.Summary]] {
        answers.mapValues { list in
            var out: [String: SatisfactionIndex.Summary] = [:]
            for r in SurveyResults.summarize(template, responses: list) {
                if let s = r.satisfaction, s.n > 0 { out[r.indicatorCode] = s }
            }
            return out
        }
    }

    /// Scores the campaign now and stores the run (audited). Refuses with a Chinese message on bad weights.
    @discardableResult
    static func run(_ campaign: Campaign, by caller: Caller?, clock: AppClock, on db: any Database) async throws -> ScoringRun {
        let cid = try campaign.requireID()
        let inputs = try await collectInputs(campaign, on: db)
        guard inputs.regions.contains(where: { !$0.isBenchmark }) else {
            throw AppError.invalid(["campaign": "本次评价没有被评价地区，无法评分"])
        }
        let result: ScoringResult
        do { result = try Scoring.run(inputs) } catch let e as ScoringError { throw AppError.invalid(["weights": e.message]) }
        let by = caller?.user.username ?? "system"
        // Two runs started at once may pick the same number; the unique index refuses one, which then takes the next.
        for attempt in 1...3 {
            do {
                let run = try await db.writeTransaction { db in
                    let last = try await ScoringRun.query(on: db).filter(\.$campaign.$id == cid).sort(\.$number, .descending).first()
                    let run = try ScoringRun(campaignID: cid, number: (last?.number ?? 0) + 1, inputs: inputs, result: result, by: by)
                    try await run.create(on: db)
                    try await AuditLog.record(
                        on: db, by: caller, clock: clock, action: "score", entityType: "scoring_run", entityID: run.id, before: noSnapshot,
                        after: RunAudit(
                            number: run.number, warnings: result.warnings.count,
                            overall: Dictionary(result.assessed.map { ($0.name, $0.overall.map(Scoring.fmt2) ?? "未评分") }, uniquingKeysWith: { a, _ in a })))
                    return run
                }
                // 预警值/先进值: each new finding is told once (outside the run's transaction: the run stands either way).
                do {
                    try await ThresholdService.announce(campaign, result: result, now: clock.now(), on: db)
                } catch let error as any DatabaseError where error.isConstraintFailure {
                    // A run finishing at the same moment told it already (the unique index keeps it once).
                }
                return run
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 3 {
                continue
            }
        }
        throw AppError(status: .conflict, code: "busy", message: "评分正在进行，请稍后重试")
    }

    struct RunAudit: Encodable {
        let number: Int
        let warnings: Int
        let overall: [String: String]
    }

    static func latest(_ campaign: Campaign, on db: any Database) async throws -> ScoringRun? {
        try await ScoringRun.query(on: db).filter(\.$campaign.$id == (try campaign.requireID())).sort(\.$number, .descending).first()
    }

    static func requireLatest(_ campaign: Campaign, on db: any Database) async throws -> ScoringRun {
        guard let run = try await latest(campaign, on: db) else {
            throw AppError(status: .conflict, code: "no_scores", message: "本次评价尚未评分：请先在“评分与排名”页面运行评分")
        }
        return run
    }


    // MARK: Unit assessment

    static func ruleSet(_ campaign: Campaign, on db: any Database) async throws -> RuleSet {
        let cid = try campaign.requireID()
        return try await ScoreRuleSet.query(on: db).filter(\.$campaign.$id == cid).first()?.rules() ?? RuleSet()
    }

    static func saveRules(_ campaign: Campaign, _ rules: RuleSet, by caller: Caller) async throws {
        let cid = try campaign.requireID()
        let regions = try await CampaignRegion.query(on: caller.db).filter(\.$campaign.$id == cid).count()
        let codes = Set(try await CampaignIndicator.query(on: caller.db).filter(\.$campaign.$id == cid).all().map(\.code))
        let problems = rules.problems(assessedCount: regions, indicatorCodes: codes)
        if !problems.isEmpty { throw AppError.invalid(Dictionary(problems.map { ($0.field, $0.message) }, uniquingKeysWith: { a, b in a + "；" + b })) }
        let user = caller.user
        try await caller.db.writeTransaction { db in
            let existing = try await ScoreRuleSet.query(on: db).filter(\.$campaign.$id == cid).first()
            let before = try existing?.rules()
            if let existing {
                existing.rulesJSON = try JSONCoding.encode(rules)
                existing.updatedBy = user.username
                try await existing.update(on: db)
            } else {
                try await ScoreRuleSet(campaignID: cid, rules: rules, by: user.username).create(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "score_rules", entityID: cid, before: before, after: rules)
        }
    }

    static func addManual(_ campaign: Campaign, unitID: UUID, indicatorCode: String?, points: Double, reason: String, by caller: Caller) async throws {
        let m = ManualAdjustment(unitID: unitID.uuidString, indicatorCode: indicatorCode, points: points, reason: reason)
        let problems = m.problems()
        if !problems.isEmpty { throw AppError.invalid(Dictionary(problems.map { ($0.field, $0.message) }, uniquingKeysWith: { a, _ in a })) }
        guard try await Unit.find(unitID, on: caller.db) != nil else { throw AppError.invalid(["unitID": "请选择单位"]) }
        let user = caller.user
        let row = ManualScoreAdjustment(
            campaignID: try campaign.requireID(), unitID: unitID, indicatorCode: indicatorCode, points: points,
            reason: String(reason.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500)), by: user.username)
        try await caller.db.writeTransaction { db in
            try await row.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "score_adjustment", entityID: row.id, before: noSnapshot,
                after: ["unit": unitID.uuidString, "points": Scoring.fmt2(points), "reason": row.reason])
        }
    }

    static func deleteManual(_ row: ManualScoreAdjustment, by caller: Caller) async throws {
        try await caller.db.writeTransaction { db in
            try await row.delete(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "delete", entityType: "score_adjustment", entityID: row.id,
                before: ["points": Scoring.fmt2(row.points), "reason": row.reason], after: noSnapshot)
        }
    }

    /// The assignments with late filing days: the scheduled day vs the first submission (or today, capped at the campaign end).
    static func assignments(_ campaign: Campaign, today now: Day, on db: any Database) async throws -> [UnitAssignment] {
        let cid = try campaign.requireID()
        let calendar = try await CalendarDay.workCalendar(on: db)
        var schedule: [String: Day] = [:]
        for e in try await ScheduleEntry.query(on: db).filter(\.$campaign.$id == cid).all() {
            if let d = Day(e.day) { schedule["\(e.$region.id)|\(e.indicatorCode)"] = d }
        }
        var filings: [String: UUID] = [:]
        for f in try await Filing.query(on: db).filter(\.$campaign.$id == cid).all() {
            if let id = f.id { filings["\(f.$region.id)|\(f.indicatorCode)"] = id }
        }
        var firstSubmit: [UUID: Date] = [:]
        let ids = Array(filings.values)
        if !ids.isEmpty {
            for e in try await FilingEvent.query(on: db).filter(\.$filing.$id ~~ ids).filter(\.$action == "submit").sort(\.$at).all()
            where firstSubmit[e.$filing.id] == nil {
                firstSubmit[e.$filing.id] = e.at
            }
        }
        let flags = try await VerificationService.confirmedCounts(cid, on: db)
        let all = try await Assignment.query(on: db).filter(\.$campaign.$id == cid).all()
        let aids = all.compactMap(\.id)
        var coops: [UUID: [String]] = [:]
        if !aids.isEmpty {
            for c in try await AssignmentCooperator.query(on: db).filter(\.$assignment.$id ~~ aids).all() {
                coops[c.$assignment.id, default: []].append(c.$unit.id.uuidString)
            }
        }
        return try all.map { a in
            let key = "\(a.$region.id)|\(a.indicatorCode)"
            var late = 0
            if let due = schedule[key] {
                late = try FilingSchedule.lateWorkdays(
                    due: due, firstHandedIn: filings[key].flatMap { firstSubmit[$0] }.map { AppClock.chinaDay(of: $0) }, today: now,
                    campaignEnd: campaign.end, calendar: calendar)
            }
            return UnitAssignment(
                regionID: a.$region.id.uuidString, indicatorCode: a.indicatorCode, leadUnitID: a.$leadUnit.id?.uuidString,
                cooperatingUnitIDs: a.id.flatMap { coops[$0] } ?? [], lateWorkdays: late, confirmedFlags: flags[key] ?? 0)
        }
    }


    static func unitTable(_ campaign: Campaign, run: ScoringRun, today: Day, on db: any Database) async throws -> [UnitResult] {
        let cid = try campaign.requireID()
        let manual = try await ManualScoreAdjustment.query(on: db).filter(\.$campaign.$id == cid).sort(\.$createdAt).all().map {
            ManualAdjustment(unitID: $0.$unit.id.uuidString, indicatorCode: $0.indicatorCode, points: $0.points, reason: $0.reason)
        }
        return UnitAssessment.compute(
            result: try run.result(), assignments: try await assignments(campaign, today: today, on: db), rules: try await ruleSet(campaign, on: db),
            manual: manual)
    }

    /// Stores the unit table as applied, audited with every item.
    static func applyUnitTable(_ campaign: Campaign, by caller: Caller) async throws -> UnitAssessmentRecord {
        let run = try await requireLatest(campaign, on: caller.db)
        let table = try await unitTable(campaign, run: run, today: caller.clock.today, on: caller.db)
        let user = caller.user
        let record = try UnitAssessmentRecord(campaignID: try campaign.requireID(), runID: try run.requireID(), table: table, by: user.username)
        try await caller.db.writeTransaction { db in
            try await record.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "apply", entityType: "unit_assessment", entityID: record.id, before: noSnapshot,
                after: table)
        }
        return record
    }
}
