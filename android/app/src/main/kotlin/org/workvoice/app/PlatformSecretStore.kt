package org.workvoice.app

import android.content.Context
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.io.File
import java.io.IOException
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The vault's platform secret: 32 random bytes, stored in app-private, never-backed-up files
 * sealed with AES-256-GCM under a key that lives in the Android Keystore (in StrongBox where the
 * phone has one) and cannot be exported. The core mixes the secret into the PIN's
 * key-encryption key (`shared/src/vault/mod.rs`, `PlatformSecret`): copied vault files cannot
 * then be attacked offline, away from the attempt limit. Both the file and the Keystore key are
 * deleted when the worker wipes the app.
 */
class PlatformSecretStore(context: Context) {
    private val file = File(context.noBackupFilesDir, FILE_NAME)

    /** The secret, created on first use. */
    @Synchronized
    fun loadOrCreate(): ByteArray {
        val key = existingKey()
        if (key != null && file.exists()) return unseal(key, file.readBytes())
        // A key without its file, or a file without its key, is left from an interrupted first
        // run or a wipe: start again from nothing.
        delete()
        val fresh = createKey()
        val secret = ByteArray(SECRET_BYTES).also { SecureRandom().nextBytes(it) }
        writeAtomically(seal(fresh, secret))
        return secret
    }

    /** Forget the secret and its Keystore key. Whatever vault files remain can no longer be opened. */
    @Synchronized
    fun delete() {
        file.delete()
        val keyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        if (keyStore.containsAlias(KEY_ALIAS)) keyStore.deleteEntry(KEY_ALIAS)
    }

    private fun existingKey(): SecretKey? {
        val keyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        return (keyStore.getEntry(KEY_ALIAS, null) as? KeyStore.SecretKeyEntry)?.secretKey
    }

    private fun createKey(): SecretKey {
        fun spec(strongBox: Boolean): KeyGenParameterSpec =
            KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .setRandomizedEncryptionRequired(true)
                .apply { if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true) }
                .build()
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            try {
                generator.init(spec(strongBox = true))
                return generator.generateKey()
            } catch (_: StrongBoxUnavailableException) {
                // No StrongBox on this phone: the TEE-backed Keystore.
            }
        }
        generator.init(spec(strongBox = false))
        return generator.generateKey()
    }

    /** `version (1) || iv (12) || AES-GCM(secret)`. */
    private fun seal(key: SecretKey, secret: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key)
        val iv = cipher.iv
        check(iv.size == IV_BYTES) { "unexpected IV length ${iv.size}" }
        return byteArrayOf(FORMAT_VERSION) + iv + cipher.doFinal(secret)
    }

    private fun unseal(key: SecretKey, sealed: ByteArray): ByteArray {
        if (sealed.size < 1 + IV_BYTES + 16 || sealed[0] != FORMAT_VERSION) {
            throw IOException("the platform secret file is damaged")
        }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, sealed, 1, IV_BYTES))
        val secret = cipher.doFinal(sealed, 1 + IV_BYTES, sealed.size - 1 - IV_BYTES)
        if (secret.size != SECRET_BYTES) throw IOException("the platform secret has the wrong length")
        return secret
    }

    private fun writeAtomically(bytes: ByteArray) {
        val temporary = File(file.parentFile, "$FILE_NAME.tmp")
        temporary.outputStream().use { out ->
            out.write(bytes)
            out.fd.sync()
        }
        if (!temporary.renameTo(file)) throw IOException("cannot store the platform secret")
    }

    private companion object {
        const val KEYSTORE = "AndroidKeyStore"
        const val KEY_ALIAS = "workvoice.platform-secret"
        const val FILE_NAME = "platform-secret.bin"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val SECRET_BYTES = 32
        const val IV_BYTES = 12
        const val FORMAT_VERSION: Byte = 1
    }
}
