import Foundation
import YingshangCore

/// The hand-written OpenAPI 3.1 description of `/api/v1`; a test checks every path here is a real route.
enum OpenAPIDocument {
    struct Operation {
        let method: String
        let path: String
        let summary: String
        let tag: String
        let secured: Bool
        let body: String?
        let response: String?
        let status: String
    }

    static let operations: [Operation] = [
        .init(method: "post", path: "/api/v1/auth/login", summary: "用户名密码登录，换取访问令牌", tag: "auth", secured: false,
              body: "LoginRequest", response: "LoginResponse", status: "200"),
        .init(method: "post", path: "/api/v1/auth/logout", summary: "注销当前令牌", tag: "auth", secured: true,
              body: nil, response: nil, status: "204"),
        .init(method: "get", path: "/api/v1/me", summary: "当前用户", tag: "auth", secured: true,
              body: nil, response: "User", status: "200"),
        .init(method: "post", path: "/api/v1/me/password", summary: "修改本人密码", tag: "auth", secured: true,
              body: "PasswordChange", response: nil, status: "204"),
        .init(method: "get", path: "/api/v1/regions", summary: "行政区划列表（q, page, per）", tag: "organization",
              secured: true, body: nil, response: "RegionList", status: "200"),
        .init(method: "post", path: "/api/v1/regions", summary: "新建行政区划", tag: "organization", secured: true,
              body: "RegionInput", response: "Region", status: "201"),
        .init(method: "get", path: "/api/v1/regions/{id}", summary: "行政区划详情", tag: "organization", secured: true,
              body: nil, response: "Region", status: "200"),
        .init(method: "put", path: "/api/v1/regions/{id}", summary: "修改行政区划", tag: "organization", secured: true,
              body: "RegionInput", response: "Region", status: "200"),
        .init(method: "delete", path: "/api/v1/regions/{id}", summary: "删除行政区划", tag: "organization", secured: true,
              body: nil, response: nil, status: "204"),
        .init(method: "get", path: "/api/v1/units", summary: "单位列表（q, page, per）", tag: "organization",
              secured: true, body: nil, response: "UnitList", status: "200"),
        .init(method: "post", path: "/api/v1/units", summary: "新建单位", tag: "organization", secured: true,
              body: "UnitInput", response: "Unit", status: "201"),
        .init(method: "get", path: "/api/v1/units/{id}", summary: "单位详情", tag: "organization", secured: true,
              body: nil, response: "Unit", status: "200"),
        .init(method: "put", path: "/api/v1/units/{id}", summary: "修改单位", tag: "organization", secured: true,
              body: "UnitInput", response: "Unit", status: "200"),
        .init(method: "delete", path: "/api/v1/units/{id}", summary: "删除单位", tag: "organization", secured: true,
              body: nil, response: nil, status: "204"),
        .init(method: "get", path: "/api/v1/users", summary: "用户列表（q, page, per）", tag: "organization",
              secured: true, body: nil, response: "UserList", status: "200"),
        .init(method: "post", path: "/api/v1/users", summary: "新建用户", tag: "organization", secured: true,
              body: "UserInput", response: "User", status: "201"),
        .init(method: "get", path: "/api/v1/users/{id}", summary: "用户详情", tag: "organization", secured: true,
              body: nil, response: "User", status: "200"),
        .init(method: "put", path: "/api/v1/users/{id}", summary: "修改用户（含重置密码）", tag: "organization",
              secured: true, body: "UserInput", response: "User", status: "200"),
        .init(method: "delete", path: "/api/v1/users/{id}", summary: "删除用户", tag: "organization", secured: true,
              body: nil, response: nil, status: "204"),
        .init(method: "get", path: "/api/v1/audit", summary: "审计日志（entityType, action, actor, page, per）",
              tag: "audit", secured: true, body: nil, response: "AuditList", status: "200"),
        .init(method: "get", path: "/api/v1/catalog", summary: "当前指标体系（含版本号）", tag: "catalog", secured: true,
              body: nil, response: "CatalogVersion", status: "200"),
        .init(method: "put", path: "/api/v1/catalog", summary: "替换指标体系（已被评价任务使用时生成新版本）", tag: "catalog",
              secured: true, body: "Catalog", response: "CatalogVersion", status: "200"),
        .init(method: "get", path: "/api/v1/catalog/versions", summary: "指标体系版本列表", tag: "catalog", secured: true,
              body: nil, response: "CatalogVersionList", status: "200"),
        .init(method: "get", path: "/api/v1/campaigns", summary: "评价任务列表", tag: "campaigns", secured: true,
              body: nil, response: "CampaignArray", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns", summary: "新建评价任务", tag: "campaigns", secured: true,
              body: "CampaignInput", response: "Campaign", status: "201"),
        .init(method: "get", path: "/api/v1/campaigns/{id}", summary: "评价任务详情", tag: "campaigns", secured: true,
              body: nil, response: "Campaign", status: "200"),
        .init(method: "put", path: "/api/v1/campaigns/{id}", summary: "修改评价任务", tag: "campaigns", secured: true,
              body: "CampaignInput", response: "Campaign", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/start", summary: "启动评价（每项指标须有牵头单位）",
              tag: "campaigns", secured: true, body: nil, response: "Campaign", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/carry-over",
              summary: "复制为下一年度（指标、地区、顺延的阶段、责任分工、加减分规则、预警值/先进值；不含填报和评分）",
              tag: "campaigns", secured: true, body: "CarryOverInput", response: "Campaign", status: "201"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/rounds",
              summary: "常态化监测轮次（填报窗口、报送进度、是否评分）和各轮得分趋势（仅可看评分的角色）",
              tag: "campaigns", secured: true, body: nil, response: "RoundList", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/rounds",
              summary: "新建监测轮次（月度或季度；沿用责任分工、加减分规则和预警值/先进值；同一时段只能一轮，重复返回 409）",
              tag: "campaigns", secured: true, body: "RoundInput", response: "Round", status: "201"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/assignments", summary: "责任分工（一指标、一团队、一领队），?region=",
              tag: "campaigns", secured: true, body: nil, response: "AssignmentArray", status: "200"),
        .init(method: "put", path: "/api/v1/campaigns/{id}/assignments/{assignmentID}", summary: "设置牵头、配合单位、领队和团队",
              tag: "campaigns", secured: true, body: "AssignmentInput", response: "Assignment", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/assignments/{assignmentID}/confirm", summary: "单位负责人确认分工",
              tag: "campaigns", secured: true, body: nil, response: "Assignment", status: "200"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/schedule", summary: "填报日程，?region=", tag: "campaigns",
              secured: true, body: nil, response: "ScheduleArray", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/schedule", summary: "按每天 N 个指标生成填报日程",
              tag: "campaigns", secured: true, body: "ScheduleInput", response: "ScheduleArray", status: "200"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/tasks", summary: "工作任务（phase, status, unit, q, page, per）",
              tag: "campaigns", secured: true, body: nil, response: "TaskList", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/tasks", summary: "新建工作任务", tag: "campaigns", secured: true,
              body: "TaskInput", response: "Task", status: "201"),
        .init(method: "put", path: "/api/v1/campaigns/{id}/tasks/{taskID}/status", summary: "更新任务状态（单位用户仅限本单位）",
              tag: "campaigns", secured: true, body: "TaskStatusInput", response: "Task", status: "200"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/dispatch", summary: "每日调度（?region=&date=），单位负责人仅见本单位",
              tag: "dispatch", secured: true, body: nil, response: "Dispatch", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/filings/{indicator}", summary: "打开（或创建）某指标的填报，?region=",
              tag: "filings", secured: true, body: nil, response: "Filing", status: "200"),
        .init(method: "get", path: "/api/v1/filings/{filingID}", summary: "填报详情（答案、附件、流转记录）", tag: "filings",
              secured: true, body: nil, response: "Filing", status: "200"),
        .init(method: "put", path: "/api/v1/filings/{filingID}", summary: "保存草稿（须带 version；版本已变返回 409）",
              tag: "filings", secured: true, body: "FilingSave", response: "Filing", status: "200"),
        .init(method: "post", path: "/api/v1/filings/{filingID}/transitions",
              summary: "流转：submit 提交、approve 单位审核、return 退回（须填原因）、accept 审批局通过、reopen 重新打开",
              tag: "filings", secured: true, body: "FilingTransition", response: "Filing", status: "200"),
        .init(method: "put", path: "/api/v1/filings/{filingID}/evidence",
              summary: "上传印证资料：请求体为文件原始内容，?name=文件名&item=题目代码&issued=政策文件印发日期（可选，YYYY-MM-DD）；按内容校验类型，SHA-256 存储",
              tag: "filings", secured: true, body: nil, response: "Attachment", status: "201"),
        .init(method: "post", path: "/api/v1/filings/{filingID}/contributions", summary: "牵头单位把题目分配给配合单位",
              tag: "filings", secured: true, body: "AssignItems", response: "ContributionArray", status: "200"),
        .init(method: "put", path: "/api/v1/filings/{filingID}/contribution", summary: "配合单位保存或提交本单位的题目",
              tag: "filings", secured: true, body: "Contribution", response: "ContributionArray", status: "200"),
        .init(method: "post", path: "/api/v1/filings/{filingID}/contributions/{contributionID}/merge",
              summary: "牵头单位合并配合单位已提交的答案", tag: "filings", secured: true, body: nil, response: "Filing", status: "200"),
        .init(method: "put", path: "/api/v1/campaigns/{id}/tasks/{taskID}/attachments",
              summary: "为任务上传附件：请求体为文件原始内容，?name=文件名", tag: "campaigns", secured: true, body: nil,
              response: "Attachment", status: "201"),
        .init(method: "get", path: "/api/v1/jobs/{jobID}", summary: "后台导入任务的进度和错误", tag: "verification",
              secured: true, body: nil, response: nil, status: "200"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/survey-template", summary: "企业问卷模板", tag: "verification",
              secured: true, body: nil, response: nil, status: "200"),
        .init(method: "put", path: "/api/v1/campaigns/{id}/survey-template", summary: "修改企业问卷模板（已发放则生成新版本）",
              tag: "verification", secured: true, body: nil, response: nil, status: "200"),
        .init(method: "post", path: "/api/v1/feeds/records",
              summary: "部门业务系统推送办件记录（数据接口密钥 Bearer yk_…；请求头 Idempotency-Key；整批校验，全部接收或全部拒收；同一标识同一内容重发返回原回执 200）",
              tag: "feeds", secured: true, body: "FeedBatch", response: "FeedReceipt", status: "201"),
        .init(method: "post", path: "/api/v1/survey-responses",
              summary: "企业提交问卷 {\"token\",\"answers\"}：落库后返回 201；相同内容重复提交返回 200 already_received",
              tag: "verification", secured: false, body: "SurveySubmission", response: nil, status: "201"),
        .init(method: "get", path: "/api/v1/questions", summary: "答疑列表（?status=&indicator=），单位用户见本单位和公开问题",
              tag: "questions", secured: true, body: nil, response: "QuestionArray", status: "200"),
        .init(method: "post", path: "/api/v1/questions", summary: "提问", tag: "questions", secured: true,
              body: "QuestionInput", response: "Question", status: "201"),
        .init(method: "get", path: "/api/v1/questions/{questionID}", summary: "问题及回复", tag: "questions", secured: true,
              body: nil, response: "Question", status: "200"),
        .init(method: "post", path: "/api/v1/questions/{questionID}/replies", summary: "回复（审批局回复即为答复）",
              tag: "questions", secured: true, body: "ReplyInput", response: "Question", status: "200"),
        .init(method: "get", path: "/api/v1/notifications", summary: "我的站内通知", tag: "questions", secured: true,
              body: nil, response: "NotificationArray", status: "200"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/scores",
              summary: "最近一次评分：各地区综合得分与排名、指标与二级指标得分、数据来源和计算说明；未评分返回 409",
              tag: "scoring", secured: true, body: nil, response: "ScoringRun", status: "200"),
        .init(method: "post", path: "/api/v1/campaigns/{id}/scoring-runs",
              summary: "按当前已通过的填报、核验值、问卷满意度和对标数据评分并保存（可复算）；权重之和为 0 返回 422",
              tag: "scoring", secured: true, body: nil, response: "ScoringRun", status: "201"),
        .init(method: "get", path: "/api/v1/rectifications", summary: "整改台账（?campaign=&status=&overdue=1&q=），单位用户仅见本单位",
              tag: "rectification", secured: true, body: nil, response: "RectificationArray", status: "200"),
        .init(method: "post", path: "/api/v1/rectifications", summary: "新建整改事项（查问题、摆原因、找差距、定措施）",
              tag: "rectification", secured: true, body: "RectificationInput", response: "Rectification", status: "201"),
        .init(method: "get", path: "/api/v1/campaigns/{id}/flags", summary: "核验问题（?status=&rule=），单位用户仅见本单位",
              tag: "verification", secured: true, body: nil, response: "FlagArray", status: "200"),
        .init(method: "post", path: "/api/v1/flags/{flagID}/decision", summary: "评估机构结论 {\"status\": confirmed|dismissed, \"note\"}（理由必填）",
              tag: "verification", secured: true, body: "FlagDecision", response: "Flag", status: "200"),
        .init(method: "post", path: "/api/v1/flags/{flagID}/response", summary: "责任单位在答复期限内提交情况说明 {\"response\"}；逾期返回 409",
              tag: "verification", secured: true, body: "FlagResponse", response: "Flag", status: "200"),
        .init(method: "get", path: "/api/v1/openapi.json", summary: "本文档", tag: "operations", secured: false,
              body: nil, response: nil, status: "200"),
    ]

    static func string(_ d: String? = nil) -> [String: Any] { d.map { ["type": "string", "description": $0] } ?? ["type": "string"] }
    /// A string the server requires to be non-empty.
    static func text(_ d: String? = nil) -> [String: Any] { string(d).merging(["minLength": 1]) { _, b in b } }

    /// Statuses an operation returns besides those every operation of its kind does (see `document`).
    static let extraStatuses: [String: [String]] = [
        "post /api/v1/auth/login": ["401"],
        "get /api/v1/campaigns/{id}/scores": ["409"],
        "get /api/v1/jobs/{jobID}": [],
        "post /api/v1/survey-responses": ["200", "404", "409", "410"],
        "post /api/v1/feeds/records": ["200"],
        // Starting needs a lead unit for every indicator.
        "post /api/v1/campaigns/{id}/start": ["422"],
        // The same period twice.
        "post /api/v1/campaigns/{id}/rounds": ["409"],
        "put /api/v1/filings/{filingID}/evidence": ["413", "415", "422"],
        "put /api/v1/campaigns/{id}/tasks/{taskID}/attachments": ["413", "415", "422"],
        "put /api/v1/campaigns/{id}/survey-template": ["413", "415", "422"],
    ]

    /// Operations whose body is the raw file, not JSON.
    static let rawBody: Set<String> = ["put /api/v1/filings/{filingID}/evidence", "put /api/v1/campaigns/{id}/tasks/{taskID}/attachments"]
    static var uuid: [String: Any] { ["type": "string", "format": "uuid"] }
    /// Properties that are not required may also be sent as null (the server reads null as absent).
    static func object(_ props: [String: Any], required: [String] = []) -> [String: Any] {
        var properties: [String: Any] = [:]
        for (name, schema) in props {
            if !required.contains(name), var s = schema as? [String: Any], let type = s["type"] as? String {
                s["type"] = [type, "null"]
                properties[name] = s
            } else {
                properties[name] = schema
            }
        }
        return ["type": "object", "properties": properties, "required": required]
    }
    static func list(_ item: String) -> [String: Any] {
        object(
            ["items": ["type": "array", "items": ["$ref": "#/components/schemas/\(item)"]],
             "page": ["type": "integer"], "per": ["type": "integer"], "total": ["type": "integer"]],
            required: ["items", "page", "per", "total"])
    }

    static var schemas: [String: Any] {
        [
            "Error": object(
                ["error": object(
                    ["code": string(), "message": string("中文说明"),
                     "fields": ["type": "object", "additionalProperties": ["type": "string"]]],
                    required: ["code", "message"])], required: ["error"]),
            "LoginRequest": object(["username": text(), "password": text()], required: ["username", "password"]),
            "SurveySubmission": object(
                ["token": string("问卷链接中的令牌"), "answers": ["type": "object", "additionalProperties": ["type": "string"]],
                 "final": ["type": "boolean"]], required: ["token", "answers"]),
            "LoginResponse": object(
                ["token": string(), "expiresAt": ["type": "string", "format": "date-time"],
                 "user": ["$ref": "#/components/schemas/User"]], required: ["token", "expiresAt", "user"]),
            "PasswordChange": object(["currentPassword": string(), "newPassword": string()],
                                     required: ["currentPassword", "newPassword"]),
            "Region": object(["id": uuid, "code": string("行政区划代码"), "name": string(),
                              "level": ["type": "string", "enum": RegionLevel.allCases.map(\.rawValue)],
                              "parentID": uuid], required: ["id", "code", "name", "level"]),
            "RegionInput": object(["code": string(), "name": string(),
                                   "level": ["type": "string", "enum": RegionLevel.allCases.map(\.rawValue)],
                                   "parentID": uuid], required: ["code", "name", "level"]),
            "RegionList": list("Region"),
            "Unit": object(["id": uuid, "code": string(), "name": string(),
                            "type": ["type": "string", "enum": UnitType.allCases.map(\.rawValue)],
                            "typeName": string(), "regionID": uuid, "contact": string()],
                           required: ["id", "code", "name", "type"]),
            "UnitInput": object(["code": string(), "name": string(),
                                 "type": ["type": "string", "enum": UnitType.allCases.map(\.rawValue)],
                                 "regionID": uuid, "contact": string()], required: ["code", "name", "type"]),
            "UnitList": list("Unit"),
            "User": object(["id": uuid, "username": string(), "displayName": string(),
                            "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)], "roleName": string(),
                            "unitID": uuid, "isActive": ["type": "boolean"],
                            "lockedUntil": ["type": "string", "format": "date-time"]],
                           required: ["id", "username", "displayName", "role", "unitID", "isActive"]),
            "UserInput": object(["username": string(), "displayName": string(),
                                 "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)],
                                 "unitID": uuid, "password": string("新建时必填；修改时填写即重置"),
                                 "isActive": ["type": "boolean"],
                                 "regionIDs": ["type": "array", "items": uuid,
                                               "description": "管辖地区（省、市、县）：账户只能查看所选地区及其下级地区；空数组为不限地区；省略则不变"]],
                                required: ["username", "displayName", "role", "unitID"]),
            "UserList": list("User"),
            "AuditEntry": object(["id": uuid, "at": ["type": "string", "format": "date-time"], "actorID": uuid,
                                  "actorUsername": string(), "action": string(), "entityType": string(),
                                  "entityID": string(), "before": string("JSON"), "after": string("JSON"),
                                  "ip": string()], required: ["id", "at", "actorUsername", "action", "entityType"]),
            "AuditList": list("AuditEntry"),
            "Catalog": object(["indicators": ["type": "array", "items": ["type": "object"]]], required: ["indicators"]),
            "CatalogVersion": object(["number": ["type": "integer"], "note": string(), "inUse": ["type": "boolean"],
                                      "catalog": ["$ref": "#/components/schemas/Catalog"]]),
            "CatalogVersionList": ["type": "array", "items": object(["number": ["type": "integer"], "note": string(),
                                                                     "createdBy": string(), "inUse": ["type": "boolean"]])],
            "CampaignInput": object(["name": string(), "year": ["type": "integer"], "startDate": string("YYYY-MM-DD"),
                                     "endDate": string("YYYY-MM-DD"), "perDay": ["type": "integer"],
                                     "regionIDs": ["type": "array", "items": uuid],
                                     "indicatorCodes": ["type": "array", "items": ["type": "string"]],
                                     "phases": ["type": "object", "description": "training/filing/verification/report → {start,end}"]],
                                    required: ["name", "year", "startDate", "endDate", "regionIDs", "indicatorCodes", "phases"]),
            "FeedRecord": object(["caseID": ["type": "string", "minLength": 1, "maxLength": 64, "description": "办件编号，同一指标和地区内唯一"],
                                  "uscc": ["type": "string", "description": "统一社会信用代码（18 位，校验码正确）"],
                                  "appliedOn": string("YYYY-MM-DD"), "completedOn": string("YYYY-MM-DD"),
                                  "feeFen": ["type": "integer", "minimum": 0, "description": "费用（分）"],
                                  "counts": ["type": "object", "additionalProperties": ["type": "integer", "minimum": 0],
                                             "description": "按指标的计数项，如 steps（环节数）、documents（材料数）"]],
                                 required: ["caseID", "uscc", "appliedOn", "completedOn"]),
            "FeedBatch": object(["records": ["type": "array", "minItems": 1, "maxItems": RecordFeed.maxRecords,
                                             "items": ["$ref": "#/components/schemas/FeedRecord"]]], required: ["records"]),
            "FeedReceipt": object(["batchID": uuid, "idempotencyKey": string(), "indicator": string(), "region": string(),
                                   "accepted": ["type": "integer"], "inserted": ["type": "integer"], "updated": ["type": "integer"],
                                   "receivedAt": string()],
                                  required: ["batchID", "idempotencyKey", "indicator", "region", "accepted", "inserted", "updated", "receivedAt"]),
            "CarryOverInput": object(["name": string(), "year": ["type": "integer"]], required: []),
            "Campaign": object(["id": uuid, "name": string(), "year": ["type": "integer"], "status": string(),
                                "catalogVersion": ["type": "integer"], "startDate": string(), "endDate": string(),
                                "perDay": ["type": "integer"], "regionIDs": ["type": "array", "items": uuid],
                                "indicatorCodes": ["type": "array", "items": ["type": "string"]],
                                "phases": ["type": "array", "items": ["type": "object"]], "previousCampaignID": uuid,
                                "parentCampaignID": uuid, "round": string()]),
            "CampaignArray": ["type": "array", "items": ["$ref": "#/components/schemas/Campaign"]],
            "RoundInput": object(["period": ["type": "string", "enum": MonitoringPeriod.allCases.map(\.rawValue)],
                                  "year": ["type": "integer"], "number": ["type": "integer", "minimum": 1, "maximum": 12],
                                  "filingStart": string("YYYY-MM-DD，与 filingEnd 同时给出或都不给"), "filingEnd": string(),
                                  "indicatorCodes": ["type": "array", "items": ["type": "string"], "minItems": 1]],
                                 required: ["period", "number", "indicatorCodes"]),
            "Round": object(["id": uuid, "name": string(), "label": string(), "period": string(), "year": ["type": "integer"],
                             "number": ["type": "integer"], "status": string(), "filingStart": string(), "filingEnd": string(),
                             "indicatorCodes": ["type": "array", "items": ["type": "string"]],
                             "handedIn": ["type": "integer"], "total": ["type": "integer"], "scored": ["type": "boolean"]],
                            required: ["id", "name", "label", "period", "year", "number", "status", "indicatorCodes", "handedIn", "total", "scored"]),
            "RoundList": object(["rounds": ["type": "array", "items": ["$ref": "#/components/schemas/Round"]],
                                 "trend": ["type": "object", "description": "labels（各轮）、overall 与 indicators（各地区每轮得分，未评分为 null）、subsetsDiffer"]],
                                required: ["rounds", "trend"]),
            "AssignmentInput": object(["leadUnitID": uuid, "cooperatorUnitIDs": ["type": "array", "items": uuid],
                                       "leaderUserID": uuid, "memberUserIDs": ["type": "array", "items": uuid]]),
            "Assignment": object(["id": uuid, "regionID": uuid, "indicatorCode": string(), "indicatorName": string(),
                                  "leadUnit": ["type": "object"], "cooperators": ["type": "array", "items": ["type": "object"]],
                                  "leader": ["type": "object"], "members": ["type": "array", "items": ["type": "object"]]]),
            "AssignmentArray": ["type": "array", "items": ["$ref": "#/components/schemas/Assignment"]],
            "ScheduleInput": object(["perDay": ["type": ["integer", "null"], "minimum": FilingSchedule.perDayRange.lowerBound,
                                                "maximum": FilingSchedule.perDayRange.upperBound,
                                                "description": "省略或 null 时用评价任务的设置"],
                                     "fixedDates": ["type": "object", "additionalProperties": ["type": "string"]]]),
            "ScheduleArray": ["type": "array", "items": object(["indicatorCode": string(), "indicatorName": string(),
                                                                "day": string(), "weekday": string(), "fixed": ["type": "boolean"]])],
            "TaskInput": object(["phase": string(), "title": string(), "unitID": uuid, "deadline": string("YYYY-MM-DD"),
                                 "indicatorCode": string(), "regionID": uuid, "note": string()],
                                required: ["phase", "title", "unitID", "deadline"]),
            "TaskStatusInput": object(["status": ["type": "string", "enum": WorkStatus.allCases.map(\.rawValue)], "note": string()],
                                      required: ["status"]),
            "Task": object(["id": uuid, "phase": string(), "title": string(), "unitID": uuid, "unitName": string(),
                            "deadline": string(), "status": string(), "workdaysOverdue": ["type": "integer"]]),
            "TaskList": list("Task"),
            "Filing": object(["id": uuid, "campaignID": uuid, "regionID": uuid, "indicatorCode": string(), "state": string(),
                              "status": string(), "version": ["type": "integer"],
                              "answers": ["type": "object", "additionalProperties": ["type": "string"]],
                              "attachments": ["type": "array", "items": ["$ref": "#/components/schemas/Attachment"]],
                              "events": ["type": "array", "items": ["type": "object"]]]),
            "FilingSave": object(["version": ["type": "integer"],
                                  "answers": ["type": "object", "additionalProperties": ["type": "string"]]],
                                 required: ["version", "answers"]),
            "FilingTransition": object(["action": ["type": "string", "enum": FilingAction.allCases.map(\.rawValue)],
                                        "reason": string()], required: ["action"]),
            "Attachment": object(["id": uuid, "itemCode": string(), "name": string(), "size": ["type": "integer"],
                                  "sha256": string(), "uploadedBy": string()]),
            "AssignItems": object(["unitID": uuid, "items": ["type": "array", "items": ["type": "string"]]], required: ["unitID", "items"]),
            "Contribution": object(["answers": ["type": "object", "additionalProperties": ["type": "string"]],
                                    "submit": ["type": "boolean"]], required: ["answers"]),
            "ContributionArray": ["type": "array", "items": object(["id": uuid, "unitID": uuid, "state": string(),
                                                                    "items": ["type": "array", "items": ["type": "string"]],
                                                                    "answers": ["type": "object"]])],
            "QuestionInput": object(["campaignID": uuid, "indicatorCode": string(), "itemCode": string(), "title": string(),
                                     "body": string()], required: ["campaignID", "indicatorCode", "title", "body"]),
            "Question": object(["id": uuid, "campaignID": uuid, "indicatorCode": string(), "itemCode": string(),
                                "unitID": uuid, "askedBy": string(), "title": string(), "body": string(),
                                "status": string(), "isPublic": ["type": "boolean"],
                                "replies": ["type": "array", "items": ["type": "object"]]]),
            "QuestionArray": ["type": "array", "items": ["$ref": "#/components/schemas/Question"]],
            "ReplyInput": object(["body": string()], required: ["body"]),
            "NotificationArray": ["type": "array", "items": object(["message": string(), "link": string(),
                                                                    "read": ["type": "boolean"], "at": string()])],
            "ScoringRun": object(["id": uuid, "number": ["type": "integer"], "createdAt": string(), "createdBy": string(),
                                  "catalogVersion": string(), "warnings": ["type": "array", "items": string()],
                                  "regions": ["type": "array", "items": object(
                                      ["id": string(), "name": string(), "isBenchmark": ["type": "boolean"],
                                       "overall": ["type": "number"], "rank": ["type": "integer"],
                                       "indicators": ["type": "array", "items": ["type": "object"]]])]]),
            "RectificationInput": object(["campaignID": uuid, "regionID": uuid, "indicatorCode": string(), "problem": string(),
                                          "cause": string(), "gap": string(), "measures": string(), "unitID": uuid,
                                          "leader": string(), "deadline": string("YYYY-MM-DD")],
                                         required: ["campaignID", "indicatorCode", "problem", "measures", "unitID", "leader", "deadline"]),
            "Rectification": object(["id": uuid, "campaignID": uuid, "regionID": uuid, "indicatorCode": string(), "indicatorName": string(),
                                     "problem": string(), "cause": string(), "gap": string(), "measures": string(), "unitID": uuid,
                                     "unitName": string(), "leader": string(), "deadline": string(), "status": string(),
                                     "statusName": string(), "overdue": ["type": "boolean"], "latestProgress": string()]),
            "RectificationArray": ["type": "array", "items": ["$ref": "#/components/schemas/Rectification"]],
            "Flag": object(["id": uuid, "rule": string(), "indicatorCode": string(), "subCode": string(), "unitID": uuid,
                            "filedValue": string(), "observedValue": string(), "evidence": string(), "severity": string(),
                            "status": string(), "decisionNote": string(), "response": string(), "responseDeadline": string()]),
            "FlagArray": ["type": "array", "items": ["$ref": "#/components/schemas/Flag"]],
            "FlagDecision": object(["status": string("confirmed 或 dismissed"), "note": string()], required: ["status", "note"]),
            "FlagResponse": object(["response": string()], required: ["response"]),
            "Dispatch": object(["campaignID": uuid, "regionID": uuid, "date": string(), "total": ["type": "integer"],
                                "handedIn": ["type": "integer"], "counts": ["type": "object"],
                                "lines": ["type": "array", "items": ["type": "object"]],
                                "overdue": ["type": "array", "items": ["type": "object"]],
                                "dueToday": ["type": "array", "items": ["type": "object"]],
                                "byUnit": ["type": "array", "items": ["type": "object"]]]),
        ]
    }

    static func key(_ op: Operation) -> String { "\(op.method) \(op.path)" }

    /// Bodies that may be left out (every field has a default).
    static let optionalBody: Set<String> = ["post /api/v1/campaigns/{id}/carry-over"]

    static func errorResponse(_ d: String) -> [String: Any] {
        ["description": d, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
    }

    static var document: [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for op in operations {
            var o: [String: Any] = ["summary": op.summary, "tags": [op.tag],
                                    "operationId": op.method + op.path.replacingOccurrences(of: "/", with: "_")
                                        .replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")
                                        .replacingOccurrences(of: ".", with: "_")]
            var responses: [String: Any] = [:]
            if let r = op.response {
                responses[op.status] = ["description": "OK",
                                        "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(r)"]]]]
            } else {
                responses[op.status] = ["description": "OK"]
            }
            if op.secured {
                o["security"] = [["bearer": [String]()]]
                responses["401"] = errorResponse("未登录或令牌无效")
                responses["403"] = errorResponse("角色无权执行此操作")
            } else {
                o["security"] = [[String: [String]]]()
            }
            if let b = op.body {
                o["requestBody"] = ["required": !optionalBody.contains(key(op)),
                                    "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(b)"]]]]
                responses["422"] = errorResponse("字段校验失败，fields 中按字段给出中文说明")
            }
            // Every {name} in the path is declared; ids are UUIDs except the indicator code.
            let pathParams = op.path.split(separator: "{").dropFirst().compactMap { $0.split(separator: "}").first.map(String.init) }
            if !pathParams.isEmpty {
                o["parameters"] = pathParams.map { name -> [String: Any] in
                    let schema: [String: Any] = name == "indicator" ? ["type": "string"] : uuid
                    return ["name": name, "in": "path", "required": true, "schema": schema]
                }
                responses["404"] = errorResponse("记录不存在")
            }
            if key(op) == "post /api/v1/feeds/records" {
                o["parameters"] = [["name": "Idempotency-Key", "in": "header", "required": true,
                                    "description": "本批次的唯一标识，1–100 个字母、数字或 -_.:；重试同一批次时不变",
                                    "schema": ["type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[A-Za-z0-9._:-]+$"]]]
            }
            if op.method == "get" && op.response?.hasSuffix("List") == true {
                o["parameters"] = ((o["parameters"] as? [[String: Any]]) ?? []) + [
                    ["name": "q", "in": "query", "required": false, "schema": ["type": "string"]],
                    ["name": "page", "in": "query", "required": false,
                     "schema": ["type": "integer", "minimum": 1, "maximum": APIContractMiddleware.maxPage]],
                    ["name": "per", "in": "query", "required": false,
                     "schema": ["type": "integer", "minimum": 1, "maximum": APIContractMiddleware.maxPer]],
                ] as [[String: Any]]
                responses["422"] = errorResponse("page、per 不是允许的整数")
            }
            // Writes can meet a state that forbids them (started, locked, version changed).
            if op.method != "get" { responses["409"] = errorResponse("当前状态不允许此操作") }
            if op.body != nil {
                responses["413"] = errorResponse("请求体超过上限")
                responses["415"] = errorResponse("请求体应为 application/json")
            }
            // Any request can meet an instance that is stopping (`InFlight`: nothing is done, try again or another
            // instance); a survey submission also a full write queue.
            var unavailable = errorResponse("实例正在停止或暂时繁忙，请求未处理；请在 Retry-After 秒后重试")
            unavailable["headers"] = ["Retry-After": ["description": "重试前等待的秒数", "schema": ["type": "integer", "minimum": 1]]]
            responses["503"] = unavailable
            let key = "\(op.method) \(op.path)"
            for status in extraStatuses[key] ?? [] where responses[status] == nil {
                responses[status] = status.hasPrefix("2") ? ["description": "OK"] : errorResponse("见说明")
            }
            if rawBody.contains(key) {
                o["requestBody"] = ["required": true, "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]]
            }
            o["responses"] = responses
            paths[op.path, default: [:]][op.method] = o
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "营商环境考核评价平台 API (Yingshang)", "version": YingshangVersion.current],
            "servers": [["url": "/"]],
            "paths": paths,
            "components": ["schemas": schemas,
                           "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]]],
        ]
    }

    static let json: String = {
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted]),
              let text = String(data: data, encoding: .utf8)
        else { return "{}" }
        return text
    }()
}
