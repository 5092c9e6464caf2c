import SQLKit

extension SQLQueryString {
    /// `(?, ?, …)`: each value a bind, for `IN` (the caller makes sure the list is not empty: `IN ()` is an error).
    mutating func appendList<Value: Encodable & Sendable>(_ values: [Value]) {
        appendInterpolation(unsafeRaw: "(")
        for (i, value) in values.enumerated() {
            if i > 0 { appendInterpolation(unsafeRaw: ", ") }
            appendInterpolation(bind: value)
        }
        appendInterpolation(unsafeRaw: ")")
    }
}
