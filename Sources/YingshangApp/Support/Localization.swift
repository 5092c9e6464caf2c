import Foundation
import Vapor
import YingshangCore

/// UI strings: Simplified Chinese first, English as the second locale (`?lang=en`).
enum Locale2: String {
    case zh = "zh-CN"
    case en = "en"

    static func current(_ req: Request) -> Locale2 {
        if let q = req.query[String.self, at: "lang"] {
            let chosen: Locale2 = q.lowercased().hasPrefix("en") ? .en : .zh
            req.session.data["lang"] = chosen.rawValue
            return chosen
        }
        return req.hasSession ? (req.session.data["lang"].flatMap(Locale2.init(rawValue:)) ?? .zh) : .zh
    }
}

enum L10n {
    static func strings(_ lang: Locale2) -> [String: String] {
        lang == .en ? en : zh
    }

    static func roleName(_ role: Role, _ lang: Locale2) -> String {
        lang == .en ? role.englishName : role.chineseName
    }

    static let zh: [String: String] = [
        "app_name": "营商环境考核评价平台",
        "app_short": "营商评价",
        "home": "首页", "organization": "组织机构", "regions": "行政区划", "units": "单位", "users": "用户",
        "audit": "审计日志", "security_policy": "安全策略", "account": "我的账户", "change_password": "修改密码", "logout": "退出登录",
        "login": "登录", "username": "用户名", "password": "密码", "soon": "即将上线",
        "indicators": "指标体系", "campaigns": "评价任务", "filings": "数据填报", "review": "填报审核",
        "verification": "信息核验", "scoring": "评分与报告", "rectification": "整改提升", "library": "经验与政策", "dispatch": "每日调度", "calendar": "节假日", "questions": "答疑", "notifications": "通知",
        "search": "搜索", "new": "新建", "edit": "编辑", "delete": "删除", "save": "保存", "cancel": "取消",
        "code": "代码", "name": "名称", "type": "类型", "level": "层级", "parent": "上级区划", "region": "所属区划",
        "contact": "联系方式", "unit": "所属单位", "role": "角色", "display_name": "姓名", "status": "状态",
        "active": "启用", "inactive": "停用", "locked": "已锁定", "actions": "操作", "none": "无",
        "prev": "上一页", "next": "下一页", "total": "共", "records": "条", "page": "页",
        "confirm_delete": "确认删除", "confirm_delete_hint": "删除后无法恢复。确定要删除以下记录吗？",
        "current_password": "当前密码", "new_password": "新密码", "confirm_password": "确认新密码",
        "password_rules": "至少 8 位，须同时包含字母和数字，不能与用户名相同。",
        "lockout_rule": "连续 5 次密码错误，账户将被锁定 15 分钟。",
        "when": "时间", "who": "操作人", "what": "操作", "entity": "对象", "before": "修改前", "after": "修改后",
        "ip": "IP 地址", "filter": "筛选", "all": "全部", "switch_lang": "English", "switch_lang_code": "en",
        "welcome": "欢迎", "your_role": "您的角色", "your_unit": "所属单位",
        "reset_password": "重置密码", "leave_blank_keep": "留空则不修改密码",
        "back": "返回", "no_records": "暂无记录",
    ]

    static let en: [String: String] = [
        "app_name": "Business Environment Assessment Platform",
        "app_short": "Yingshang",
        "home": "Home", "organization": "Organisation", "regions": "Regions", "units": "Units", "users": "Users",
        "audit": "Audit log", "security_policy": "Security policy", "account": "My account", "change_password": "Change password", "logout": "Log out",
        "login": "Log in", "username": "Username", "password": "Password", "soon": "Coming soon",
        "indicators": "Indicators", "campaigns": "Campaigns", "filings": "Filing", "review": "Review",
        "verification": "Verification", "scoring": "Scores & report", "rectification": "Rectification", "library": "Practices & policies",
        "dispatch": "Daily dispatch", "calendar": "Holidays", "questions": "Questions", "notifications": "Notifications",
        "search": "Search", "new": "New", "edit": "Edit", "delete": "Delete", "save": "Save", "cancel": "Cancel",
        "code": "Code", "name": "Name", "type": "Type", "level": "Level", "parent": "Parent region",
        "region": "Region", "contact": "Contact", "unit": "Unit", "role": "Role", "display_name": "Full name",
        "status": "Status", "active": "Active", "inactive": "Disabled", "locked": "Locked", "actions": "Actions",
        "none": "None", "prev": "Previous", "next": "Next", "total": "Total", "records": "records", "page": "page",
        "confirm_delete": "Confirm deletion",
        "confirm_delete_hint": "This cannot be undone. Delete the following record?",
        "current_password": "Current password", "new_password": "New password",
        "confirm_password": "Confirm new password",
        "password_rules": "At least 8 characters with letters and digits, not the username.",
        "lockout_rule": "After 5 wrong passwords in a row the account is locked for 15 minutes.",
        "when": "When", "who": "Who", "what": "Action", "entity": "Record", "before": "Before", "after": "After",
        "ip": "IP", "filter": "Filter", "all": "All", "switch_lang": "中文", "switch_lang_code": "zh",
        "welcome": "Welcome", "your_role": "Your role", "your_unit": "Your unit",
        "reset_password": "Reset password", "leave_blank_keep": "Leave blank to keep the password",
        "back": "Back", "no_records": "No records",
    ]
}

/// Times are stored in UTC and shown in Asia/Shanghai.
enum DisplayTime {
    static let formatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600)
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f
    }()

    static func format(_ date: Date?) -> String {
        guard let date else { return "" }
        return formatter.string(from: date)
    }
}
