import Foundation
import WorkvoiceTypes

/// Performs the core's HTTP requests with an ephemeral URLSession: no cache, no cookies, no
/// credential store, nothing written to disk. Any status (3xx, 4xx and 5xx included) is a
/// `.response`: redirects are never followed (the shell contract in ARCHITECTURE.md). Only "no
/// answer" is `.failed`, and a timeout is the core's `timeoutMs` for the whole exchange.
struct HttpClient: Sendable {
    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCredentialStorage = nil
        configuration.waitsForConnectivity = false
        configuration.allowsCellularAccess = true
        configuration.tlsMinimumSupportedProtocolVersion = .TLSv12
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    func perform(_ request: HttpRequest) async -> HttpResult {
        guard let url = URL(string: request.url) else {
            return .failed(HttpFailure(kind: .other, message: "not a URL"))
        }
        let timeout = TimeInterval(max(request.timeoutMs, 1)) / 1000
        var urlRequest = URLRequest(
            url: url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData,
            timeoutInterval: timeout)
        switch request.method {
        case .get: urlRequest.httpMethod = "GET"
        case .post: urlRequest.httpMethod = "POST"
        case .put: urlRequest.httpMethod = "PUT"
        }
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if request.method != .get {
            urlRequest.httpBody = Data(request.body)
        }
        let session = self.session
        let prepared = urlRequest
        do {
            let (data, response) = try await withThrowingTaskGroup(
                of: (Data, URLResponse).self, returning: (Data, URLResponse).self
            ) { group in
                group.addTask { try await session.data(for: prepared) }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                    throw URLError(.timedOut)
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw URLError(.unknown) }
                return first
            }
            guard let http = response as? HTTPURLResponse else {
                return .failed(HttpFailure(kind: .other, message: "not an HTTP response"))
            }
            return .response(
                HttpResponse(status: UInt16(clamping: http.statusCode), body: [UInt8](data)))
        } catch let error as URLError {
            return .failed(HttpFailure(kind: Self.kind(of: error), message: "URLError \(error.code.rawValue)"))
        } catch {
            return .failed(HttpFailure(kind: .other, message: "request failed"))
        }
    }

    private static func kind(of error: URLError) -> HttpFailureKind {
        switch error.code {
        case .timedOut:
            return .timeout
        case .notConnectedToInternet, .networkConnectionLost, .cannotConnectToHost,
            .cannotFindHost, .dnsLookupFailed, .dataNotAllowed, .internationalRoamingOff,
            .callIsActive, .secureConnectionFailed:
            return .connection
        default:
            return .other
        }
    }
}

/// Refuses every redirect: the 3xx answer itself goes back to the core.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
