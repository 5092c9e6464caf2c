import Fluent
import Vapor
import YingshangCore

/// Business records, cross-checks, flags, field work and the verified values chosen by the assessor.
enum VerificationService {

    static func schema(_ code: String) throws -> RecordSchema {
        guard let s = RecordSchema.schema(for: code) else {
            throw AppError.invalid(["indicator": "该指标暂无业务数据模板（支持：" + RecordSchema.all.map(\.nameZh).joined(separator: "、") + "）"])
        }
        return s
    }

    /// Replaces the indicator's records for the region with the file's rows; any bad row rejects the whole file.
    static func importRecords(
        _ campaign: Campaign, regionID: UUID, indicator: String, data: Data, filename: String, by caller: Caller
    ) async throws -> Int {
        let schema = try schema(indicator)
        let parsed = RecordParsing.parse(try RegisterImporter.rows(from: data, filename: filename), schema: schema)
        if !parsed.problems.isEmpty {
            throw AppError(
                status: .unprocessableEntity, code: "invalid_file", message: "文件有 \(parsed.problems.count) 处错误，未导入任何数据",
                fields: Dictionary(parsed.problems.prefix(50).enumerated().map { ("row\($0.offset)", $0.element.message) }, uniquingKeysWith: { a, _ in a }))
        }
        let cid = try campaign.requireID()
        let models = try parsed.records.map { try BusinessRecord(campaignID: cid, regionID: regionID, indicatorCode: indicator, record: $0) }
        try await caller.db.writeTransaction { db in
            let before = try await BusinessRecord.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
                .filter(\.$indicatorCode == indicator).count()
            try await BusinessRecord.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
                .filter(\.$indicatorCode == indicator).delete()
            for chunk in stride(from: 0, to: models.count, by: 500) {
                try await models[chunk..<min(models.count, chunk + 500)].create(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "import", entityType: "business_records", entityID: cid,
                before: ["indicator": indicator, "records": String(before)], after: ["indicator": indicator, "records": String(models.count)])
        }
        return models.count
    }

    static func records(_ cid: UUID, _ regionID: UUID, _ indicator: String, on db: any Database) async throws -> [BusinessRecord] {
        try await BusinessRecord.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
            .filter(\.$indicatorCode == indicator).sort(\.$caseID).all()
    }

    static func observed(_ records: [BusinessRecord], indicator: String, on db: any Database) async throws -> [ObservedValue] {
        guard let schema = RecordSchema.schema(for: indicator) else { return [] }
        let calendar = try await CalendarDay.workCalendar(on: db)
        return try RecordStats.observed(records.compactMap(\.caseRecord), schema: schema, calendar: calendar)
    }

    /// A reproducible random sample of cases for manual review: the same seed gives the same cases.
    static func sample(_ records: [BusinessRecord], size: Int, seed: UInt64) -> [BusinessRecord] {
        var rng = SeededGenerator(seed: seed)
        var pool = records.sorted { $0.caseID < $1.caseID }
        pool.shuffle(using: &rng)
        return Array(pool.prefix(max(0, size)))
    }

    static func review(_ record: BusinessRecord, ok: Bool, note: String, by caller: Caller) async throws {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        if !ok && note.isEmpty { throw AppError.invalid(["note": "发现问题时请写明核查情况"]) }
        if note.count > 1000 { throw AppError.invalid(["note": "核查说明不超过 1000 字"]) }
        let user = caller.user
        record.review = note
        record.reviewOK = ok
        record.reviewedBy = user.username
        try await caller.db.writeTransaction { db in
            try await record.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "review", entityType: "business_record", entityID: record.id, before: noSnapshot,
                after: ["case": record.caseID, "ok": ok ? "是" : "否", "note": note])
        }
    }

    static func filedNumber(_ answers: [String: String], spec: IndicatorSpec, sub: String) -> Double? {
        guard let item = spec.questionnaire.first(where: { $0.subIndicatorCode == sub }) else { return nil }
        return answers[item.code].flatMap(FiledNumber.parse)
    }

    /// Runs every check for the region and stores new flags (a flag already raised, by its key, is kept as it is).
    static func runChecks(_ campaign: Campaign, region: Region, by caller: Caller) async throws -> (new: Int, found: Int) {
        let cid = try campaign.requireID()
        let rid = try region.requireID()
        let catalog = try await campaign.catalog(on: caller.db)
        let names = Dictionary(catalog.indicators.map { ($0.code, $0.nameZh) }, uniquingKeysWith: { a, _ in a })
        let handedIn = [FilingState.submitted, .unitApproved, .accepted].map(\.rawValue)
        let filings = try await Filing.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid)
            .filter(\.$state ~~ handedIn).all()
        var found: [FlagCandidate] = []
        let survey = try await surveyMedians(cid, regionID: rid, on: caller.db)
        for f in filings {
            guard let spec = catalog.indicator(f.indicatorCode) else { continue }
            let answers = f.answers
            let unit = f.$leadUnit.id.uuidString
            if RecordSchema.schema(for: f.indicatorCode) != nil {
                let recs = try await records(cid, rid, f.indicatorCode, on: caller.db)
                for o in try await observed(recs, indicator: f.indicatorCode, on: caller.db) {
                    guard let sub = spec.subIndicators.first(where: { $0.code == o.subCode }), let filed = filedNumber(answers, spec: spec, sub: o.subCode)
                    else { continue }
                    if let c = CrossChecks.compare(
                        rule: .recordMismatch, indicatorCode: f.indicatorCode, subCode: o.subCode, subName: sub.nameZh, unitID: unit, filed: filed,
                        observed: o.value, cases: o.cases, basis: "业务数据\(o.aggregation.chineseName)", tolerance: .default(unit: sub.unit))
                    {
                        found.append(c)
                    }
                }
            }
            if let s = survey[f.indicatorCode], s.respondents >= 5 {
                for (subCode, median) in [("time", s.days), ("steps", s.steps)] {
                    guard let median, let sub = spec.subIndicators.first(where: { $0.code == subCode }),
                        let filed = filedNumber(answers, spec: spec, sub: subCode)
                    else { continue }
                    if let c = CrossChecks.compare(
                        rule: .surveyMismatch, indicatorCode: f.indicatorCode, subCode: subCode, subName: sub.nameZh, unitID: unit, filed: filed,
                        observed: median, cases: s.respondents, basis: "企业问卷中位数", tolerance: IntegrityBenchmark.surveyTolerance)
                    {
                        found.append(c)
                    }
                }
            }
        }
        // Evidence: reuse across units or indicators; required evidence missing on handed-in filings.
        let fids = filings.compactMap(\.id)
        let attachments = fids.isEmpty ? [] : try await FilingAttachment.query(on: caller.db).filter(\.$filing.$id ~~ fids).all()
        let byID = Dictionary(filings.compactMap { f in f.id.map { ($0, f) } }, uniquingKeysWith: { a, _ in a })
        let unitNames = Dictionary(try await Unit.query(on: caller.db).all().compactMap { u in u.id.map { ($0.uuidString, u.name) } }, uniquingKeysWith: { a, _ in a })
        let uses = attachments.compactMap { a -> CrossChecks.EvidenceUse? in
            guard let f = byID[a.$filing.id] else { return nil }
            let unit = f.$leadUnit.id.uuidString
            return .init(sha256: a.sha256, name: a.name, indicatorCode: f.indicatorCode, itemCode: a.itemCode, unitID: unit, unitName: unitNames[unit] ?? unit)
        }
        found += CrossChecks.evidenceReuse(uses, indicatorNames: names)
        let cutoff = try await evaluationCutoff(campaign, on: caller.db)
        let dated = attachments.compactMap { a -> CrossChecks.DatedDocument? in
            guard let f = byID[a.$filing.id], let d = a.issuedOn.flatMap(Day.init) else { return nil }
            return .init(sha256: a.sha256, name: a.name, issuedOn: d, indicatorCode: f.indicatorCode, unitID: f.$leadUnit.id.uuidString)
        }
        found += CrossChecks.policyDates(dated, cutoff: cutoff)
        for f in filings {
            guard let spec = catalog.indicator(f.indicatorCode), let fid = f.id else { continue }
            let mine = attachments.filter { $0.$filing.id == fid }
            if mine.contains(where: { $0.itemCode == nil }) { continue }
            let subs = Dictionary(spec.subIndicators.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            for item in spec.questionnaire {
                guard let sub = item.subIndicatorCode.flatMap({ subs[$0] }), sub.evidenceRequired, !mine.contains(where: { $0.itemCode == item.code })
                else { continue }
                found.append(
                    FlagCandidate(
                        rule: .evidenceMissing, key: "evidence_missing|\(f.indicatorCode)|\(item.code)", indicatorCode: f.indicatorCode,
                        subCode: sub.code, unitID: f.$leadUnit.id.uuidString, filedValue: f.answers[item.code], observedValue: nil,
                        evidence: "「\(spec.nameZh)」第 \(item.code) 题（\(sub.nameZh)）要求印证资料，但没有上传", severity: .medium))
            }
        }
        found += try await surveyFlags(cid, on: caller.db)
        return try await store(found, campaign: campaign, regionID: rid, by: caller)
    }

    /// The last day of the evaluation period: the day before the filing phase starts, else 30 September of the year.
    static func evaluationCutoff(_ campaign: Campaign, on db: any Database) async throws -> Day {
        let cid = try campaign.requireID()
        let filing = try await CampaignPhase.query(on: db).filter(\.$campaign.$id == cid).filter(\.$kind == PhaseKind.filing.rawValue).first()
        return FlagRules.evaluationCutoff(filingPhaseStart: filing.flatMap { Day($0.startDate) }, campaignYear: campaign.year) ?? campaign.start
    }

    struct SurveyMedians {
        let respondents: Int
        let days: Double?
        let steps: Double?
    }

    /// The campaign's current template and its submitted responses with their enterprises (one joined read).
    static func submittedResponses(_ cid: UUID, on db: any Database) async throws -> (SurveyTemplate, [SurveyLinkList.Entry])? {
        guard let t = try await SurveyTemplateRecord.query(on: db).filter(\.$campaign.$id == cid).sort(\.$version, .descending).first(),
            let template = t.template
        else { return nil }
        let draws = try await SampleDraw.query(on: db).filter(\.$campaign.$id == cid).all().compactMap(\.id)
        guard !draws.isEmpty else { return nil }
        return (template, try await SurveyLinkList.entries(draws: draws, which: .submitted, answers: true, on: db))
    }

    /// Survey medians of the enterprises that count for this region, by the same rule scoring uses.
    static func surveyMedians(_ cid: UUID, regionID: UUID, on db: any Database) async throws -> [String: SurveyMedians] {
        let regionIDs = try await CampaignRegion.query(on: db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
        let regions = try await Region.query(on: db).filter(\.$id ~~ regionIDs).all()
        guard let (template, byRegion) = try await SurveyService.answersByRegion(cid, regions: regions, on: db) else { return [:] }
        var out: [String: SurveyMedians] = [:]
        for r in SurveyResults.summarize(template, responses: byRegion[regionID] ?? []) {
            out[r.indicatorCode] = SurveyMedians(respondents: r.respondents, days: r.medianDays, steps: r.medianSteps)
        }
        return out
    }

    static func surveyFlags(_ cid: UUID, on db: any Database) async throws -> [FlagCandidate] {
        guard let (template, responses) = try await submittedResponses(cid, on: db), !responses.isEmpty else { return [] }
        let sets = responses.map { r in
            CrossChecks.SurveyAnswerSet(responseID: r.id.uuidString, enterpriseName: r.name, phone: r.phone, answers: r.answers)
        }
        return CrossChecks.surveyChecks(template, responses: sets)
    }

    static func store(_ found: [FlagCandidate], campaign: Campaign, regionID: UUID, by caller: Caller) async throws -> (new: Int, found: Int) {
        let cid = try campaign.requireID()
        let existing = Set(try await VerificationFlag.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID).all().map(\.key))
        let calendar = try await CalendarDay.workCalendar(on: caller.db)
        let deadline = try FlagRules.responseDeadline(raisedOn: caller.clock.today, calendar: calendar)
        var seen = existing
        let fresh = found.filter { seen.insert($0.key).inserted }
        try await caller.db.writeTransaction { db in
            for c in fresh {
                let f = VerificationFlag()
                f.$campaign.id = cid
                f.$region.id = regionID
                f.key = c.key
                f.rule = c.rule.rawValue
                f.indicatorCode = c.indicatorCode
                f.subCode = c.subCode
                f.$unit.id = c.unitID.flatMap(UUID.init(uuidString:))
                f.filedValue = c.filedValue
                f.observedValue = c.observedValue
                f.evidence = String(c.evidence.prefix(2000))
                f.severity = c.severity.rawValue
                f.status = VerificationFlag.Status.open.rawValue
                f.responseDeadline = deadline.description
                try await f.create(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "run_checks", entityType: "verification_flag", entityID: cid, before: noSnapshot,
                after: ["found": found.count, "new": fresh.count])
        }
        return (fresh.count, found.count)
    }



    static func decide(_ f: VerificationFlag, status raw: String?, note: String?, by caller: Caller) async throws {
        guard let status = VerificationFlag.Status(rawValue: raw.trimmed), status != .open else {
            throw AppError.invalid(["status": "请选择确认或排除"])
        }
        let note = note.trimmed
        if note.isEmpty || note.count > 2000 { throw AppError.invalid(["note": "请写明确认或排除的理由（不超过 2000 字）"]) }
        let before = ["status": f.status, "note": f.decisionNote ?? ""]
        let user = caller.user
        f.status = status.rawValue
        f.decisionNote = note
        f.decidedBy = user.username
        try await caller.db.writeTransaction { db in
            try await f.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: status == .confirmed ? "confirm" : "dismiss", entityType: "verification_flag",
                entityID: f.id, before: before, after: ["status": f.status, "note": note])
        }
    }

    /// The responsible unit explains before the deadline; afterwards the answer is refused (409).
    static func respond(_ f: VerificationFlag, text: String?, by caller: Caller) async throws {
        let text = text.trimmed
        if text.isEmpty || text.count > 2000 { throw AppError.invalid(["response": "请填写情况说明（不超过 2000 字）"]) }
        if let d = Day(f.responseDeadline), caller.clock.today > d {
            throw AppError(status: .conflict, code: "deadline_passed", message: "已过答复期限（\(f.responseDeadline)），请联系第三方评估机构")
        }
        if f.flagStatus != .open { throw AppError(status: .conflict, code: "decided", message: "该问题已由评估机构作出结论，不能再答复") }
        let user = caller.user
        guard f.$unit.id == user.$unit.id else { throw AppError.forbidden("只能答复本单位的核验问题") }
        let before = f.response
        f.response = text
        f.respondedBy = user.username
        try await caller.db.writeTransaction { db in
            try await f.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "respond", entityType: "verification_flag", entityID: f.id,
                before: before.map { ["response": $0] }, after: ["response": text])
        }
    }

    /// Confirmed falsification flags per "regionID|indicator", the input of the 数据造假 deduction rule.
    static func confirmedCounts(_ cid: UUID, on db: any Database) async throws -> [String: Int] {
        let rules = FlagRule.allCases.filter(\.countsAsFalsification).map(\.rawValue)
        var out: [String: Int] = [:]
        for f in try await VerificationFlag.query(on: db).filter(\.$campaign.$id == cid).filter(\.$status == VerificationFlag.Status.confirmed.rawValue)
            .filter(\.$rule ~~ rules).all()
        {
            if let code = f.indicatorCode { out["\(f.$region.id)|\(code)", default: 0] += 1 }
        }
        return out
    }

    /// The assessor's choice of the value to score: the filed value, the record-derived value, or an adjusted one.
    static func chooseValue(
        _ campaign: Campaign, regionID: UUID, indicator: String, sub: String, choice: String?, value: String?, reason: String?, by caller: Caller
    ) async throws {
        let cid = try campaign.requireID()
        guard let spec = try await campaign.catalog(on: caller.db).indicator(indicator),
            let subSpec = spec.subIndicators.first(where: { $0.code == sub })
        else { throw AppError.invalid(["sub": "未知的二级指标"]) }
        let reason = reason.trimmed
        var chosen: String
        var source = ValueSource.verified
        switch choice.trimmed {
        case "filed":
            let filing = try await Filing.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
                .filter(\.$indicatorCode == indicator).first()
            guard let v = filing.flatMap({ filedNumber($0.answers, spec: spec, sub: sub) }) else { throw AppError.invalid(["choice": "没有可采用的填报值"]) }
            chosen = CrossChecks.fmt(v)
        case "records":
            let obs = try await observed(try await records(cid, regionID, indicator, on: caller.db), indicator: indicator, on: caller.db)
            guard let o = obs.first(where: { $0.subCode == sub }) else { throw AppError.invalid(["choice": "没有业务数据，无法采用"]) }
            chosen = CrossChecks.fmt((o.value * 100).rounded() / 100)
            source = .records
        case "adjusted":
            chosen = value.trimmed
            if let p = ValueImport.problem(chosen, subSpec) { throw AppError.invalid(["value": p]) }
        default:
            throw AppError.invalid(["choice": "请选择采用填报值、业务数据值或调整值"])
        }
        if reason.isEmpty || reason.count > 500 { throw AppError.invalid(["reason": "请填写采用理由（不超过 500 字）"]) }
        let user = caller.user
        let finalValue = chosen
        let finalSource = source
        try await caller.db.writeTransaction { db in
            let existing = try await VerifiedValue.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
                .filter(\.$indicatorCode == indicator).filter(\.$subCode == sub).first()
            let before = existing.map { ["value": $0.value, "source": $0.source, "reason": $0.reason] }
            let row = existing ?? VerifiedValue(campaignID: cid, regionID: regionID, indicatorCode: indicator, subCode: sub, value: finalValue, source: finalSource, reason: reason, by: user.username)
            row.value = finalValue
            row.source = finalSource.rawValue
            row.reason = reason
            row.setBy = user.username
            try await row.save(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: existing == nil ? "create" : "update", entityType: "verified_value", entityID: row.id,
                before: before, after: ["indicator": indicator, "sub": sub, "value": finalValue, "source": finalSource.rawValue, "reason": reason])
        }
    }

    /// A flag in the caller's regions (another region's is not found) and, for unit users, of their own unit.
    static func findFlag(_ id: UUID, by caller: Caller) async throws -> VerificationFlag {
        guard let f = try await VerificationFlag.find(id, on: caller.db), caller.scope.covers(f.$region.id.uuidString)
        else { throw AppError.notFound("核验问题") }
        guard UnitScope.canAccess(role: caller.role, userUnitID: caller.user.$unit.id.uuidString, recordUnitID: f.$unit.id?.uuidString) else {
            throw AppError.forbidden("只能查看本单位的核验问题")
        }
        return f
    }
}
