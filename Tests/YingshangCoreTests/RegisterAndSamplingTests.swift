import Foundation
import Testing
@testable import YingshangCore

@Suite("CSV and encodings")
struct CSVTests {
    @Test("quoted commas, quotes and line breaks; CRLF and LF")
    func rfc4180() {
        let rows = CSV.parse("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",2,\r\nlast,x,y")
        #expect(rows == [["a", "b,c", "say \"hi\""], ["multi\nline", "2", ""], ["last", "x", "y"]])
    }

    @Test("UTF-8 with and without BOM, and GB18030")
    func encodings() throws {
        let text = "企业名称,统一社会信用代码\n青山县示范有限公司,91350100M000100Y43\n"
        #expect(TextDecoding.decode(Data(text.utf8))?.1 == .utf8)
        #expect(TextDecoding.decode(Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8))?.0 == text)
        // "企业" in GB18030.
        let gbk = Data([0xC6, 0xF3, 0xD2, 0xB5])
        let decoded = try #require(TextDecoding.decode(gbk))
        #expect(decoded.0 == "企业")
        #expect(decoded.1 == .gb18030)
    }
}

@Suite("Enterprise register validation")
struct RegisterTests {
    let townships = ["城关街道": "370799001", "370799001": "370799001", "青山镇": "370799101", "370799101": "370799101"]

    @Test("headers in any order, Chinese or English; unknown columns kept as extras")
    func headers() {
        let rows = [
            ["name", "备注", "统一社会信用代码", "所属乡镇", "行业门类", "企业规模", "登记状态", "成立日期"],
            ["甲公司", "重点企业", "91350100M000100Y43", "城关街道", "C", "小型", "存续", "2019年3月5日"],
        ]
        let (records, problems) = EnterpriseRegister.validate(rows: rows, townships: townships, existing: [])
        #expect(problems.isEmpty)
        let r = try? #require(records.first?.record)
        #expect(r?.uscc == "91350100M000100Y43")
        #expect(r?.townshipCode == "370799001")
        #expect(r?.industry == "C")
        #expect(r?.founded == Day("2019-03-05"))
        #expect(r?.extra == ["备注": "重点企业"])
    }

    @Test("every bad cell is reported with row, column, value and a Chinese reason")
    func problems() {
        let rows = [
            ["统一社会信用代码", "企业名称", "所属乡镇/街道", "行业门类", "企业规模", "登记状态", "成立日期"],
            ["91350100M000100Y43", "甲", "城关街道", "制造业", "小型", "在业", "2020-01-01"],
            ["911100001000013796", "乙", "火星镇", "Z", "巨型", "倒闭", "2020-13-01"],
            ["91350100M000100Y43", "", "", "", "", "", ""],
            ["91110000802100433B", "丙", "", "", "", "", ""],
        ]
        let (records, problems) = EnterpriseRegister.validate(rows: rows, townships: townships, existing: ["91110000802100433B"])
        #expect(records.map(\.row) == [2])
        #expect(records.first?.record.industry == "C")
        let row3 = problems.filter { $0.row == 3 }.map(\.column)
        #expect(row3 == ["统一社会信用代码", "所属乡镇/街道", "行业门类", "企业规模", "登记状态", "成立日期"])
        #expect(problems.contains { $0.row == 4 && $0.reason == "与第 2 行重复" })
        #expect(problems.contains { $0.row == 4 && $0.column == "企业名称" })
        #expect(problems.contains { $0.row == 5 && $0.reason == "已在名单中" })
        #expect(problems.first?.message.hasPrefix("第 3 行“统一社会信用代码”列") == true)
    }

    @Test("missing required columns reject the file")
    func missingColumns() {
        let (_, problems) = EnterpriseRegister.validate(rows: [["企业名称"], ["甲"]], townships: [:], existing: [])
        #expect(problems.map(\.column) == ["统一社会信用代码"])
    }
}

@Suite("Stratified sampling")
struct SamplingTests {
    let strata = [
        StratifiedSampling.Stratum(key: "城关", size: 500, sd: 10), .init(key: "青山", size: 300, sd: 20),
        .init(key: "河口", size: 150, sd: 5), .init(key: "柳林", size: 50, sd: 40),
    ]

    @Test("proportional allocation sums exactly to n by largest remainder")
    func proportional() throws {
        let a = try StratifiedSampling.allocate(n: 101, strata: strata, method: .proportional).get()
        #expect(a.reduce(0, +) == 101)
        #expect(a == [51, 30, 15, 5])  // quotas 50.5, 30.3, 15.15, 5.05: the .5 remainder wins the spare unit
    }

    @Test("Neyman allocation follows N_h × S_h; missing S_h is refused")
    func neyman() throws {
        let a = try StratifiedSampling.allocate(n: 100, strata: strata, method: .neyman).get()
        // Weights 5000, 6000, 750, 2000 of 13750.
        #expect(a == [36, 44, 5, 15])
        let missing = StratifiedSampling.allocate(n: 3, strata: [.init(key: "x", size: 5)], method: .neyman)
        #expect(missing == .failure(.missingSD("x")))
    }

    @Test("equal allocation with small strata spills over; minimum per stratum is capped at N_h")
    func equalAndMinimum() throws {
        let small = [StratifiedSampling.Stratum(key: "a", size: 2), .init(key: "b", size: 100), .init(key: "c", size: 100)]
        let e = try StratifiedSampling.allocate(n: 30, strata: small, method: .equal).get()
        #expect(e[0] == 2)
        #expect(e.reduce(0, +) == 30)
        let m = try StratifiedSampling.allocate(n: 20, strata: small, method: .proportional, minimum: 5).get()
        #expect(m[0] == 2)
        #expect(m.reduce(0, +) == 20)
        #expect(!m.isEmpty && m.allSatisfy { $0 >= 2 })
        #expect(StratifiedSampling.allocate(n: 5, strata: small, method: .proportional, minimum: 5) == .failure(.minimumTooLarge(needed: 12, n: 5)))
        #expect(StratifiedSampling.allocate(n: 1000, strata: small, method: .equal) == .failure(.sampleTooLarge(n: 1000, population: 202)))
    }

    @Test("the same seed gives the same sample whatever the input order; another seed differs")
    func reproducible() {
        let members = (1...200).map { String(format: "E%03d", $0) }
        var g1 = SeededGenerator(seed: 2022)
        var g2 = SeededGenerator(seed: 2022)
        var g3 = SeededGenerator(seed: 7)
        let a = StratifiedSampling.select(members: members, take: 10, reserve: 3, using: &g1)
        let b = StratifiedSampling.select(members: members.reversed(), take: 10, reserve: 3, using: &g2)
        let c = StratifiedSampling.select(members: members, take: 10, reserve: 3, using: &g3)
        #expect(a == b)
        #expect(a != c)
        #expect(a.sample.count == 10)
        #expect(a.reserve.count == 3)
        #expect(Set(a.sample).isDisjoint(with: a.reserve))
        var g4 = SeededGenerator(seed: 1)
        let tiny = StratifiedSampling.select(members: ["x", "y"], take: 5, reserve: 2, using: &g4)
        #expect(Set(tiny.sample) == ["x", "y"])
        #expect(tiny.reserve.isEmpty)
    }

    @Test("codes kept packed draw exactly what shuffling the sorted strings drew (a seed published with a draw still reproduces it)")
    func packedDrawMatchesStringDraw() {
        let codes = (0..<5_000).map { USCC.synthetic($0 * 7_919 % 5_000, prefix: "913707") }
        let packed = EnterpriseRegister.SortedCodes(codes)
        // The draw as it was written before codes stayed packed: partial Fisher–Yates over the sorted strings.
        func reference(_ members: [String], take: Int, reserve: Int, seed: UInt64) -> ([String], [String]) {
            var rng = SeededGenerator(seed: seed)
            var pool = members.sorted()
            let k = min(pool.count, take + reserve)
            for i in 0..<k { pool.swapAt(i, i + rng.below(pool.count - i)) }
            return (Array(pool.prefix(min(take, k))), Array(pool[min(take, k)..<k]))
        }
        for seed: UInt64 in [1, 2022, 987_654_321] {
            var rng = SeededGenerator(seed: seed)
            let pick = StratifiedSampling.select(sorted: packed, take: 40, reserve: 8, using: &rng)
            let expected = reference(codes, take: 40, reserve: 8, seed: seed)
            #expect(pick.sample == expected.0)
            #expect(pick.reserve == expected.1)
        }
        // A stratum with an old code of another length is kept as text and draws the same way.
        let mixed = codes + ["A-OLD-CODE"]
        var rng = SeededGenerator(seed: 5)
        let pick = StratifiedSampling.select(sorted: EnterpriseRegister.SortedCodes(mixed), take: 30, reserve: 0, using: &rng)
        #expect(pick.sample == reference(mixed, take: 30, reserve: 0, seed: 5).0)
        // Leaving out enterprises drawn before keeps the order of the rest.
        let out = Set(codes.prefix(100))
        #expect(Array(packed.removing(out)) == codes.filter { !out.contains($0) }.sorted())
        #expect(Array(EnterpriseRegister.SortedCodes(mixed).removing(["A-OLD-CODE"])) == codes.sorted())
    }

    @Test func reserveCounts() {
        #expect(StratifiedSampling.reserveCount(sample: 10, stratumSize: 100, ratio: 0.2) == 2)
        #expect(StratifiedSampling.reserveCount(sample: 9, stratumSize: 100, ratio: 0.2) == 2)
        #expect(StratifiedSampling.reserveCount(sample: 10, stratumSize: 11, ratio: 0.5) == 1)
    }
}

@Suite("Satisfaction index")
struct SatisfactionTests {
    @Test func likert() {
        #expect(SatisfactionIndex.score(1) == 0)
        #expect(SatisfactionIndex.score(5) == 100)
        #expect(SatisfactionIndex.score(4) == 75)
        #expect(SatisfactionIndex.score(6) == nil)
        #expect(SatisfactionIndex.enterprise([5, 4, 0]) == 87.5)
        #expect(SatisfactionIndex.enterprise([]) == nil)
        let s = SatisfactionIndex.indicator([100, 50, 75, 75])
        #expect(s?.mean == 75)
        #expect(s?.n == 4)
        let hw = s?.halfWidth95 ?? 0
        #expect(abs(hw - 1.96 * (sqrt(1250.0 / 3) / 2)) < 1e-9)
    }
}

@Suite("Enterprise surveys")
struct SurveyTests {
    let template = SurveyTemplate.standard(indicators: [("starting_business", "开办企业"), ("paying_taxes", "纳税")])

    @Test("answers are checked by kind; at least one answer is required")
    func validation() {
        #expect(template.items.count == 12)  // per indicator: screening, steps, days, cost, extra documents, satisfaction
        #expect(template.problems(["starting_business.days": "3", "starting_business.satisfaction": "5", "starting_business.extra_docs": "否"]).isEmpty)
        let bad = template.problems(["starting_business.days": "-1", "starting_business.satisfaction": "6", "starting_business.extra_docs": "也许", "x": "1"])
        #expect(Set(bad.map(\.field)) == ["starting_business.days", "starting_business.satisfaction", "starting_business.extra_docs", "x"])
        #expect(template.problems(["starting_business.days": " "]).map(\.field) == ["_"])
    }

    @Test("results: satisfaction index with CI, medians and the share asked for extra documents")
    func results() {
        let responses: [[String: String]] = [
            ["starting_business.satisfaction": "5", "starting_business.days": "1", "starting_business.extra_docs": "否"],
            ["starting_business.satisfaction": "3", "starting_business.days": "4", "starting_business.extra_docs": "是"],
            ["starting_business.satisfaction": "4", "starting_business.days": "2"],
            ["paying_taxes.satisfaction": "2"],
        ]
        let r = SurveyResults.summarize(template, responses: responses)
        #expect(r.map(\.indicatorCode) == ["starting_business", "paying_taxes"])
        #expect(r[0].satisfaction?.mean == 75)
        #expect(r[0].satisfaction?.n == 3)
        #expect(r[0].medianDays == 2)
        #expect(r[0].extraDocsShare == 0.5)
        #expect(r[0].respondents == 3)
        #expect(r[1].satisfaction?.mean == 25)
        #expect(r[1].satisfaction?.halfWidth95 == nil)
        let overall = SurveyResults.overall(template, responses: responses)
        #expect(overall?.n == 4)
        #expect(overall?.mean == 62.5)  // (100 + 50 + 75 + 25) / 4
    }

    @Test("an answering enterprise counts for the region its township lies in; the only region takes all")
    func regions() {
        let city: [(id: String, code: String)] = [("县A", "370701"), ("县B", "370702"), ("镇B1", "370702101")]
        #expect(SurveyRegions.region(township: "370701003", regions: city) == "县A")
        #expect(SurveyRegions.region(township: "370702101", regions: city) == "镇B1")  // the longest code wins
        #expect(SurveyRegions.region(township: "370702205", regions: city) == "县B")
        #expect(SurveyRegions.region(township: "370899001", regions: city) == nil)
        #expect(SurveyRegions.region(township: nil, regions: city) == nil)
        #expect(SurveyRegions.region(township: nil, regions: [("县A", "370701")]) == "县A")
    }

    @Test("screening: an enterprise that never dealt with an indicator is asked nothing else about it")
    func screening() {
        let national = SurveyTemplate.standard(indicators: NationalCatalog.indicators.map { ($0.code, $0.nameZh) })
        let screens = national.items.filter { $0.kind == .screening }
        #expect(screens.count == NationalCatalog.indicators.count)
        // Every other item hangs off its own indicator's screening question.
        for item in national.items where item.kind != .screening {
            #expect(item.askedIf == "\(item.indicatorCode).used", "\(item.code)")
        }
        // 劳动力市场监管 is not a procedure: no "how many steps did it take" (the walk-through's example).
        #expect(national.items.filter { $0.indicatorCode == "labor_market" }.map(\.kind) == [.screening, .likert])
        #expect(!national.items.contains { $0.code == "labor_market.steps" })
        // An enterprise that dealt with three indicators sees 18 screening questions and 3 × 5 more: about 10 minutes.
        #expect(national.estimatedMinutes(used: 3) <= 10)
        #expect(national.estimatedMinutes(used: 0) <= 2)
        #expect(national.estimatedMinutes(used: 3) < national.estimatedMinutes(used: 18))

        // 否 drops what was typed for that indicator; 是 or no answer keeps it.
        let typed = [
            "starting_business.used": "否", "starting_business.days": "3", "starting_business.satisfaction": "2",
            "paying_taxes.days": "1", "paying_taxes.satisfaction": "5",
        ]
        #expect(template.applicable(typed) == ["starting_business.used": "否", "paying_taxes.days": "1", "paying_taxes.satisfaction": "5"])
        #expect(template.problems(["starting_business.used": "不确定"]).map(\.field) == ["starting_business.used"])
        #expect(template.problems(["starting_business.used": "否"]).isEmpty)

        // The screening answer is not a respondent's answer about the indicator; the share that dealt with it is reported.
        let r = SurveyResults.summarize(template, responses: [
            ["starting_business.used": "是", "starting_business.satisfaction": "4"],
            ["starting_business.used": "否"],
            ["starting_business.used": "否"],
            ["starting_business.used": "是", "starting_business.satisfaction": "2"],
        ])
        #expect(r[0].respondents == 2)
        #expect(r[0].usedShare == 0.5)
        #expect(r[1].usedShare == nil)
    }

    @Test("answers are trimmed of spaces exactly as Foundation's trimming does, also when the check that skips it is used")
    func trimmedSpaces() {
        let pool: [Character] = ["a", "5", "是", " ", "\t", "\n", "\u{3000}", "\u{00A0}", "\u{2028}", "\u{200B}", "\r\n", "e\u{301}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let s = String((0..<Int.random(in: 0...5, using: &generator)).map { _ in pool.randomElement(using: &generator) ?? "a" })
            #expect(SurveyResults.trimmedSpaces(s) == s.trimmingCharacters(in: .whitespaces), "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("respondents per indicator: the same count as checking every answer against every indicator, on random answer sets with look-alike keys")
    func respondentsAgainstDirectCheck() {
        // Codes that are prefixes of one another, one with a dot inside, and keys that only look like them.
        let template = SurveyTemplate(items: ["tax", "tax_refund", "a.b", "a"].flatMap { code in
            [SurveyTemplate.Item(code: "\(code).used", indicatorCode: code, text: "是否办理", kind: .screening),
             SurveyTemplate.Item(code: "\(code).satisfaction", indicatorCode: code, text: "满意度", kind: .likert)]
        })
        let keys = ["tax.used", "tax.satisfaction", "tax.days", "tax_refund.used", "tax_refund.days", "taxx.days", "tax", "a.b.used",
                    "a.b.days", "a.b", "a.used", "a.c", "a..x", ".a", "a.b.c.d", "b.a.x", "tax.used.x", "其他.days", "tax.\u{301}x", "a.used\u{301}"]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let responses: [[String: String]] = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                var r: [String: String] = [:]
                for key in keys where Bool.random(using: &generator) { r[key] = ["", "1", "是", "否", "4"].randomElement(using: &generator) }
                return r
            }
            let summary = SurveyResults.summarize(template, responses: responses)
            for result in summary {
                let code = result.indicatorCode
                let direct = responses.filter { r in
                    r.contains { $0.key.hasPrefix(code + ".") && $0.key != "\(code).used" && !$0.value.isEmpty }
                }.count
                #expect(result.respondents == direct, "round \(round), \(code): \(responses)")
            }
        }
    }
}

@Suite("Survey link tokens")
struct SurveyTokenTests {
    @Test("tokens are 26 symbols from an alphabet without 0/O/1/I/L or '-', distinct; the 查询码 is their last six")
    func alphabet() {
        let forbidden = Set("0O1IL-_abcdefghijklmnopqrstuvwxyz")
        var seen = Set<String>()
        for _ in 0..<5_000 {
            let t = SurveyToken.generate()
            #expect(t.count == 26)
            #expect(!t.contains { forbidden.contains($0) }, "\(t)")
            seen.insert(t)
        }
        #expect(seen.count == 5_000)
        // ≥ 128 bits: 31^26.
        #expect(Double(SurveyToken.length) * log2(Double(SurveyToken.alphabet.count)) >= 128)
        #expect(SurveyToken.code(of: "ABCDEFGHJKMNPQRSTUVWXYZ234") == "XYZ234")
        // Every symbol turns up (a generator stuck on part of the alphabet would fail).
        var counts: [Character: Int] = [:]
        for t in seen { for c in t { counts[c, default: 0] += 1 } }
        #expect(counts.count == 31)
    }
}
