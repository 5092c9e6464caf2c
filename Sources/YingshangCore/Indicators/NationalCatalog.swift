/// The 18 indicators of the national business-environment evaluation (REFERENCE.md), with realistic
/// sub-indicators, questionnaires and filing guides. Frontier/worst values are sensible county-level defaults
/// that each county adjusts to the provincial frontier table.
public enum NationalCatalog {
    static func num(
        _ code: String, _ zh: String, _ en: String, unit: String, _ dir: Direction, best: Double, worst: Double,
        weight: Double = 1
    ) -> SubIndicatorSpec {
        SubIndicatorSpec(
            code: code, nameZh: zh, nameEn: en, kind: .number, unit: unit, direction: dir, best: best, worst: worst,
            weight: weight, evidenceRequired: true)
    }

    static func yn(_ code: String, _ zh: String, _ en: String, weight: Double = 1) -> SubIndicatorSpec {
        SubIndicatorSpec(code: code, nameZh: zh, nameEn: en, kind: .yesNo, weight: weight, evidenceRequired: true)
    }

    static func q(
        _ code: String, _ dim: Dimension, _ text: String, _ help: String = "", sub: String? = nil, shape: AnswerShape? = nil,
        unit: String? = nil
    ) -> QuestionnaireItem {
        QuestionnaireItem(code: code, dimension: dim, text: text, help: help, subIndicatorCode: sub, shape: shape, unit: unit)
    }

    /// "List the steps, one per line" beside the number of steps, so a question never asks for a list in a number box.
    static func stepList(_ example: String = "") -> QuestionnaireItem {
        q("q1a", .steps, "请按办理顺序逐一列出各环节（每行一个，合并办理的写在同一行）。", example.isEmpty ? "行数应与上一题的环节数一致。" : "如：\(example)。行数应与上一题的环节数一致。", shape: .list)
    }

    static func guide(_ name: String, _ scope: String, _ docs: [String]) -> FilingGuide {
        let list = docs.map { "- \($0)" }.joined(separator: "\n")
        let md = """
            ## \(name)填报指引

            **评价范围**：\(scope)

            ### 填报要求
            1. 按问卷逐项填报，数据口径为评价周期内（上年 10 月 1 日至当年 9 月 30 日）全县实际办理情况。
            2. 环节、时间、成本、材料须与办事指南和业务系统记录一致，时间按**工作日**计算。
            3. 每项数据须附印证资料；政策文件须为正式印发版本，注明文号和印发日期。
            4. 有疑问请及时与审批局沟通，统一填报尺度。

            ### 需提供的政策文件和印证资料
            \(list)
            """
        return FilingGuide(markdown: md, requiredDocuments: docs)
    }

    /// A default for indicators without a detailed questionnaire: steps, time, documents, cost, safeguards.
    static func standard(_ code: String, _ zh: String, _ en: String, _ description: String, scope: String, docs: [String])
        -> IndicatorSpec
    {
        IndicatorSpec(
            code: code, nameZh: zh, nameEn: en, description: description,
            subIndicators: [
                num("steps", "办理环节", "Procedures", unit: "个", .lowerIsBetter, best: 1, worst: 10),
                num("time", "办理时间", "Time", unit: "工作日", .lowerIsBetter, best: 1, worst: 30),
                num("documents", "申请材料", "Documents", unit: "份", .lowerIsBetter, best: 1, worst: 15),
                yn("safeguards", "制度保障措施健全", "Institutional safeguards in place"),
            ],
            questionnaire: [
                q("q1", .steps, "\(zh)实际办理环节共几个？", "以办事企业实际经历的环节计算，并联办理计 1 个环节。", sub: "steps"),
                stepList(),
                q("q2", .documents, "企业需提交的申请材料共几份？", sub: "documents"),
                q("q2a", .documents, "已实现免提交或由电子证照替代的材料有哪些？（每行一份，没有的填“无”）", shape: .list),
                q("q3", .time, "从申请到办结平均需要多少个工作日？", "以业务系统记录的申请至办结时间计算平均值。", sub: "time"),
                q("q3a", .time, "法定办理时限是多少个工作日？", shape: .number, unit: "工作日"),
                q("q3b", .time, "本县承诺办理时限是多少个工作日？", shape: .number, unit: "工作日"),
                q("q4", .cost, "办理过程中企业需承担的费用合计多少元？（已全部减免的填 0）", shape: .number, unit: "元"),
                q("q5", .safeguards, "本县是否出台了简化环节、减少材料、压缩时限、降低成本的制度文件？", "请在下一题列出文件并附政策文件。", sub: "safeguards"),
                q("q5a", .safeguards, "请逐行列出这些制度文件的名称和文号。", "每行一份，如：关于优化营商环境的实施意见 县政发〔2022〕12号。", shape: .documents),
            ],
            guide: guide(zh, scope, docs))
    }

    public static var catalog: Catalog { Catalog(indicators: indicators) }

    /// Chinese names by code, for pages that show an indicator outside a campaign (library, flags).
    public static let namesByCode: [String: String] = Dictionary(indicators.map { ($0.code, $0.nameZh) }, uniquingKeysWith: { a, _ in a })

    public static let indicators: [IndicatorSpec] = [
        IndicatorSpec(
            code: "starting_business", nameZh: "开办企业", nameEn: "Starting a business",
            description: "企业从设立登记到具备经营条件所需的环节、时间、成本和材料。",
            subIndicators: [
                num("steps", "开办环节", "Procedures", unit: "个", .lowerIsBetter, best: 1, worst: 7),
                num("time", "开办时间", "Time", unit: "工作日", .lowerIsBetter, best: 0.5, worst: 10),
                num("cost", "开办成本", "Cost", unit: "元", .lowerIsBetter, best: 0, worst: 1000),
                num("documents", "申请材料", "Documents", unit: "份", .lowerIsBetter, best: 2, worst: 15),
                yn("one_stop", "实现“一网通办”全程网办", "Fully online one-stop service"),
            ],
            questionnaire: [
                q("q1", .steps, "企业开办实际环节共几个？", "合并办理的环节计为 1 个。", sub: "steps"),
                stepList("设立登记、刻制印章、申领发票和税控设备、员工参保登记、住房公积金缴存登记、银行预约开户"),
                q("q2", .documents, "企业开办全流程需提交几份材料？", "同一材料在多个环节重复提交只计 1 份。", sub: "documents"),
                q("q3", .time, "企业开办全流程平均用时（工作日）？", "以业务系统记录的申请至办结时间计算平均值。", sub: "time"),
                q("q4", .cost, "企业开办需承担的费用（元），包括印章刻制、税控设备等？是否免费？", sub: "cost"),
                q("q5", .safeguards, "是否实现开办企业“一网通办、一窗受理、一次办结”？请附实施文件。", sub: "one_stop"),
                q("q6", .safeguards, "是否向新开办企业免费发放印章、税务 UKey？"),
            ],
            guide: guide(
                "开办企业", "在本县新登记设立的各类企业（不含分支机构）",
                ["开办企业“一网通办”实施方案", "印章免费刻制相关文件", "评价周期内企业开办业务系统记录（导出表）", "办事指南及材料清单"])),
        standard(
            "labor_market", "劳动力市场监管", "Labour market regulation", "就业服务、劳动用工监管和劳动争议处理。",
            scope: "评价周期内本县劳动就业、社会保险和劳动争议处理工作",
            docs: ["就业服务相关政策文件", "劳动争议仲裁案件统计", "欠薪治理工作文件"]),
        IndicatorSpec(
            code: "construction_permits", nameZh: "办理建筑许可", nameEn: "Dealing with construction permits",
            description: "社会投资简易低风险项目从立项到竣工验收、获得不动产登记的全流程。",
            subIndicators: [
                num("steps", "办理环节", "Procedures", unit: "个", .lowerIsBetter, best: 6, worst: 25),
                num("time", "办理时间", "Time", unit: "工作日", .lowerIsBetter, best: 20, worst: 150),
                num("cost", "办理成本（占工程造价）", "Cost (% of warehouse value)", unit: "%", .lowerIsBetter, best: 0.5, worst: 5),
                num("quality_index", "建筑质量控制指数", "Building quality control index", unit: "分", .higherIsBetter, best: 15, worst: 0),
                yn("joint_review", "实行联合审图、联合验收", "Joint plan review and joint acceptance"),
            ],
            questionnaire: [
                q("q1", .steps, "工程建设项目审批（立项用地规划、工程建设许可、施工许可、竣工验收）共几个环节？", sub: "steps"),
                q("q2", .documents, "各阶段申请材料清单及份数（每行一个阶段，如：施工许可 6 份）。", shape: .list),
                q("q3", .time, "社会投资简易低风险项目全流程审批平均用时（工作日）？", "以工程建设项目审批管理系统数据为准。", sub: "time"),
                q("q4", .cost, "各环节收费项目及金额（占工程造价百分比）？", sub: "cost"),
                q("q5", .safeguards, "是否实行联合审图、联合验收、区域评估？", sub: "joint_review"),
                q("q6", .safeguards, "建筑质量控制指数各分项得分（设计审查、施工监管、竣工验收、责任保险、专业资格）。", sub: "quality_index"),
            ],
            guide: guide(
                "办理建筑许可", "评价周期内取得施工许可的社会投资简易低风险项目",
                ["工程建设项目审批制度改革实施方案", "联合审图、联合验收文件", "工程建设项目审批管理系统办件记录", "收费依据文件"])),
        standard(
            "government_procurement", "政府采购", "Government procurement", "政府采购的透明度、便利度和公平竞争。",
            scope: "评价周期内本县政府采购项目",
            docs: ["政府采购电子化交易相关文件", "政府采购合同及支付记录", "政府采购意向公开情况"]),
        standard(
            "bidding", "招标投标", "Tendering and bidding", "招标投标全流程电子化和公平竞争。",
            scope: "评价周期内进入公共资源交易中心的工程建设项目",
            docs: ["招标投标全流程电子化文件", "保证金退还记录", "投诉处理记录"]),
        IndicatorSpec(
            code: "getting_electricity", nameZh: "获得电力", nameEn: "Getting electricity",
            description: "低压小微企业从申请到接电的环节、时间、成本及供电可靠性。",
            subIndicators: [
                num("steps", "办电环节", "Procedures", unit: "个", .lowerIsBetter, best: 2, worst: 6),
                num("time", "办电时间", "Time", unit: "工作日", .lowerIsBetter, best: 3, worst: 40),
                num("cost", "办电成本", "Cost", unit: "元", .lowerIsBetter, best: 0, worst: 20000),
                num("reliability", "供电可靠率", "Reliability of supply", unit: "%", .higherIsBetter, best: 99.99, worst: 99.0),
                yn("zero_cost", "低压小微企业“三零”服务", "Zero visits, zero approval, zero cost for small customers"),
            ],
            questionnaire: [
                q("q1", .steps, "低压小微企业办电实际环节共几个？", sub: "steps"),
                stepList("用电申请、现场勘查、外线工程施工、装表接电"),
                q("q2", .documents, "办电需提交几份材料？是否实现“一证办电”？"),
                q("q3", .time, "低压办电平均用时（工作日），含外线工程行政审批时间？", sub: "time"),
                q("q4", .cost, "企业承担的办电费用（元）？", sub: "cost"),
                q("q5", .safeguards, "城区、农村供电可靠率（%）？", sub: "reliability"),
                q("q6", .safeguards, "是否对低压小微企业实行“三零”服务？请附文件。", sub: "zero_cost"),
            ],
            guide: guide(
                "获得电力", "评价周期内新装的 160 千伏安及以下低压小微企业用户",
                ["优化用电营商环境实施方案", "低压办电业务系统记录", "供电可靠性统计报表", "外线工程审批并联办理文件"])),
        standard(
            "water_gas", "获得用水用气", "Getting water and gas", "用水用气报装的环节、时间、成本和服务质量。",
            scope: "评价周期内新报装的非居民用水、用气用户",
            docs: ["用水用气报装服务标准", "报装业务系统记录", "收费标准文件"]),
        IndicatorSpec(
            code: "registering_property", nameZh: "登记财产", nameEn: "Registering property",
            description: "企业间存量非住宅转移登记的环节、时间、成本和土地管理质量。",
            subIndicators: [
                num("steps", "登记环节", "Procedures", unit: "个", .lowerIsBetter, best: 1, worst: 8),
                num("time", "登记时间", "Time", unit: "工作日", .lowerIsBetter, best: 1, worst: 30),
                num("cost", "登记成本（占财产价值）", "Cost (% of property value)", unit: "%", .lowerIsBetter, best: 0.1, worst: 5),
                num("land_quality", "土地管理质量指数", "Quality of land administration index", unit: "分", .higherIsBetter, best: 30, worst: 0),
                yn("one_window", "不动产登记“一窗受理、集成服务”", "One-window integrated registration"),
            ],
            questionnaire: [
                q("q1", .steps, "企业间存量非住宅转移登记实际环节共几个（含税费缴纳）？", sub: "steps"),
                stepList("申请登记、缴纳税费、登簿发证"),
                q("q2", .documents, "需提交的申请材料及份数？"),
                q("q3", .time, "一般登记、抵押登记平均办理时间（工作日）？", sub: "time"),
                q("q4", .cost, "登记费用及相关税费占财产价值的比例（%）？", sub: "cost"),
                q("q5", .safeguards, "是否实现“一窗受理、并行办理”？是否实现网上查询？", sub: "one_window"),
                q("q6", .safeguards, "土地管理质量指数各分项（基础设施可靠性、信息透明度、地理覆盖、争议解决、平等获取）。", sub: "land_quality"),
            ],
            guide: guide(
                "登记财产", "评价周期内办理的企业间存量非住宅转移登记",
                ["不动产登记“一窗受理”实施文件", "不动产登记系统办件记录", "收费依据文件", "登记簿查询服务文件"])),
        standard(
            "getting_credit", "获得信贷", "Getting credit", "小微企业融资便利度和信用信息共享。",
            scope: "评价周期内辖区银行业金融机构对小微企业的贷款",
            docs: ["普惠金融相关政策", "小微企业贷款统计", "动产融资统一登记情况"]),
        standard(
            "protecting_investors", "保护中小投资者", "Protecting minority investors", "中小投资者权益保护和公司治理。",
            scope: "评价周期内涉及中小投资者的案件和监管工作",
            docs: ["中小投资者保护相关文件", "相关案件审理统计"]),
        standard(
            "intellectual_property", "知识产权创造、保护和运用", "Intellectual property", "知识产权创造、运用、保护和服务。",
            scope: "评价周期内本县知识产权工作",
            docs: ["知识产权保护工作方案", "专利商标统计", "侵权案件处理记录"]),
        standard(
            "cross_border_trade", "跨境贸易", "Trading across borders", "进出口通关的时间和成本。",
            scope: "评价周期内本县外贸企业进出口业务",
            docs: ["跨境贸易便利化措施文件", "通关时间统计"]),
        IndicatorSpec(
            code: "paying_taxes", nameZh: "纳税", nameEn: "Paying taxes",
            description: "企业纳税次数、时间、总税收和缴费率及报税后流程。",
            subIndicators: [
                num("payments", "纳税次数", "Payments", unit: "次/年", .lowerIsBetter, best: 3, worst: 20),
                num("time", "纳税时间", "Time", unit: "小时/年", .lowerIsBetter, best: 50, worst: 300),
                num("total_rate", "总税收和缴费率", "Total tax and contribution rate", unit: "%", .lowerIsBetter, best: 20, worst: 70),
                num("postfiling", "报税后流程指数", "Post-filing index", unit: "分", .higherIsBetter, best: 100, worst: 0),
                yn("online_filing", "主要税种网上申报", "Online filing of main taxes"),
            ],
            questionnaire: [
                q("q1", .steps, "企业一年内需缴纳税费的次数（按税种和申报期计算）？", sub: "payments"),
                q("q2", .documents, "纳税申报需报送的资料？是否实现财务报表与纳税申报表数据转换？"),
                q("q3", .time, "企业准备、申报、缴纳增值税、企业所得税和社保费的年均耗时（小时）？", sub: "time"),
                q("q4", .cost, "样本企业总税收和缴费率（%）？", sub: "total_rate"),
                q("q5", .time, "增值税留抵退税平均办理时间（工作日）？", "属报税后流程指数。", sub: "postfiling"),
                q("q6", .safeguards, "主要税种是否实现网上申报、“非接触式”办税？", sub: "online_filing"),
            ],
            guide: guide(
                "纳税", "评价周期内在本县登记纳税的企业",
                ["便民办税缴费相关文件", "电子税务局申报数据统计", "留抵退税办理记录"])),
        standard(
            "enforcing_contracts", "执行合同", "Enforcing contracts", "商事合同纠纷的解决时间、成本和司法程序质量。",
            scope: "评价周期内本县法院审结的买卖合同纠纷案件",
            docs: ["诉讼服务相关文件", "案件审理时长统计", "诉讼费用减免文件"]),
        standard(
            "resolving_insolvency", "办理破产", "Resolving insolvency", "企业破产案件的时间、成本、回收率和破产框架质量。",
            scope: "评价周期内本县法院审结的破产案件",
            docs: ["府院联动机制文件", "破产案件审理统计"]),
        standard(
            "market_regulation", "市场监管", "Market regulation", "“双随机、一公开”监管、信用监管和执法规范。",
            scope: "评价周期内本县市场监管工作",
            docs: ["“双随机、一公开”抽查计划和结果", "信用修复办理记录", "包容审慎监管清单"]),
        IndicatorSpec(
            code: "government_services", nameZh: "政务服务", nameEn: "Government services",
            description: "政务服务事项网上可办、一窗受理、时限压缩和好差评。",
            subIndicators: [
                num("online_rate", "政务服务事项网上可办率", "Share of services available online", unit: "%", .higherIsBetter, best: 100, worst: 60),
                num("one_window_rate", "“一窗综合受理”率", "Share handled at integrated windows", unit: "%", .higherIsBetter, best: 100, worst: 50),
                num("time_cut", "承诺时限压缩比例", "Reduction of promised time limits", unit: "%", .higherIsBetter, best: 90, worst: 30),
                num("bad_review_fixed", "差评整改率", "Share of negative reviews resolved", unit: "%", .higherIsBetter, best: 100, worst: 80),
                yn("helper_service", "建立帮办代办服务机制", "Assisted service (帮办代办) in place"),
            ],
            questionnaire: [
                q("q1", .steps, "依申请政务服务事项总数及网上可办事项数？", "网上可办率 = 网上可办事项数 ÷ 事项总数。", sub: "online_rate"),
                q("q2", .documents, "已实现电子证照免提交的材料数？"),
                q("q3", .time, "事项承诺办结时限比法定时限平均压缩比例（%）？", sub: "time_cut"),
                q("q4", .cost, "政务服务是否全面免费？是否提供免费邮寄服务？"),
                q("q5", .steps, "进驻政务服务中心事项中“一窗综合受理”的比例（%）？", sub: "one_window_rate"),
                q("q6", .safeguards, "“好差评”差评整改率（%）？", sub: "bad_review_fixed"),
                q("q7", .safeguards, "是否建立帮办代办、“办不成事”反映窗口等机制？", sub: "helper_service"),
            ],
            guide: guide(
                "政务服务", "本县政务服务中心及各部门依申请政务服务事项",
                ["政务服务事项目录", "“一窗受理”改革文件", "“好差评”系统统计", "帮办代办制度文件"])),
        standard(
            "inclusive_innovation", "包容普惠创新", "Inclusive and innovative development", "创新创业活跃度、人才流动、市场开放、基本公共服务和蓝天碧水等。",
            scope: "评价周期内本县经济社会发展相关工作",
            docs: ["创新创业扶持政策", "公共服务统计数据", "生态环境质量公报"]),
    ]
}
