import SwiftUI
import WorkvoiceTypes

struct LoadingScreen: View {
    let text: String

    var body: some View {
        VStack(spacing: 16) {
            ProgressView()
            Text(text).foregroundStyle(.secondary)
        }
        .padding()
        .frame(maxWidth: .infinity, maxHeight: .infinity)
    }
}

struct BrokenScreen: View {
    let text: String

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle").font(.largeTitle)
            Text(text).multilineTextAlignment(.center)
        }
        .padding()
        .frame(maxWidth: .infinity, maxHeight: .infinity)
    }
}

/// First run: the language, then set up or recover.
struct WelcomeScreen: View {
    let intro: String
    let chooseLanguage: String
    let languages: [Choice]
    let start: String
    let recover: String
    let send: (Event) -> Void

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 24) {
                Text(intro)
                Block(chooseLanguage) {
                    SingleChoiceList(
                        choices: languages, isSelected: { $0.selected },
                        choose: { send(.chooseLanguage(language: $0.code)) })
                }
                PrimaryButton(title: start) { send(.startSetup) }
                SecondaryButton(title: recover) { send(.startRecovery) }
            }
            .padding()
        }
    }
}

/// The PIN, its confirmation and the optional duress PIN. The PINs go to the core on submit
/// and are cleared here at once.
struct SetPinScreen: View {
    let intro: String
    let pinLabel: String
    let confirmLabel: String
    let duressLabel: String
    let duressHelp: String
    let submit: String
    let error: String?
    let recovering: Bool
    let send: (Event) -> Void

    @State private var pin = ""
    @State private var confirm = ""
    @State private var duress = ""

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 20) {
                Text(intro)
                PinField(label: pinLabel, pin: $pin)
                PinField(label: confirmLabel, pin: $confirm)
                VStack(alignment: .leading, spacing: 4) {
                    PinField(label: duressLabel, pin: $duress)
                    Text(duressHelp).font(.footnote).foregroundStyle(.secondary)
                }
                if let error { ErrorText(text: error) }
                PrimaryButton(title: submit) {
                    send(.submitNewPin(pin: pin, confirm: confirm, duressPin: duress.isEmpty ? nil : duress))
                    pin = ""
                    confirm = ""
                    duress = ""
                }
            }
            .padding()
        }
    }
}

/// The recovery code, shown once to be written on paper. It is not copyable: the clipboard is
/// readable by other apps.
struct ShowRecoveryCodeScreen: View {
    let intro: String
    let code: String
    let done: String
    let send: (Event) -> Void

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 24) {
                Text(intro)
                Text(code)
                    .font(.system(.title2, design: .monospaced))
                    .textSelection(.disabled)
                    .environment(\.layoutDirection, .leftToRight)
                    .frame(maxWidth: .infinity)
                    .padding()
                    .background(RoundedRectangle(cornerRadius: 8).stroke(Color.secondary))
                PrimaryButton(title: done) { send(.recoveryCodeWritten) }
            }
            .padding()
        }
    }
}

/// A new phone: the recovery code written down on the old one.
struct EnterRecoveryCodeScreen: View {
    let intro: String
    let codeLabel: String
    let submit: String
    let error: String?
    let send: (Event) -> Void

    @State private var code = ""

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 20) {
                Text(intro)
                VStack(alignment: .leading, spacing: 4) {
                    Text(codeLabel).font(.subheadline)
                    TextField("", text: $code, axis: .vertical)
                        .font(.system(.body, design: .monospaced))
                        .autocorrectionDisabled()
                        .textInputAutocapitalization(.characters)
                        .textFieldStyle(.roundedBorder)
                        .environment(\.layoutDirection, .leftToRight)
                        .accessibilityLabel(codeLabel)
                }
                if let error { ErrorText(text: error) }
                PrimaryButton(title: submit) { send(.submitRecoveryCode(code: code)) }
            }
            .padding()
        }
    }
}

/// Looking for the reports of the recovery code on the relay.
struct RecoveringScreen: View {
    let text: String
    let checked: UInt32
    let found: UInt32
    let retry: String
    let send: (Event) -> Void

    var body: some View {
        VStack(spacing: 24) {
            ProgressView()
            Text(text).multilineTextAlignment(.center)
            SecondaryButton(title: retry) { send(.tick) }
        }
        .padding()
        .frame(maxWidth: .infinity, maxHeight: .infinity)
    }
}

/// The lock screen, with the attempts left before the app wipes itself.
struct UnlockScreen: View {
    let pinLabel: String
    let submit: String
    let attemptsLeft: UInt32
    let attemptsText: String
    let error: String?
    let send: (Event) -> Void

    @State private var pin = ""

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 20) {
                PinField(label: pinLabel, pin: $pin)
                Text(attemptsText)
                    .font(.footnote)
                    .foregroundStyle(attemptsLeft <= 3 ? Color.red : Color.secondary)
                if let error { ErrorText(text: error) }
                PrimaryButton(title: submit, enabled: !pin.isEmpty) {
                    send(.unlock(pin: pin))
                    pin = ""
                }
            }
            .padding()
        }
    }
}

struct HomeScreen: View {
    let newReport: String
    let outbox: String
    let outboxSummary: String
    let settings: String
    let lock: String
    let hasDraft: Bool
    let send: (Event) -> Void

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                PrimaryButton(title: newReport) { send(.newReport) }
                Button { send(.openOutbox) } label: {
                    VStack(alignment: .leading, spacing: 4) {
                        Text(outbox).font(.headline)
                        Text(outboxSummary).font(.subheadline).foregroundStyle(.secondary)
                    }
                    .frame(maxWidth: .infinity, alignment: .leading)
                    .padding()
                    .background(RoundedRectangle(cornerRadius: 12).fill(Color(uiColor: .secondarySystemBackground)))
                }
                .buttonStyle(.plain)
                SecondaryButton(title: settings) { send(.openSettings) }
                SecondaryButton(title: lock) { send(.lock) }
            }
            .padding()
        }
    }
}

struct SettingsScreen: View {
    let languageLabel: String
    let languages: [Choice]
    let autoLockLabel: String
    let autoLock: [Choice]
    let evidenceLabel: String
    let evidenceHelp: String
    let evidenceChoices: [Choice]
    let routeLabel: String
    let routeHelp: String
    let routeChoices: [Choice]
    let ohttpRelayLabel: String
    let ohttpRelayHelp: String
    let ohttpRelay: String
    let ohttpRelayError: String?
    let ohttpRelaySave: String
    let escrowInviteLabel: String
    let escrowInviteHelp: String
    let escrowInviteKept: String?
    let escrowInviteError: String?
    let escrowInviteSave: String
    let wipe: String
    let wipeWarning: String
    let confirmWipe: Bool
    let confirm: String
    let cancel: String
    let send: (Event) -> Void

    @State private var relay = ""
    @State private var invite = ""

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 24) {
                Block(languageLabel) {
                    SingleChoiceList(
                        choices: languages, isSelected: { $0.selected },
                        choose: { send(.setLanguage(language: $0.code)) })
                }
                Block(autoLockLabel) {
                    SingleChoiceList(
                        choices: autoLock, isSelected: { $0.selected },
                        choose: { choice in
                            if let seconds = UInt32(choice.code) {
                                send(.setAutoLock(seconds: seconds))
                            }
                        })
                }
                Block(evidenceLabel) {
                    Text(evidenceHelp)
                    SingleChoiceList(
                        choices: evidenceChoices, isSelected: { $0.selected },
                        choose: { send(.setKeepSentEvidence(keep: $0.code == "keep")) })
                }
                Block(routeLabel) {
                    Text(routeHelp)
                    SingleChoiceList(
                        choices: routeChoices, isSelected: { $0.selected },
                        choose: { send(.setSendDirectly(sendDirectly: $0.code == "direct")) })
                }
                Block(ohttpRelayLabel) {
                    Text(ohttpRelayHelp)
                    TextField("", text: $relay)
                        .keyboardType(.URL)
                        .autocorrectionDisabled()
                        .textInputAutocapitalization(.never)
                        .textFieldStyle(.roundedBorder)
                        .environment(\.layoutDirection, .leftToRight)
                        .accessibilityLabel(ohttpRelayLabel)
                    if let ohttpRelayError { ErrorText(text: ohttpRelayError) }
                    SecondaryButton(title: ohttpRelaySave) { send(.setOhttpRelay(url: relay)) }
                }
                Block(escrowInviteLabel) {
                    Text(escrowInviteHelp)
                    // The code kept is shown masked by the core; the field starts empty.
                    if let escrowInviteKept { Text(escrowInviteKept) }
                    TextField("", text: $invite)
                        .keyboardType(.asciiCapable)
                        .autocorrectionDisabled()
                        .textInputAutocapitalization(.characters)
                        .textFieldStyle(.roundedBorder)
                        .environment(\.layoutDirection, .leftToRight)
                        .accessibilityLabel(escrowInviteLabel)
                    if let escrowInviteError { ErrorText(text: escrowInviteError) }
                    SecondaryButton(title: escrowInviteSave) { send(.setEscrowInvite(code: invite)) }
                }
                if confirmWipe {
                    VStack(alignment: .leading, spacing: 12) {
                        Text(wipeWarning).foregroundStyle(.red)
                        PrimaryButton(title: confirm, role: .destructive) { send(.confirmWipe) }
                        SecondaryButton(title: cancel) { send(.cancelWipe) }
                    }
                } else {
                    SecondaryButton(title: wipe, role: .destructive) { send(.askWipe) }
                }
            }
            .padding()
        }
        .onAppear { relay = ohttpRelay }
        .onChange(of: ohttpRelay) { _, saved in relay = saved }
        .onChange(of: escrowInviteKept) { _, _ in invite = "" }
    }
}
