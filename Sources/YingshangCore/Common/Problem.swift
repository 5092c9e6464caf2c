/// A validation problem tied to a named input field, with a message users can read (Chinese first).
public struct FieldProblem: Equatable, Sendable, Codable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

public enum YingshangVersion {
    public static let current = "0.1.0"
}
