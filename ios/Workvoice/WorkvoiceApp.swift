import BackgroundTasks
import SwiftUI

@main
struct WorkvoiceApp: App {
    /// Also listed under `BGTaskSchedulerPermittedIdentifiers` in Info.plist.
    static let refreshTaskId = "org.workvoice.app.tick"

    @Environment(\.scenePhase) private var scenePhase
    private let core: Core
    private let connectivity = Connectivity()

    init() {
        core = Core(settingsLoader: { try ShellSettings.fromBundle() })
    }

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(core)
                .task {
                    await core.start()
                    let core = self.core
                    connectivity.start { core.networkAvailable() }
                }
        }
        .onChange(of: scenePhase) { phase in
            switch phase {
            case .active:
                core.enteredForeground()
            case .background:
                core.enteredBackground()
                scheduleRefresh(at: core.nextWake)
            default:
                break
            }
        }
        .backgroundTask(.appRefresh(Self.refreshTaskId)) {
            await core.backgroundTick()
            await MainActor.run { scheduleRefresh(at: core.nextWake) }
        }
    }

    /// Ask iOS to wake the app for the core's next retry or mailbox check. iOS decides when (not
    /// before `date`, often later); the foreground timer and the network monitor cover the rest.
    private func scheduleRefresh(at date: Date?) {
        guard let date else { return }
        let request = BGAppRefreshTaskRequest(identifier: Self.refreshTaskId)
        request.earliestBeginDate = date
        try? BGTaskScheduler.shared.submit(request)
    }
}
