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

    /// ` LIMIT per OFFSET number × per` for a 0-based page; a page number from a URL cannot overflow the product
    /// (it saturates, and the database returns no rows).
    mutating func appendPage(number: Int, per: Int) {
        let per = max(1, per)
        let (offset, overflow) = max(0, number).multipliedReportingOverflow(by: per)
        appendInterpolation(unsafeRaw: " LIMIT \(per) OFFSET \(overflow ? Int(Int32.max) : offset)")
    }
}
