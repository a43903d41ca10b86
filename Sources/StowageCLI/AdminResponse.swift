internal import S3Protocol

/// One complete response of the admin API.
struct AdminResponse {
    var status: Int
    var body: [UInt8]

    var isSuccess: Bool { (200..<300).contains(status) }

    /// "Code: Message" from an S3 error document, else the status and the start of the body.
    var errorDescription: String {
        if let document = try? XMLDocumentParser.parse(body), document.name == "Error",
            let code = document.child("Code")?.text
        {
            let message = document.child("Message")?.text ?? ""
            return message.isEmpty ? "\(code) (HTTP \(status))" : "\(code): \(message) (HTTP \(status))"
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(text)"
    }
}
