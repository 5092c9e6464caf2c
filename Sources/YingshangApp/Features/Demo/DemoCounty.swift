import YingshangCore

/// The fictional demo county (青山县, code 370799 is not a real county): townships, units and one user per role.
enum DemoCounty {
    /// A demo answer to a questionnaire item that feeds no sub-indicator, in the shape the item asks for.
    /// A list of steps has as many lines as the number of steps answered (`steps`), as the question asks.
    static func freeAnswer(_ item: QuestionnaireItem, steps: String? = nil) -> String {
        switch item.shape ?? .text {
        case .text: return "已落实，详见所附政策文件。"
        case .number: return item.unit == "元" ? "0" : "5"
        case .list:
            let n = steps.flatMap(FiledNumber.parse).map { max(1, min(20, Int($0.rounded()))) } ?? 2
            return (1...n).map { "第 \($0) 个环节" }.joined(separator: "\n")
        case .documents: return "关于进一步优化营商环境的实施意见 县政发〔2022〕12号\n工程建设项目审批制度改革实施方案 县政办发〔2022〕7号"
        }
    }

    static let countyCode = "370799"
    static let countyName = "青山县"

    static let townships: [(String, String)] = [
        ("370799001", "城关街道"), ("370799002", "东城街道"), ("370799003", "西城街道"), ("370799101", "青山镇"),
        ("370799102", "河口镇"), ("370799103", "柳林镇"), ("370799104", "石桥镇"), ("370799105", "白马镇"),
        ("370799106", "龙泉镇"), ("370799201", "杨庄乡"), ("370799202", "新集乡"), ("370799203", "桃园乡"),
    ]

    static let units: [(code: String, name: String, type: UnitType)] = [
        ("SPJ", "青山县行政审批服务局", .governmentDepartment),
        ("YSB", "青山县优化营商环境工作领导小组办公室", .governmentDepartment),
        ("XZF", "青山县人民政府办公室", .governmentDepartment),
        ("SCJG", "青山县市场监督管理局", .governmentDepartment),
        ("SWJ", "国家税务总局青山县税务局", .governmentDepartment),
        ("ZRZY", "青山县自然资源局", .governmentDepartment),
        ("ZJJ", "青山县住房和城乡建设局", .governmentDepartment),
        ("RSJ", "青山县人力资源和社会保障局", .governmentDepartment),
        ("GAJ", "青山县公安局", .governmentDepartment),
        ("CZJ", "青山县财政局", .governmentDepartment),
        ("FGJ", "青山县发展和改革局", .governmentDepartment),
        ("SWUJ", "青山县商务局", .governmentDepartment),
        ("GXJ", "青山县工业和信息化局", .governmentDepartment),
        ("KJJ", "青山县科学技术局", .governmentDepartment),
        ("SLJ", "青山县水利局", .governmentDepartment),
        ("JTJ", "青山县交通运输局", .governmentDepartment),
        ("ZWFW", "青山县政务服务中心", .governmentDepartment),
        ("GGZY", "青山县公共资源交易中心", .governmentDepartment),
        ("YBJ", "青山县医疗保障局", .governmentDepartment),
        ("GD", "国网青山县供电公司", .publicUtility),
        ("SWGS", "青山县水务有限公司", .publicUtility),
        ("RQGS", "青山县燃气有限公司", .publicUtility),
        ("FY", "青山县人民法院", .judicial),
        ("JCY", "青山县人民检察院", .judicial),
        ("RMYH", "中国人民银行青山县支行", .financialInstitution),
        ("PGJG", "第三方评估机构（示范评估有限公司）", .thirdParty),
    ]

    /// One demo account per role (the three administrators separate: 三员分立); the unit head and filer belong to 市场监管局 (lead unit of 开办企业),
    /// and a second filer in 税务局 shows unit isolation.
    static let users: [(username: String, displayName: String, role: Role, unitCode: String)] = [
        ("admin", "系统管理员", .admin, "SPJ"),
        ("secadmin", "安全管理员", .securityAdmin, "SPJ"),
        ("auditor", "审计管理员", .auditAdmin, "SPJ"),
        ("coordinator", "王审批（营商办）", .coordinator, "SPJ"),
        ("leader", "李县长", .leader, "XZF"),
        ("unithead", "张局长（市场监管局）", .unitHead, "SCJG"),
        ("filer", "刘填报（市场监管局）", .filer, "SCJG"),
        ("filer_tax", "陈填报（税务局）", .filer, "SWJ"),
        ("assessor", "赵评估（第三方）", .assessor, "PGJG"),
    ]
}
