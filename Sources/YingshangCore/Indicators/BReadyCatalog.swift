/// A template shaped like the World Bank's Business Ready (B-READY, 2024–): ten topics, each scored on three
/// pillars — I 监管框架 (regulatory framework) and II 公共服务 (public services) from points-based questions answered
/// by the lead unit with evidence (是 2 分 / 部分 1 分 / 否 0 分), III 运行效率 (operational efficiency) from a filed
/// number and from the enterprise survey (shares and medians with their n and interval). Topic = mean of its pillars
/// (`Scoring.scoreIndicator`). Added beside the national 18 (codes start `br_`); the questions are a county-level
/// adaptation for illustration, not the World Bank's questionnaire, and every county adjusts them.
public enum BReadyCatalog {
    /// 是 / 部分 / 否 with 2 / 1 / 0 points; the weight is the question's maximum, so a pillar's weighted mean of
    /// `points ÷ max × 100` is B-READY's "points obtained ÷ points possible × 100".
    static let pointOptions = [ChoiceOption(label: "是", points: 2), ChoiceOption(label: "部分", points: 1), ChoiceOption(label: "否", points: 0)]

    struct Question {
        let code: String
        let zh: String
        let en: String
        let text: String
    }

    struct Measure {
        let code: String
        let zh: String
        let en: String
        let unit: String
        let statistic: SurveyMeasure.Statistic
        let best: Double
        let worst: Double
        let question: String
    }

    static func topic(
        _ code: String, _ zh: String, _ en: String, _ description: String,
        regulatory: [Question], services: [Question],
        filed: (code: String, zh: String, en: String, unit: String, best: Double, worst: Double, text: String),
        survey: [Measure], docs: [String]
    ) -> IndicatorSpec {
        func points(_ q: Question, _ p: Pillar) -> SubIndicatorSpec {
            SubIndicatorSpec(code: q.code, nameZh: q.zh, nameEn: q.en, kind: .choice, weight: 2, evidenceRequired: true, options: pointOptions, pillar: p)
        }
        let subs = regulatory.map { points($0, .regulatoryFramework) } + services.map { points($0, .publicServices) }
            + [SubIndicatorSpec(
                code: filed.code, nameZh: filed.zh, nameEn: filed.en, kind: .number, unit: filed.unit, direction: .lowerIsBetter,
                best: filed.best, worst: filed.worst, evidenceRequired: true, pillar: .operationalEfficiency)]
            + survey.map {
                SubIndicatorSpec(
                    code: $0.code, nameZh: $0.zh, nameEn: $0.en, kind: .number, unit: $0.unit, direction: .lowerIsBetter, best: $0.best,
                    worst: $0.worst, evidenceRequired: false, pillar: .operationalEfficiency,
                    survey: SurveyMeasure(item: $0.code, statistic: $0.statistic, question: $0.question))
            }
        let filedQuestions = (regulatory + services).enumerated().map { i, q in
            NationalCatalog.q("q\(i + 1)", .safeguards, q.text, "是 2 分、部分 1 分、否 0 分；请附法规、文件或系统截图。", sub: q.code)
        } + [NationalCatalog.q("q\(regulatory.count + services.count + 1)", .time, filed.text, "以业务系统记录计算评价周期内的平均值。", sub: filed.code)]
        return IndicatorSpec(
            code: code, nameZh: zh, nameEn: en, description: description, subIndicators: subs, questionnaire: filedQuestions,
            guide: NationalCatalog.guide(zh, "B-READY 式三支柱评价：监管框架、公共服务由牵头单位按题作答并附依据，运行效率由业务数据和企业问卷计算", docs))
    }

    static func informal(_ what: String) -> Measure {
        Measure(
            code: "informal_payment", zh: "报告非正式支付的企业占比", en: "Firms reporting informal payments", unit: "%", statistic: .shareYes,
            best: 0, worst: 30, question: "办理\(what)过程中，贵企业是否被暗示或要求支付规定以外的费用、礼品或“好处费”？")
    }

    static func days(_ what: String, best: Double, worst: Double) -> Measure {
        Measure(
            code: "reported_days", zh: "企业报告的办理天数（中位数）", en: "Days reported by firms (median)", unit: "天", statistic: .median,
            best: best, worst: worst, question: "贵企业最近一次办理\(what)，从提交申请到办结共用了多少天？")
    }

    public static let indicators: [IndicatorSpec] = [
        topic(
            "br_business_entry", "市场准入（B-READY）", "Business Entry", "企业设立登记的规则、服务和实际效率。",
            regulatory: [
                Question(code: "no_min_capital", zh: "取消最低注册资本要求", en: "No minimum paid-in capital", text: "法规是否已取消一般企业的最低注册资本实缴要求？"),
                Question(code: "e_signature", zh: "电子签名和电子营业执照具有法律效力", en: "Legal effect of e-signatures", text: "企业登记是否认可电子签名、电子营业执照与纸质具有同等效力？"),
            ],
            services: [
                Question(code: "one_portal", zh: "企业开办“一网通办”平台", en: "One-stop online portal", text: "是否有覆盖登记、刻章、发票、社保、公积金的企业开办一网通办平台？"),
                Question(code: "open_register", zh: "企业登记信息免费在线公开", en: "Free online company register", text: "企业登记信息是否可免费在线查询？"),
            ],
            filed: ("entry_days", "企业开办平均用时", "Average days to start a business", "工作日", 0.5, 10, "评价周期内企业开办（登记至可经营）平均用时多少个工作日？"),
            survey: [informal("企业开办"), days("企业开办", best: 1, worst: 15)],
            docs: ["注册资本和电子签名相关法规文件", "一网通办平台说明和截图", "企业开办业务系统记录"]),
        topic(
            "br_business_location", "经营场所（B-READY）", "Business Location", "不动产登记、用地规划和建筑许可。",
            regulatory: [
                Question(code: "title_registry", zh: "不动产登记信息完整统一", en: "Unified property registry", text: "不动产登记是否实现登记、交易、税收信息统一并依法公开查询规则？"),
                Question(code: "zoning_public", zh: "国土空间规划公开", en: "Public zoning plans", text: "国土空间规划和用地条件是否依法公开？"),
            ],
            services: [
                Question(code: "online_permit", zh: "工程建设项目审批全程网办", en: "Online construction permits", text: "工程建设项目审批是否全程网上办理、并联审批？"),
                Question(code: "cadastre_online", zh: "地籍图和登记簿可在线查询", en: "Online cadastre", text: "地籍图和不动产登记簿是否可在线查询？"),
            ],
            filed: ("permit_days", "建筑许可平均用时", "Average days for a building permit", "工作日", 20, 150, "评价周期内社会投资简易低风险项目审批平均用时多少个工作日？"),
            survey: [informal("建筑许可或不动产登记"), days("建筑许可", best: 20, worst: 200)],
            docs: ["不动产登记和规划公开文件", "工程建设项目审批系统说明", "审批系统记录"]),
        topic(
            "br_utility_services", "公用服务（B-READY）", "Utility Services", "电力、用水、网络接入的规则、服务和可靠性。",
            regulatory: [
                Question(code: "tariff_public", zh: "接入收费标准公开", en: "Published connection tariffs", text: "水电气网接入收费标准是否依法公开？"),
                Question(code: "quality_rules", zh: "供电供水质量和赔偿规则", en: "Service quality rules", text: "是否有供电、供水服务质量标准及停供赔偿规则？"),
            ],
            services: [
                Question(code: "online_apply", zh: "接入申请网上办理", en: "Online application", text: "用电、用水、用气接入是否可网上申请并查询进度？"),
                Question(code: "outage_info", zh: "停电停水信息提前公告", en: "Outage notices", text: "计划停电停水是否提前公告并可在线查询？"),
            ],
            filed: ("connection_days", "用电接入平均用时", "Average days to get electricity", "工作日", 2, 30, "低压小微企业用电接入平均用时多少个工作日？"),
            survey: [informal("水电气接入"), days("用电接入", best: 2, worst: 40)],
            docs: ["收费标准公开文件", "服务质量标准", "接入业务系统记录"]),
        topic(
            "br_labor", "劳动用工（B-READY）", "Labor", "劳动法规、就业服务和劳动争议处理。",
            regulatory: [
                Question(code: "written_contract", zh: "书面劳动合同和工资支付规定", en: "Written contracts and wage rules", text: "是否有书面劳动合同、工资按时足额支付的规定并严格执行？"),
                Question(code: "social_insurance", zh: "社会保险覆盖", en: "Social insurance coverage", text: "是否将灵活就业人员纳入社会保险覆盖？"),
            ],
            services: [
                Question(code: "job_service", zh: "公共就业服务", en: "Public employment services", text: "是否提供免费的公共就业服务和线上招聘平台？"),
                Question(code: "labor_arbitration", zh: "劳动争议仲裁线上受理", en: "Online labor arbitration", text: "劳动争议仲裁是否可线上申请？"),
            ],
            filed: ("arbitration_days", "劳动争议仲裁平均结案天数", "Average days to resolve labor disputes", "天", 15, 90, "评价周期内劳动争议仲裁案件平均结案天数？"),
            survey: [informal("劳动用工相关事项"), days("劳动争议处理", best: 15, worst: 120)],
            docs: ["劳动合同和工资支付相关文件", "就业服务平台说明", "仲裁案件统计"]),
        topic(
            "br_financial_services", "金融服务（B-READY）", "Financial Services", "担保融资规则、征信服务和融资便利。",
            regulatory: [
                Question(code: "movable_collateral", zh: "动产担保统一登记", en: "Movable collateral registry", text: "动产和权利担保是否实现统一登记？"),
                Question(code: "credit_info_rules", zh: "征信信息保护规定", en: "Credit information rules", text: "是否有企业征信信息采集、使用和异议处理的规定？"),
            ],
            services: [
                Question(code: "credit_platform", zh: "融资信用服务平台", en: "Credit information platform", text: "是否有汇集公共信用信息的融资信用服务平台？"),
                Question(code: "online_loan", zh: "线上融资对接", en: "Online loan matching", text: "企业是否可在线发布融资需求并获得银行对接？"),
            ],
            filed: ("loan_days", "小微企业贷款平均审批天数", "Average days to approve an SME loan", "天", 3, 30, "评价周期内小微企业贷款平均审批天数？"),
            survey: [informal("贷款或担保"), days("贷款审批", best: 3, worst: 45)],
            docs: ["动产担保登记文件", "信用平台说明", "银行贷款审批统计"]),
        topic(
            "br_international_trade", "国际贸易（B-READY）", "International Trade", "通关规则、单一窗口和通关效率。",
            regulatory: [
                Question(code: "trade_rules_public", zh: "进出口规定公开", en: "Published trade rules", text: "进出口管理规定和收费目录是否公开？"),
                Question(code: "advance_ruling", zh: "预裁定制度", en: "Advance rulings", text: "是否可申请海关预裁定？"),
            ],
            services: [
                Question(code: "single_window", zh: "国际贸易“单一窗口”", en: "Single window", text: "是否可通过国际贸易“单一窗口”一次提交全部单证？"),
                Question(code: "e_certificates", zh: "电子证书和电子单证", en: "Electronic certificates", text: "原产地证书等单证是否可电子申领？"),
            ],
            filed: ("clearance_hours", "出口整体通关时间", "Export clearance time", "小时", 1, 72, "评价周期内出口整体通关平均时间（小时）？"),
            survey: [informal("进出口通关"), days("进出口通关", best: 1, worst: 10)],
            docs: ["进出口规定公开文件", "单一窗口使用说明", "通关时间统计"]),
        topic(
            "br_taxation", "税收（B-READY）", "Taxation", "税制透明度、纳税服务和纳税遵从成本。",
            regulatory: [
                Question(code: "tax_rules_public", zh: "税收法规和政策公开", en: "Published tax rules", text: "税收法规、优惠政策是否集中公开并及时更新？"),
                Question(code: "refund_rules", zh: "退税时限规定", en: "Refund time limits", text: "是否规定增值税留抵退税等退税办理时限？"),
            ],
            services: [
                Question(code: "e_filing", zh: "电子申报缴税", en: "Electronic filing and payment", text: "主要税种是否可全程电子申报和缴纳？"),
                Question(code: "tax_helpdesk", zh: "纳税咨询服务", en: "Taxpayer help", text: "是否有 12366 等纳税咨询服务并公开答复时限？"),
            ],
            filed: ("refund_days", "退税平均办理天数", "Average days to receive a refund", "工作日", 1, 30, "评价周期内增值税退税平均办理天数（工作日）？"),
            survey: [informal("纳税和退税"), days("退税", best: 1, worst: 40)],
            docs: ["税收政策公开文件", "电子税务局说明", "退税统计"]),
        topic(
            "br_dispute_resolution", "争议解决（B-READY）", "Dispute Resolution", "诉讼规则、法院服务和商事纠纷解决效率。",
            regulatory: [
                Question(code: "small_claims", zh: "小额诉讼程序", en: "Small claims procedure", text: "商事纠纷是否适用小额诉讼、简易程序？"),
                Question(code: "adr_rules", zh: "调解和仲裁制度", en: "Mediation and arbitration", text: "是否有商事调解和仲裁的制度及与诉讼的衔接？"),
            ],
            services: [
                Question(code: "e_court", zh: "网上立案和电子送达", en: "E-filing and e-service", text: "法院是否支持网上立案、电子送达和在线开庭？"),
                Question(code: "judgments_public", zh: "裁判文书公开", en: "Published judgments", text: "商事裁判文书是否依法公开？"),
            ],
            filed: ("case_days", "商事案件平均审理天数", "Average days to resolve a commercial case", "天", 30, 365, "评价周期内一审商事案件平均审理天数？"),
            survey: [informal("诉讼或仲裁"), days("商事纠纷解决", best: 30, worst: 400)],
            docs: ["诉讼和调解制度文件", "智慧法院系统说明", "审判统计"]),
        topic(
            "br_market_competition", "市场竞争（B-READY）", "Market Competition", "公平竞争规则、政府采购和市场监管。",
            regulatory: [
                Question(code: "fair_competition_review", zh: "公平竞争审查制度", en: "Fair competition review", text: "政策措施出台前是否开展公平竞争审查？"),
                Question(code: "procurement_rules", zh: "政府采购规则公开", en: "Published procurement rules", text: "政府采购规则和采购意向是否提前公开？"),
            ],
            services: [
                Question(code: "e_procurement", zh: "电子化政府采购", en: "E-procurement", text: "政府采购是否全流程电子化，保证金可电子保函替代？"),
                Question(code: "complaint_channel", zh: "不正当竞争投诉渠道", en: "Complaint channel", text: "是否有受理不正当竞争和采购质疑投诉的在线渠道？"),
            ],
            filed: ("payment_days", "政府采购合同资金支付平均天数", "Average days to pay procurement contracts", "天", 5, 60, "评价周期内政府采购合同验收后平均支付天数？"),
            survey: [informal("政府采购或招投标"), days("政府采购货款支付", best: 5, worst: 90)],
            docs: ["公平竞争审查文件", "政府采购公开平台截图", "支付统计"]),
        topic(
            "br_business_insolvency", "企业破产（B-READY）", "Business Insolvency", "破产法规、破产审判服务和办理效率。",
            regulatory: [
                Question(code: "reorganization", zh: "重整和预重整制度", en: "Reorganization procedures", text: "是否有破产重整和预重整制度？"),
                Question(code: "creditor_rights", zh: "债权人参与权利", en: "Creditor participation", text: "债权人是否依法参与重整计划表决和管理人选任监督？"),
            ],
            services: [
                Question(code: "insolvency_platform", zh: "破产信息网上公开", en: "Online insolvency information", text: "破产案件信息是否在全国企业破产重整案件信息网公开？"),
                Question(code: "administrator_pool", zh: "管理人名册和府院联动", en: "Administrator roster", text: "是否有管理人名册和府院联动机制？"),
            ],
            filed: ("insolvency_days", "破产案件平均审理天数", "Average days to resolve insolvency", "天", 180, 1095, "评价周期内审结破产案件平均审理天数？"),
            survey: [informal("破产或重整"), days("破产或重整", best: 180, worst: 1200)],
            docs: ["破产审判制度文件", "府院联动文件", "破产案件统计"]),
    ]
}
