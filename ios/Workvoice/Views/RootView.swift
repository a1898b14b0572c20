import SwiftUI
import WorkvoiceTypes

/// Draws the core's view model: one screen per `Screen` case, in the worker's language and
/// text direction, with the core's notice above it and its busy state over it. A privacy cover
/// hides everything whenever the app is not in the foreground (app switcher snapshots included).
struct RootView: View {
    @EnvironmentObject private var core: Core
    @Environment(\.scenePhase) private var scenePhase

    var body: some View {
        ZStack {
            content
            if scenePhase != .active {
                PrivacyCover()
            }
        }
    }

    @ViewBuilder private var content: some View {
        if let failure = core.failure {
            StartFailureScreen(detail: failure)
        } else if let model = core.view {
            ScreenHost(model: model, send: core.send)
                .environment(
                    \.layoutDirection, model.direction == .rtl ? .rightToLeft : .leftToRight
                )
                .environment(\.locale, Locale(identifier: model.language))
        } else {
            ProgressView()
        }
    }
}

/// One screen of the view model, with its title, notice and busy overlay.
struct ScreenHost: View {
    let model: ViewModel
    let send: (Event) -> Void

    var body: some View {
        NavigationStack {
            VStack(spacing: 0) {
                if let notice = model.notice {
                    NoticeBanner(notice: notice) { send(.dismissNotice) }
                }
                screen
                    .frame(maxWidth: .infinity, maxHeight: .infinity, alignment: .top)
            }
            .navigationTitle(model.title)
            .navigationBarTitleDisplayMode(.inline)
            .toolbar { toolbar }
        }
        .disabled(model.busy)
        .overlay {
            if model.busy {
                ZStack {
                    Color.black.opacity(0.15).ignoresSafeArea()
                    ProgressView().controlSize(.large)
                }
            }
        }
    }

    /// The screen switch: every `Screen` case of the core is drawn here.
    @ViewBuilder private var screen: some View {
        switch model.screen {
        case .loading(let text):
            LoadingScreen(text: text)
        case .welcome(let intro, let chooseLanguage, let languages, let start, let recover):
            WelcomeScreen(
                intro: intro, chooseLanguage: chooseLanguage, languages: languages,
                start: start, recover: recover, send: send)
        case .setPin(
            let intro, let pinLabel, let confirmLabel, let duressLabel, let duressHelp,
            let submit, let error, let recovering):
            SetPinScreen(
                intro: intro, pinLabel: pinLabel, confirmLabel: confirmLabel,
                duressLabel: duressLabel, duressHelp: duressHelp, submit: submit, error: error,
                recovering: recovering, send: send)
        case .showRecoveryCode(let intro, let code, let done):
            ShowRecoveryCodeScreen(intro: intro, code: code, done: done, send: send)
        case .enterRecoveryCode(let intro, let codeLabel, let submit, let error):
            EnterRecoveryCodeScreen(
                intro: intro, codeLabel: codeLabel, submit: submit, error: error, send: send)
        case .recovering(let text, let checked, let found, let retry):
            RecoveringScreen(text: text, checked: checked, found: found, retry: retry, send: send)
        case .unlock(let pinLabel, let submit, let attemptsLeft, let attemptsText, let error):
            UnlockScreen(
                pinLabel: pinLabel, submit: submit, attemptsLeft: attemptsLeft,
                attemptsText: attemptsText, error: error, send: send)
        case .home(let newReport, let outbox, let outboxSummary, let settings, let lock, let hasDraft):
            HomeScreen(
                newReport: newReport, outbox: outbox, outboxSummary: outboxSummary,
                settings: settings, lock: lock, hasDraft: hasDraft, send: send)
        case .compose(let compose):
            ComposeScreen(compose: compose, send: send)
                .id(compose.step)
        case .review(let review):
            ReviewScreen(review: review, send: send)
        case .outbox(let items, let empty, let checkMailbox):
            OutboxScreen(items: items, empty: empty, checkMailbox: checkMailbox, send: send)
        case .report(let report):
            ReportScreen(report: report, language: model.language, send: send)
        case .settings(
            let languageLabel, let languages, let autoLockLabel, let autoLock, let evidenceLabel,
            let evidenceHelp, let evidenceChoices, let routeLabel, let routeHelp,
            let routeChoices, let ohttpRelayLabel, let ohttpRelayHelp, let ohttpRelay,
            let ohttpRelayError, let ohttpRelaySave, let escrowInviteLabel,
            let escrowInviteHelp, let escrowInviteKept, let escrowInviteError,
            let escrowInviteSave, let wipe, let wipeWarning, let confirmWipe,
            let confirm, let cancel):
            SettingsScreen(
                languageLabel: languageLabel, languages: languages,
                autoLockLabel: autoLockLabel, autoLock: autoLock,
                evidenceLabel: evidenceLabel, evidenceHelp: evidenceHelp,
                evidenceChoices: evidenceChoices, routeLabel: routeLabel, routeHelp: routeHelp,
                routeChoices: routeChoices, ohttpRelayLabel: ohttpRelayLabel,
                ohttpRelayHelp: ohttpRelayHelp, ohttpRelay: ohttpRelay,
                ohttpRelayError: ohttpRelayError, ohttpRelaySave: ohttpRelaySave,
                escrowInviteLabel: escrowInviteLabel, escrowInviteHelp: escrowInviteHelp,
                escrowInviteKept: escrowInviteKept, escrowInviteError: escrowInviteError,
                escrowInviteSave: escrowInviteSave,
                wipe: wipe, wipeWarning: wipeWarning,
                confirmWipe: confirmWipe, confirm: confirm, cancel: cancel, send: send)
        case .broken(let text):
            BrokenScreen(text: text)
        }
    }

    /// Where "back" goes on the screens that have one. The view model has no words for these
    /// buttons, so they are icons (VoiceOver reads the symbol's own name).
    @ToolbarContentBuilder private var toolbar: some ToolbarContent {
        ToolbarItem(placement: .navigationBarLeading) {
            switch model.screen {
            case .outbox, .settings:
                Button { send(.goHome) } label: { Image(systemName: "house") }
            case .report:
                Button { send(.openOutbox) } label: { Image(systemName: "tray.full") }
            default:
                EmptyView()
            }
        }
    }
}

/// Shown over the app whenever it leaves the foreground, so the app switcher never shows a
/// report, a PIN screen or a recovery code.
struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(uiColor: .systemBackground).ignoresSafeArea()
            Image(systemName: "square.and.pencil")
                .font(.system(size: 48))
                .foregroundStyle(.secondary)
        }
    }
}

/// The core could not start: the configuration or the library is broken. Nothing the worker
/// typed is involved; the detail is for whoever built the app.
struct StartFailureScreen: View {
    let detail: String

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle").font(.largeTitle)
            Text(detail)
                .font(.footnote)
                .foregroundStyle(.secondary)
                .multilineTextAlignment(.center)
        }
        .padding()
    }
}
