import Foundation
import WorkvoiceTypes

/// How this build of the app is set up: the relay from the Info.plist (`WorkvoiceRelayURL`,
/// filled from the `WORKVOICE_RELAY_URL` build setting), the vault directory, the phone's
/// language. The root public key is not here: it is built into the Rust library
/// (`WORKVOICE_ROOT_PUBLIC_KEY` when `ios/build-rust.sh` runs), and `rootPublicKey: nil` tells
/// the core to use it.
struct ShellSettings {
    let relayUrl: String
    let dataDirectory: URL
    let systemLanguage: String

    enum SettingsError: Error, LocalizedError {
        case missingRelayUrl

        var errorDescription: String? {
            "WorkvoiceRelayURL is not set in Info.plist (build setting WORKVOICE_RELAY_URL)"
        }
    }

    static func fromBundle(_ bundle: Bundle = .main) throws -> ShellSettings {
        let relay = (bundle.object(forInfoDictionaryKey: "WorkvoiceRelayURL") as? String ?? "")
            .trimmingCharacters(in: .whitespaces)
        guard !relay.isEmpty else { throw SettingsError.missingRelayUrl }
        return ShellSettings(
            relayUrl: relay,
            dataDirectory: try vaultDirectory(),
            systemLanguage: Locale.preferredLanguages.first ?? "en"
        )
    }

    /// `Application Support/vault`: private to the app, never in iCloud or iTunes backups (a
    /// backup would carry the sealed vault off the phone, away from its attempt limit), and
    /// readable after the first unlock so that background refreshes can use it.
    static func vaultDirectory() throws -> URL {
        let fileManager = FileManager.default
        let support = try fileManager.url(
            for: .applicationSupportDirectory, in: .userDomainMask,
            appropriateFor: nil, create: true)
        var directory = support.appendingPathComponent("vault", isDirectory: true)
        try fileManager.createDirectory(
            at: directory, withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication])
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try directory.setResourceValues(values)
        return directory
    }

    /// Where a picked photo is copied before `Event.addEvidenceFile` gets the copy's path: beside
    /// the vault (the core says where). The core reads the copy a piece at a time and deletes it.
    static func evidenceIntakeDirectory() throws -> URL {
        URL(fileURLWithPath: evidenceIntakeDir(dataDir: try vaultDirectory().path), isDirectory: true)
    }

    /// The core's `HostConfig`, on the core's own default `AppConfig` (no timing is copied
    /// here). `platformSecret` is the Keychain secret the vault mixes into the PIN's key, so
    /// vault files copied off the phone cannot be brute-forced away from the attempt limit.
    func hostConfig(platformSecret: [UInt8]) throws -> HostConfig {
        var app = try AppConfig.bincodeDeserialize(input: [UInt8](defaultAppConfig()))
        app.relayUrl = relayUrl
        app.rootPublicKey = nil
        app.systemLanguage = systemLanguage
        return HostConfig(
            dataDir: dataDirectory.path,
            app: app,
            insecureFastKdf: false,
            maxPinAttempts: 0,
            platformSecret: platformSecret
        )
    }
}
