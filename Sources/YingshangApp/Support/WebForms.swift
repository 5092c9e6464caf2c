import Vapor

/// An option of a `<select>`.
struct SelectOption: Encodable {
    let value: String
    let label: String
    let selected: Bool
}

/// What every create/edit form page gets: where to post, current values and errors by field.
struct FormPage<Values: Encodable>: Encodable {
    let heading: String
    let action: String
    let cancelHref: String
    let values: Values
    let errors: [String: String]
    let options: [String: [SelectOption]]
    let isEdit: Bool
}

/// A delete confirmation page.
struct ConfirmDeletePage: Encodable {
    let heading: String
    let description: String
    let action: String
    let cancelHref: String
}

extension Request {
    /// Runs a write; on validation failure re-renders the form with field errors (422), on conflict shows the
    /// message as a flash; on success redirects with a flash.
    func submitForm(
        successMessage: String, redirectTo: String, failureRedirect: String? = nil,
        renderForm: @escaping ([String: String]) async throws -> View, write: () async throws -> Void
    ) async throws -> Response {
        do {
            try await write()
        } catch let error as AppError where error.status == .unprocessableEntity {
            let response = try await renderForm(error.fields ?? [:]).encodeResponse(for: self)
            response.status = .unprocessableEntity
            return response
        } catch let error as AppError where error.status == .conflict {
            setFlash(error.message, kind: "error")
            return redirect(to: failureRedirect ?? redirectTo)
        }
        setFlash(successMessage)
        return redirect(to: redirectTo)
    }
}

extension KeyedDecodingContainer {
    /// A whole number from a JSON number or from text (forms send text); other text is returned as typed (at most
    /// 50 characters), for the message beside the field — never a whole-page decoding error.
    /// Any other JSON type (an object, an array, a bool) is refused the same way, never read as absent.
    func lenientInt(_ key: Key) -> (Int?, String?) {
        guard contains(key), (try? decodeNil(forKey: key)) == false else { return (nil, nil) }
        if let n = try? decode(Int.self, forKey: key) { return (n, nil) }
        guard let raw = try? decode(String.self, forKey: key) else { return (nil, "非数字的值") }
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return (nil, nil) }
        if let n = Int(text) { return (n, nil) }
        return (nil, String(text.prefix(50)))
    }
}
