package import AsyncHTTPClient
internal import StowageCore
package import Hummingbird
internal import HTTPTypes
internal import NIOHTTP1

/// The internode signature on the two HTTP stacks: requests sent with AsyncHTTPClient, and
/// requests received by Hummingbird.
extension InternodeSignature {
    /// A POST to `node` (`http://host:port`) at `path`?`query`, signed now.
    package func signedPOST(to node: String, path: String, query: String = "") -> HTTPClientRequest {
        var request = HTTPClientRequest(url: node + path + (query.isEmpty ? "" : "?" + query))
        request.method = .POST
        for (name, value) in headers(method: "POST", path: path, query: query, now: WallClock.seconds()) {
            request.headers.add(name: name, value: value)
        }
        return request
    }

    /// Checks the signature headers of an internode request.
    package func verify(_ request: Request, rawPath: String, rawQuery: String) throws {
        try verify(
            method: request.method.rawValue, path: rawPath, query: rawQuery,
            date: request.headers[HTTPField.Name(InternodeSignature.dateHeader)!],
            nonce: request.headers[HTTPField.Name(InternodeSignature.nonceHeader)!],
            signature: request.headers[HTTPField.Name(InternodeSignature.signatureHeader)!],
            now: WallClock.seconds())
    }
}
