import Foundation
import Network

/// Tells the core when the network comes back, so that waiting reports go out at once instead of
/// at their next retry.
final class Connectivity {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "org.workvoice.network")
    private var satisfied: Bool?
    private var started = false

    /// `onRegained` runs on the main actor each time the path becomes usable after it was not.
    func start(onRegained: @escaping @MainActor () -> Void) {
        guard !started else { return }
        started = true
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            let now = path.status == .satisfied
            let regained = now && self.satisfied == false
            self.satisfied = now
            if regained {
                Task { @MainActor in onRegained() }
            }
        }
        monitor.start(queue: queue)
    }
}
