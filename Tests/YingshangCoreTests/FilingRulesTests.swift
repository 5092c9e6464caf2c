import Testing
@testable import YingshangCore

@Suite("Filing workflow")
struct FilingWorkflowTests {
    let filer = FilingActor(role: .filer, isLeadUnit: true)
    let head = FilingActor(role: .unitHead, isLeadUnit: true)
    let otherHead = FilingActor(role: .unitHead, isLeadUnit: false)
    let bureau = FilingActor(role: .coordinator, isLeadUnit: false)

    @Test("the happy path: submit, unit approval, bureau acceptance")
    func happyPath() {
        #expect(FilingWorkflow.next(from: .draft, action: .submit, actor: filer, reason: nil) == .success(.submitted))
        #expect(FilingWorkflow.next(from: .submitted, action: .approve, actor: head, reason: nil) == .success(.unitApproved))
        #expect(FilingWorkflow.next(from: .unitApproved, action: .accept, actor: bureau, reason: nil) == .success(.accepted))
    }

    @Test("returns need a reason and come from the right reviewer at the right step")
    func returns() {
        #expect(FilingWorkflow.next(from: .submitted, action: .return, actor: head, reason: "数据缺失") == .success(.draft))
        #expect(FilingWorkflow.next(from: .unitApproved, action: .return, actor: bureau, reason: "口径不一致") == .success(.draft))
        #expect(FilingWorkflow.next(from: .submitted, action: .return, actor: head, reason: "  ") == .failure(.reasonRequired))
        if case .failure(.invalidState) = FilingWorkflow.next(from: .unitApproved, action: .return, actor: head, reason: "x") {} else {
            Issue.record("a unit head cannot return after approving")
        }
        if case .failure(.forbidden) = FilingWorkflow.next(from: .submitted, action: .return, actor: filer, reason: "x") {} else {
            Issue.record("a filer cannot return")
        }
    }

    @Test("forbidden actors: another unit's head, the bureau submitting, a filer accepting")
    func forbidden() {
        for (state, action, actor) in [
            (FilingState.submitted, FilingAction.approve, otherHead), (.draft, .submit, bureau), (.unitApproved, .accept, filer),
            (.accepted, .reopen, head), (.submitted, .approve, filer),
        ] {
            if case .failure(.forbidden) = FilingWorkflow.next(from: state, action: action, actor: actor, reason: "x") {} else {
                Issue.record("\(action) from \(state) by \(actor) should be forbidden")
            }
        }
    }

    @Test("actions out of order are invalid, not forbidden")
    func outOfOrder() {
        for (state, action, actor) in [
            (FilingState.draft, FilingAction.accept, bureau), (.submitted, .submit, filer), (.draft, .approve, head),
            (.submitted, .accept, bureau), (.draft, .reopen, bureau),
        ] {
            if case .failure(.invalidState) = FilingWorkflow.next(from: state, action: action, actor: actor, reason: "x") {} else {
                Issue.record("\(action) from \(state) should be an invalid state")
            }
        }
    }

    @Test("reopening an accepted filing needs the bureau and a reason")
    func reopen() {
        #expect(FilingWorkflow.next(from: .accepted, action: .reopen, actor: bureau, reason: "数据更正") == .success(.draft))
        #expect(FilingWorkflow.next(from: .accepted, action: .reopen, actor: bureau, reason: nil) == .failure(.reasonRequired))
        #expect(FilingState.accepted.isEditable == false)
    }

    @Test("dispatch status of a filing")
    func workStatus() {
        #expect(FilingWorkflow.workStatus(state: .draft, lastAction: nil, hasAnswers: false) == .notStarted)
        #expect(FilingWorkflow.workStatus(state: .draft, lastAction: nil, hasAnswers: true) == .drafting)
        #expect(FilingWorkflow.workStatus(state: .draft, lastAction: .return, hasAnswers: true) == .returned)
        #expect(FilingWorkflow.workStatus(state: .unitApproved, lastAction: .approve, hasAnswers: true) == .submitted)
        #expect(FilingWorkflow.workStatus(state: .accepted, lastAction: .accept, hasAnswers: true) == .accepted)
    }
}

@Suite("Answers and evidence checks")
struct AnswerAndEvidenceTests {
    let ind = NationalCatalog.indicators[0]  // 开办企业

    @Test("numbers, yes/no and ranges")
    func answers() {
        #expect(AnswerValidation.draftProblems(["q1": "4", "q3": "1.5", "q5": "是"], indicator: ind).isEmpty)
        let bad = AnswerValidation.draftProblems(["q1": "四", "q3": "-1", "q4": "999999", "q5": "maybe", "zz": "1"], indicator: ind)
        #expect(Set(bad.map(\.field)) == ["q1", "q3", "q4", "q5", "zz"])
        #expect(bad.first { $0.field == "q4" }?.message.contains("超出合理范围") == true)
    }

    @Test("questions and inputs agree: the steps as a list, time limits as numbers, policy documents with their 文号")
    func shapes() throws {
        let standard = try #require(NationalCatalog.indicators.first { $0.code == "labor_market" })
        let kinds = Dictionary(uniqueKeysWithValues: standard.questionnaire.map { item in
            (item.code, item.subIndicatorCode.flatMap { c in standard.subIndicators.first { $0.code == c }?.kind.rawValue } ?? item.shape?.rawValue ?? "text")
        })
        #expect(kinds["q1"] == "number" && kinds["q1a"] == "list")
        #expect(kinds["q3"] == "number" && kinds["q3a"] == "number" && kinds["q3b"] == "number")
        #expect(kinds["q5"] == "yes_no" && kinds["q5a"] == "documents")
        // No number box asks for a list or for several values ("有哪些", "分别").
        for ind in NationalCatalog.indicators {
            for item in ind.questionnaire where kindOf(item, ind) == "number" {
                #expect(!item.text.contains("有哪些") && !item.text.contains("分别") && !item.text.contains("逐一列出"), "\(ind.code) \(item.code)")
            }
        }
        #expect(AnswerValidation.draftProblems(
            ["q1a": "申请\n受理\n\n办结", "q3a": "20", "q5a": "关于优化营商环境的实施意见 县政发〔2022〕12号\n减证便民方案 [2021] 第3号"],
            indicator: standard).isEmpty)
        let bad = AnswerValidation.draftProblems(["q3a": "二十", "q3b": "-1", "q5a": "县政发〔2022〕3号\n关于减证便民的通知"], indicator: standard)
        #expect(Set(bad.map(\.field)) == ["q3a", "q3b", "q5a"])
        #expect(bad.first { $0.field == "q5a" }?.message.contains("第 2 行“关于减证便民的通知”缺少文号") == true)
        let tooLong = (0...AnswerValidation.maxListLines).map { "环节\($0)" }.joined(separator: "\n")
        #expect(AnswerValidation.draftProblems(["q1a": tooLong], indicator: standard).first?.message.contains("最多 50 行") == true)
    }

    private func kindOf(_ item: QuestionnaireItem, _ ind: IndicatorSpec) -> String {
        item.subIndicatorCode.flatMap { c in ind.subIndicators.first { $0.code == c }?.kind.rawValue } ?? item.shape?.rawValue ?? "text"
    }

    @Test("submitting needs every item and the required evidence")
    func submit() {
        let answers = Dictionary(uniqueKeysWithValues: ind.questionnaire.map { ($0.code, $0.subIndicatorCode == "one_stop" ? "是" : "1") })
        // (q1a, the list of steps, takes "1" as a one-line list.)
        let missingEvidence = AnswerValidation.submitProblems(answers, indicator: ind, evidenceCount: [:], wholeFilingEvidence: 0)
        #expect(missingEvidence.allSatisfy { $0.message.contains("须上传印证资料") })
        #expect(!missingEvidence.isEmpty)
        #expect(AnswerValidation.submitProblems(answers, indicator: ind, evidenceCount: [:], wholeFilingEvidence: 1).isEmpty)
        var partial = answers
        partial["q2"] = nil
        let p = AnswerValidation.submitProblems(partial, indicator: ind, evidenceCount: [:], wholeFilingEvidence: 1)
        #expect(p.map(\.field) == ["q2"])
    }

    @Test("file names: path traversal and control characters are refused")
    func names() {
        #expect(EvidenceCheck.checkName("营业执照.pdf").map(\.ext) == .success("pdf"))
        for bad in ["../etc/passwd.pdf", "a/b.pdf", "..\\x.pdf", ".hidden.pdf", "a\u{0}.pdf", ""] {
            if case .failure(.badName) = EvidenceCheck.checkName(bad) {} else { Issue.record("\(bad) accepted") }
        }
        if case .failure(.extensionNotAllowed("exe")) = EvidenceCheck.checkName("setup.exe") {} else { Issue.record("exe accepted") }
    }

    @Test("content must match the extension; executables are refused whatever their name")
    func content() {
        let pdf = Array("%PDF-1.7\n%âãÏÓ\n".utf8)
        #expect(EvidenceCheck.checkContent(head: pdf, ext: "pdf") == .success(.pdf))
        #expect(EvidenceCheck.checkContent(head: [0x4D, 0x5A, 0x90, 0, 3, 0, 0, 0], ext: "pdf") == .failure(.executable))
        #expect(EvidenceCheck.checkContent(head: pdf, ext: "docx") == .failure(.contentMismatch(ext: "docx")))
        #expect(EvidenceCheck.checkContent(head: [0x50, 0x4B, 3, 4, 20, 0, 6, 0], ext: "ofd") == .success(.ofd))
        #expect(EvidenceCheck.checkContent(head: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], ext: "png") == .success(.png))
        #expect(EvidenceCheck.checkContent(head: [], ext: "pdf") == .failure(.empty))
    }
}

@Suite("Filed numbers")
struct FiledNumberTests {
    @Test("one parser: spaces and line breaks ignored, full-width digits read, NaN and infinity refused")
    func parse() {
        #expect(FiledNumber.parse(" 3\n") == 3)
        #expect(FiledNumber.parse("１２．５") == 12.5)
        #expect(FiledNumber.parse("-0.5") == -0.5)
        for bad in ["", "  ", "三", "1e400", "nan", "NaN", "inf", "12 个", "1,000"] { #expect(FiledNumber.parse(bad) == nil, "\(bad)") }
        // A value accepted when saved is the value scored, also when typed with a Chinese input method.
        let ind = NationalCatalog.indicators[0]
        #expect(AnswerValidation.draftProblems(["q3": "１．５"], indicator: ind).isEmpty)
        let scored = Scoring.scoreSub(SubIndicatorInput(code: "time", nameZh: "时间", kind: .number, best: 0.5, worst: 10, value: "１．５", source: .filing))
        #expect(scored.status == .scored && scored.numericValue == 1.5)
    }
}
