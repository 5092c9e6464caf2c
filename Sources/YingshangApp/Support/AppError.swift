import Vapor
import YingshangCore

/// An error with a stable code and a Chinese message; rendered as JSON for the API and as a page for the web.
struct AppError: AbortError {
    let status: HTTPResponseStatus
    let code: String
    let message: String
    var fields: [String: String]? = nil
    /// Sent with the error answer (e.g. `Allow` on a 405).
    var headers: HTTPHeaders = [:]

    var reason: String { message }

    static func unauthorized() -> AppError {
        AppError(status: .unauthorized, code: "unauthorized", message: "请先登录或提供有效的访问令牌")
    }
    static func forbidden(_ message: String = "您没有权限执行此操作") -> AppError {
        AppError(status: .forbidden, code: "forbidden", message: message)
    }
    static func notFound(_ what: String = "记录") -> AppError {
        AppError(status: .notFound, code: "not_found", message: "\(what)不存在")
    }
    static func invalid(_ fields: [String: String], message: String = "提交的内容有误，请检查标出的字段") -> AppError {
        AppError(status: .unprocessableEntity, code: "validation_failed", message: message, fields: fields)
    }
    static func invalid(_ problems: [FieldProblem]) -> AppError {
        var fields: [String: String] = [:]
        for p in problems where fields[p.field] == nil { fields[p.field] = p.message }
        return invalid(fields)
    }
    static func conflict(_ message: String) -> AppError {
        AppError(status: .conflict, code: "conflict", message: message)
    }
}

struct ErrorBody: Content {
    struct Detail: Content {
        let code: String
        let message: String
        let fields: [String: String]?
    }
    let error: Detail
}
