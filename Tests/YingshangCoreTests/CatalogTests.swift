import Foundation
import Testing
@testable import YingshangCore

@Suite("Indicator catalog")
struct CatalogTests {
    @Test("the national catalog has the 18 indicators and passes validation")
    func national() {
        let catalog = NationalCatalog.catalog
        #expect(catalog.indicators.count == 18)
        #expect(CatalogValidation.validate(catalog).isEmpty, "\(CatalogValidation.validate(catalog))")
        let names = catalog.indicators.map(\.nameZh)
        for name in ["开办企业", "办理建筑许可", "获得电力", "登记财产", "纳税", "政务服务", "包容普惠创新"] {
            #expect(names.contains(name))
        }
        // The detailed indicators cover all five dimensions of the speech.
        for code in ["starting_business", "construction_permits", "getting_electricity", "registering_property",
                     "paying_taxes", "government_services"] {
            let dims = Set(catalog.indicator(code)?.questionnaire.map(\.dimension) ?? [])
            #expect(dims == Set(Dimension.allCases), "\(code)")
        }
    }

    @Test("JSON round trip is identical")
    func jsonRoundTrip() throws {
        let data = try JSONEncoder().encode(NationalCatalog.catalog)
        #expect(try JSONDecoder().decode(Catalog.self, from: data) == NationalCatalog.catalog)
    }

    func sample() -> IndicatorSpec { NationalCatalog.catalog.indicators[0] }

    @Test("best equal to worst is refused naming the sub-indicator")
    func bestEqualsWorst() {
        var ind = sample()
        ind.subIndicators[0].best = 3
        ind.subIndicators[0].worst = 3
        let problems = CatalogValidation.validate(Catalog(indicators: [ind]))
        #expect(problems.map(\.field) == ["indicators[0].subIndicators[0].worst"])
        #expect(problems.first?.message.contains("最优值与最差值相同") == true)
    }

    @Test("direction must agree with best and worst")
    func direction() {
        var ind = sample()
        ind.subIndicators[1].best = 20
        ind.subIndicators[1].worst = 1
        #expect(CatalogValidation.validate(Catalog(indicators: [ind])).map(\.field) == ["indicators[0].subIndicators[1].best"])
    }

    @Test("negative weights and all-zero weights are refused")
    func weights() {
        var ind = sample()
        ind.subIndicators[2].weight = -1
        ind.weight = -0.5
        let fields = CatalogValidation.validate(Catalog(indicators: [ind])).map(\.field)
        #expect(fields.contains("indicators[0].weight"))
        #expect(fields.contains("indicators[0].subIndicators[2].weight"))

        var zero = sample()
        zero.weight = 0
        for i in zero.subIndicators.indices { zero.subIndicators[i].weight = 0 }
        let zeroFields = CatalogValidation.validate(Catalog(indicators: [zero])).map(\.field)
        #expect(zeroFields.contains("indicators.weight"))
        #expect(zeroFields.contains("indicators[0].subIndicators.weight"))
    }

    @Test("duplicate codes, a questionnaire item pointing nowhere, a choice with one option")
    func structure() {
        var ind = sample()
        ind.subIndicators.append(SubIndicatorSpec(
            code: "grade", nameZh: "等级", nameEn: "Grade", kind: .choice, options: [ChoiceOption(label: "A", points: 100)]))
        ind.questionnaire[0].subIndicatorCode = "ghost"
        let fields = CatalogValidation.validate(Catalog(indicators: [ind, ind])).map(\.field)
        #expect(fields.contains("indicators[1].code"))
        #expect(fields.contains("indicators[0].subIndicators[5].options"))
        #expect(fields.contains("indicators[0].questionnaire[0].subIndicatorCode"))
    }
}

@Suite("Safe Markdown")
struct SafeMarkdownTests {
    @Test("headings, lists, bold and paragraphs")
    func basics() {
        let html = SafeMarkdown.render("## 标题\n\n**评价范围**：全县\n\n1. 第一\n2. 第二\n\n- 甲\n- 乙")
        #expect(html.contains("<h4>标题</h4>"))
        #expect(html.contains("<p><strong>评价范围</strong>：全县</p>"))
        #expect(html.contains("<ol><li>第一</li><li>第二</li></ol>"))
        #expect(html.contains("<ul><li>甲</li><li>乙</li></ul>"))
    }

    @Test("HTML and script in the source are shown as text")
    func escapes() {
        let html = SafeMarkdown.render("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;"))
    }

    @Test("only http(s) links become anchors")
    func links() {
        #expect(SafeMarkdown.render("[政策](https://www.gov.cn/x)").contains("<a href=\"https://www.gov.cn/x\""))
        let js = SafeMarkdown.render("[点我](javascript:alert(1))")
        #expect(!js.contains("<a "))
        let quote = SafeMarkdown.render("[x](https://a.cn/\"onmouseover=alert(1))")
        #expect(!quote.contains("\"onmouseover"))
    }
}

@Suite("Daily dispatch")
struct DispatchTests {
    @Test("overdue counts working days, handed-in work is never overdue, counts add up")
    func board() throws {
        let today = Day("2022-10-12")!
        let inputs = [
            DispatchInput(indicatorCode: "a", indicatorName: "开办企业", leadUnit: "市场监管局", status: .drafting, due: Day("2022-10-08")),
            DispatchInput(indicatorCode: "b", indicatorName: "纳税", leadUnit: "税务局", status: .submitted, due: Day("2022-10-08")),
            DispatchInput(indicatorCode: "c", indicatorName: "获得电力", leadUnit: "供电公司", status: .returned, due: Day("2022-10-11"), openQuestions: 2),
            DispatchInput(indicatorCode: "d", indicatorName: "登记财产", leadUnit: "自然资源局", status: .notStarted, due: Day("2022-10-12")),
            DispatchInput(indicatorCode: "e", indicatorName: "政务服务", leadUnit: nil, status: .notStarted, due: nil),
        ]
        let report = try Dispatch.build(inputs, today: today, calendar: nationalDay2022)
        #expect(report.overdue.map(\.indicatorCode) == ["a", "c"])
        #expect(report.overdue.map(\.workdaysOverdue) == [4, 1])  // 9 (调休 Sunday), 10, 11, 12
        #expect(report.dueToday.map(\.indicatorCode) == ["d"])
        #expect(report.counts[.notStarted] == 2)
        #expect(report.counts.values.reduce(0, +) == 5)
        #expect(report.handedIn == 1)
        #expect(report.byUnit.first?.overdue == 1)
        #expect(report.byUnit.contains { $0.unit == "（未指定牵头单位）" })
    }

    @Test("combined status is the least advanced piece of work")
    func combined() {
        #expect(WorkStatus.combined([.accepted, .submitted]) == .submitted)
        #expect(WorkStatus.combined([.accepted, .returned, .drafting]) == .returned)
        #expect(WorkStatus.combined([]) == .notStarted)
    }
}
