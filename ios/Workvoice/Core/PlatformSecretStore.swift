import Foundation
import Security

/// The vault's platform secret: 32 random bytes kept in the Keychain with
/// `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`, so they are never in a backup and never
/// leave this phone. The core mixes them into the PIN's key-encryption key (see
/// `shared/src/vault/mod.rs`, `PlatformSecret`): copied vault files cannot then be attacked
/// offline, away from the attempt limit. Deleted when the worker wipes the app.
enum PlatformSecretStore {
    private static let service = "org.workvoice.vault"
    private static let account = "platform-secret"
    static let length = 32

    enum StoreError: Error {
        case keychain(OSStatus)
        case randomness(OSStatus)
        case damaged
    }

    /// The secret, created on first use.
    static func loadOrCreate() throws -> Data {
        if let existing = try load() { return existing }
        var bytes = [UInt8](repeating: 0, count: length)
        let status = SecRandomCopyBytes(kSecRandomDefault, length, &bytes)
        guard status == errSecSuccess else { throw StoreError.randomness(status) }
        let secret = Data(bytes)
        bytes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = 0 }
        }
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
            kSecAttrSynchronizable as String: kCFBooleanFalse as Any,
            kSecValueData as String: secret,
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        if added == errSecDuplicateItem, let raced = try load() { return raced }
        guard added == errSecSuccess else { throw StoreError.keychain(added) }
        return secret
    }

    private static func load() throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data, data.count == length else { throw StoreError.damaged }
            return data
        case errSecItemNotFound:
            return nil
        default:
            throw StoreError.keychain(status)
        }
    }

    /// Forget the secret (after a wipe). Whatever vault files remain can no longer be opened.
    static func delete() {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
        SecItemDelete(query as CFDictionary)
    }
}
